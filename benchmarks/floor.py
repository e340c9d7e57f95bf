"""The plain-NumPy floor: the layers the benchmark workloads use, forward and backward written by
hand on float32 arrays, with no framework around them.

The convolution is the best NumPy formulation found for these shapes (see ops/conv.py, which uses
the same one): windows of the padded input taken with ``as_strided`` and copied once into a
per-sample (N, C*kh*kw, H*W) column array, then one batched matmul per direction, so each sample's
GEMM writes straight into the (N, O, H*W) output layout and no transpose copy is needed; the input
gradient is the column gradient added back tap by tap into the input (col2im), clipped at the
border instead of going through a padded buffer. The padded input and the two column arrays
live in a per-layer workspace (``ws``) reused from step to step: a fresh array of megabytes
costs more in page faults than the copy that fills it.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _buffer(ws, key, shape, dtype):
    a = ws.get(key)
    if a is None or a.shape != shape or a.dtype != dtype:
        a = ws[key] = np.empty(shape, dtype)
    return a


def conv2d_forward(x, w, b, pad, ws):
    """y = x (*) w + b for stride 1, padding ``pad``; returns y and the columns for backward
    (kept in the layer's workspace dict ``ws``)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    if pad:  # the workspace's border stays zero: only the interior is written
        xp = ws.get("xpad")
        if xp is None or xp.shape != (n, c, h + 2 * pad, wd + 2 * pad) or xp.dtype != x.dtype:
            xp = ws["xpad"] = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), x.dtype)
        xp[:, :, pad:pad + h, pad:pad + wd] = x
    else:
        xp = x
    s = xp.strides
    win = as_strided(xp, (n, c, kh, kw, ho, wo), (s[0], s[1], s[2], s[3], s[2], s[3]))
    cols = _buffer(ws, "cols", (n, c * kh * kw, ho * wo), x.dtype)
    np.copyto(cols.reshape(win.shape), win)  # the one copy of the input windows
    y = np.matmul(w.reshape(o, -1), cols)
    if b is not None:
        y += b[:, None]
    return y.reshape(n, o, ho, wo), cols


def conv2d_backward(g, cols, w, x_shape, pad, ws, need_dx=True):
    """(dx, dw, db) of ``conv2d_forward`` for the output gradient g."""
    n, c, h, wd = x_shape
    o, _, kh, kw = w.shape
    ho, wo = g.shape[2:]
    g = g.reshape(n, o, ho * wo)
    db = g.sum((0, 2))
    dw = np.matmul(g, cols.transpose(0, 2, 1)).sum(0).reshape(w.shape)
    if not need_dx:
        return None, dw, db
    dcols = _buffer(ws, "dcols", (n, c * kh * kw, ho * wo), g.dtype)
    np.matmul(w.reshape(o, -1).T, g, out=dcols)
    dcols = dcols.reshape(n, c, kh, kw, ho, wo)
    dx = np.zeros(x_shape, g.dtype)
    for i in range(kh):
        for j in range(kw):  # tap (i, j) of output (p, q) read input (p + i - pad, q + j - pad)
            di, dj = i - pad, j - pad
            dx[:, :, max(0, di):min(h, ho + di), max(0, dj):min(wd, wo + dj)] += dcols[
                :, :, i, j, max(0, -di):min(ho, h - di), max(0, -dj):min(wo, wd - dj)]
    return dx, dw, db


def max_pool2x2_forward(x):
    """2x2, stride 2 max pooling (even H and W); returns y and each window's first argmax as
    flat positions in H * W. A running maximum over the four taps' strided views (whole-array
    ufuncs with ``out=``; masked copies and argmax over a copied window axis are slower)."""
    n, c, h, w = x.shape
    taps = [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
    best = taps[0].copy()
    arg = np.zeros(best.shape, np.int16)
    mask = np.empty(best.shape, bool)
    for t in (1, 2, 3):
        np.greater(taps[t], best, out=mask)
        np.maximum(taps[t], best, out=best)
        np.maximum(arg, np.multiply(mask, t, dtype=np.int16), out=arg)
    flat = np.take(np.array([0, 1, w, w + 1]), arg)
    flat += (np.arange(h // 2) * 2 * w)[:, None] + np.arange(w // 2) * 2
    return best, flat


def max_pool2x2_backward(g, flat, x_shape):
    """The gradient put at each window's (first) maximum: one scatter into the flat input."""
    n, c = x_shape[:2]
    rows = x_shape[2] * x_shape[3]
    dx = np.zeros(n * c * rows, g.dtype)
    dx[(flat + (np.arange(n * c) * rows).reshape(n, c, 1, 1)).reshape(-1)] = g.reshape(-1)
    return dx.reshape(x_shape)


def batch_norm_forward(x, gamma, beta, running, momentum=0.1, eps=1e-5):
    """Training-mode batch norm over (N, H, W) per channel; updates ``running`` (mean, var).
    Two full-size arrays: xhat (centred in place) and one buffer for the square, then y."""
    axes = (0, 2, 3)
    mean = x.mean(axes, keepdims=True)
    xhat = x - mean
    buf = np.multiply(xhat, xhat)
    var = buf.mean(axes, keepdims=True)
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    xhat *= invstd
    y = np.multiply(xhat, gamma[:, None, None], out=buf)
    y += beta[:, None, None]
    count = x.size // x.shape[1]
    running[0] *= 1 - momentum
    running[0] += momentum * mean.reshape(-1)
    running[1] *= 1 - momentum
    running[1] += momentum * var.reshape(-1) * (count / (count - 1))
    return y, (xhat, invstd)


def batch_norm_backward(g, gamma, saved):
    """dx = k (g - mean(g) - xhat mean(g xhat)) with k = gamma / std; two full-size arrays."""
    xhat, invstd = saved
    axes = (0, 2, 3)
    gx = g * xhat
    dgamma = gx.sum(axes)
    dbeta = g.sum(axes)
    k = invstd * gamma[:, None, None]
    m1 = g.mean(axes, keepdims=True) * k
    m2 = gx.mean(axes, keepdims=True) * k
    dx = g * k
    dx -= m1
    dx -= np.multiply(xhat, m2, out=gx)
    return dx, dgamma, dbeta


def cross_entropy(logits, target):
    """Mean cross-entropy and its gradient in the logits."""
    m = logits.max(1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(1, keepdims=True)
    rows = np.arange(len(target))
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[rows, target]))
    g = e / s
    g[rows, target] -= 1
    return loss, g / len(target)
