"""Normalization layers' functional forms: batch_norm, layer_norm, group_norm.

Training-mode statistics go through one fused primitive, ``Normalize`` (for speed: one pass
for the statistics, one for the result, and a closed-form backward); the running statistics
are updated in place without grad. Forward and backward work in place where they can: each
makes two full-size arrays, one of them a reused buffer (ops/_pool.py), since a fresh array of
megabytes costs more in page faults than the arithmetic that fills it.
"""
from __future__ import annotations

import math

from .. import _backend as B
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ._pool import give, take

__all__ = ["Normalize", "batch_norm", "layer_norm", "group_norm"]


class Normalize(Function):
    """y = xhat * w + b, xhat = (x - mean) / sqrt(var + eps) with the (biased) statistics
    over ``axes``; w and b broadcast against x (either may be None).

    dx = (gw - mean(gw) - xhat mean(gw xhat)) / sqrt(var + eps) with gw = g * w, the means
    over ``axes``;  dw = g xhat,  db = g (summed down to their shapes: by the engine when a
    graph of the backward is built, directly otherwise).
    ``stats``, when a list, receives the raw mean and variance (for running statistics).
    """

    _raw = True
    _num_inputs = 3
    _node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, axes, eps, stats=None):
        xp = B.array_module(x)
        mean = x.mean(axis=axes, keepdims=True)
        # two full-size arrays in all: xhat (a pooled buffer, handed back after backward) and
        # one for the square, then y; each fresh array costs page faults that outweigh the
        # arithmetic at these sizes
        xhat = xp.subtract(x, mean, out=take(xp, x.shape, xp.result_type(x, mean)))
        buf = xp.multiply(xhat, xhat)
        var = buf.mean(axis=axes, keepdims=True)
        invstd = B.as_array(1.0 / xp.sqrt(var + eps)).astype(x.dtype)
        xhat *= invstd
        fits = [p is None or (xp.broadcast_shapes(x.shape, p.shape) == x.shape
                              and xp.result_type(x, p) == x.dtype) for p in (w, b)]
        if all(fits) and (w is not None or b is not None):  # y written into the buffer
            y = xp.multiply(xhat, w, out=buf) if w is not None else xp.add(xhat, b, out=buf)
            if w is not None and b is not None:
                y += b
        else:  # no affine part, or one that broadcasts x up or promotes it
            y = xhat if w is None else xhat * w
            if b is not None:
                y = y + b
        if stats is not None:
            stats.extend((mean, var))
        ctx.axes, ctx.eps = axes, eps
        ctx.raw = (xhat, invstd)
        ctx.b_shape = None if b is None else b.shape
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        axes = list(ctx.axes)
        need = ctx.needs_input_grad
        if is_grad_enabled():  # a graph is being built: make xhat depend on x differentiably
            mean = x.mean(axes, keepdim=True)
            invstd = (x.var(axes, correction=0, keepdim=True) + ctx.eps).rsqrt()
            xhat = (x - mean) * invstd
        elif ctx.raw is not None and tuple(grad_output.shape) == ctx.raw[0].shape:
            return _raw_backward(ctx, grad_output, w, need) + (None, None, None)
        elif ctx.raw is not None:
            xhat, invstd = (Tensor._make(a) for a in ctx.raw)
        else:  # a second backward (retain_graph): the first handed xhat back
            mean = x.mean(axes, keepdim=True)
            invstd = (x.var(axes, correction=0, keepdim=True) + ctx.eps).rsqrt()
            xhat = (x - mean) * invstd
        gx = gw = gb = None
        if need[0]:
            gy = grad_output if w is None else grad_output * w
            gx = invstd * (gy - gy.mean(axes, keepdim=True)
                           - xhat * (gy * xhat).mean(axes, keepdim=True))
        if need[1]:
            gw = grad_output * xhat
        if need[2]:
            gb = grad_output
        return gx, gw, gb, None, None, None

    @staticmethod
    def jvp(ctx, tx, tw, tb, *_):
        """ty = txhat w + xhat tw + tb, txhat = (tx - mean(tx) - xhat mean(xhat tx)) / std."""
        x, w = ctx.saved_tensors
        axes = list(ctx.axes)
        invstd = (x.var(axes, correction=0, keepdim=True) + ctx.eps).rsqrt()
        xhat = (x - x.mean(axes, keepdim=True)) * invstd
        out = None
        if tx is not None:
            out = invstd * (tx - tx.mean(axes, keepdim=True)
                            - xhat * (xhat * tx).mean(axes, keepdim=True))
            out = out if w is None else out * w
        for term in (xhat * tw if tw is not None else None, tb):
            if term is not None:
                out = term if out is None else out + term
        return out


def _raw_backward(ctx, grad_output, w, need):
    """Normalize's gradients on arrays, with as few full-size temporaries as the formula
    allows; w's and b's come back already summed to their shapes. xhat goes back to the pool
    (a second backward recomputes it)."""
    xhat, invstd = ctx.raw
    ctx.raw = None
    g = grad_output._data
    xp = B.array_module(g)
    axes = tuple(ctx.axes)
    wd = None if w is None else w._data
    # dw's summand; times w, a mean in dx; then scratch
    gxhat = xp.multiply(g, xhat, out=take(xp, xhat.shape, xp.result_type(g, xhat)))
    gx = gw = gb = None
    if need[1]:
        gw = _reduce(xp, gxhat, wd.shape, copy=True)
    if need[2]:
        gb = grad_output if tuple(ctx.b_shape) == g.shape else Tensor._make(
            _reduce(xp, g, ctx.b_shape))
    if need[0]:
        lead = g.ndim - (0 if wd is None else wd.ndim)
        if wd is not None and all(wd.shape[i - lead] == 1 for i in axes if i >= lead):
            # w is constant over the statistics' axes (batch norm): mean(g w) = w mean(g)
            k = invstd * wd
            m1 = g.mean(axis=axes, keepdims=True) * k
            m2 = gxhat.mean(axis=axes, keepdims=True) * k
            gx = xp.multiply(g, k)
        else:
            gy = g if wd is None else xp.multiply(g, wd)
            if wd is not None:
                gxhat *= wd
            m1 = gy.mean(axis=axes, keepdims=True) * invstd
            m2 = gxhat.mean(axis=axes, keepdims=True) * invstd
            if gy is g:
                gx = xp.multiply(g, invstd)
            else:
                gx = gy
                gx *= invstd
        gx -= m1
        gx -= xp.multiply(xhat, m2, out=gxhat)
        gx = Tensor._make(gx.astype(xhat.dtype, copy=False))
    give(gxhat)
    give(xhat)
    return gx, None if gw is None else Tensor._make(gw), gb


def _reduce(xp, a, shape, copy=False):
    """a summed down to the shape it was broadcast from (a copy when nothing is summed)."""
    shape = tuple(shape)
    lead = a.ndim - len(shape)
    ones = tuple(lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
    dims = tuple(range(lead)) + ones
    if not dims:
        return a.copy() if copy else a
    return a.sum(axis=dims, keepdims=True).reshape(shape)


class _LayerNormalize(Normalize):
    _node_name = "NativeLayerNormBackward0"


class _GroupNormalize(Normalize):
    _node_name = "NativeGroupNormBackward0"


def _per_channel(t, ndim):
    """A (C,) tensor shaped (1, C, 1, ...) to broadcast over an ndim-d (N, C, ...) input."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _shaped(t, shape_fn):
    return None if t is None else shape_fn(t)


def _affine(y, weight, bias, shape_fn):
    if weight is not None:
        y = y * shape_fn(weight)
    if bias is not None:
        y = y + shape_fn(bias)
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) over the batch and spatial dims.

    In training the batch statistics are used and the running ones (when given) move towards
    them by ``momentum``, the variance unbiased; in eval the running statistics are used.
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), but "
                         f"got input of size {list(input.shape)}")
    nd, c = input.dim(), input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements (one per "
                               f"channel of input {list(input.shape)}), not {t.numel()}")
    shape_fn = lambda t: _per_channel(t, nd)  # noqa: E731
    if training:
        count = input.numel() // max(c, 1)
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.size()}")
        stats = []
        y = Normalize.apply(input, _shaped(weight, shape_fn), _shaped(bias, shape_fn),
                            (0,) + tuple(range(2, nd)), eps, stats)
        mean, var = (Tensor._make(a.reshape(-1)) for a in stats)
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean * momentum)
            if running_var is not None:
                unbiased = var * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
        return y
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                               "evaluation mode (training=False); pass them or use "
                               "training=True")
        y = (input - shape_fn(running_mean)) * shape_fn(running_var + eps).rsqrt()
    return _affine(y, weight, bias, shape_fn)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last ``len(normalized_shape)`` dims, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
        normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(shape)}, but got "
                               f"{list(t.shape)}")
    return _LayerNormalize.apply(input, weight, bias, tuple(range(input.dim() - k,
                                                                 input.dim())), eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each of ``num_groups`` groups of channels (with their spatial dims) per
    sample, then scale and shift per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"group_norm: expected an input of at least 2 dims (N, C, ...), "
                           f"but got input of size {list(input.shape)}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"group_norm: expected {name} to be a vector of size {c} (the "
                               f"channels), but got {name} of shape {list(t.shape)}")
    grouped = input.reshape((n, num_groups, math.prod(input.shape[1:]) // num_groups))
    y = _GroupNormalize.apply(grouped, None, None, (2,), eps).reshape(tuple(input.shape))
    return _affine(y, weight, bias, lambda t: _per_channel(t, input.dim()))
