"""``pad``: constant, reflect, replicate and circular padding of the last dims."""
from __future__ import annotations

import operator

from .. import _backend as B
from ..autograd.function import Function
from .indexing import Index

__all__ = ["ConstantPadNd", "pad"]


def _pairs(pad, ndim):
    """``pad`` (last dim first: left, right, then the dim before, ...) as {dim: (lo, hi)}."""
    return {ndim - 1 - i: (pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)}


class ConstantPadNd(Function):
    """z = x with pad[2i] / pad[2i+1] entries of value before / after dim -1-i (cropping
    where negative);  dz/dx = z's gradient cropped back (padding with negated amounts)."""

    _raw = True
    _num_inputs = 1
    _node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pad, value=0):
        ctx.pad = pad
        pairs = _pairs(pad, x.ndim)
        shape = tuple(s + sum(pairs.get(d, (0, 0))) for d, s in enumerate(x.shape))
        cropped = (s + sum(min(p, 0) for p in pairs.get(d, (0, 0)))
                   for d, s in enumerate(x.shape))
        if any(s < 0 for s in shape) or any(s < 0 for s in cropped):
            raise RuntimeError(f"constant_pad_nd: the input size {list(x.shape)} with padding "
                               f"{list(pad)} gives a negative output size {list(shape)}")
        xp = B.array_module(x)
        out = xp.full(shape, B.fit_number(value, B.dtype_of(x)), x.dtype)
        src, dst = [], []
        for d, s in enumerate(x.shape):
            lo, hi = pairs.get(d, (0, 0))
            src.append(slice(max(-lo, 0), s - max(-hi, 0)))
            dst.append(slice(max(lo, 0), shape[d] - max(hi, 0)))
        if all(sl.stop > sl.start for sl in src):
            out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return ConstantPadNd.apply(grad_output, tuple(-p for p in ctx.pad)), None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return ConstantPadNd.apply(t, ctx.pad, 0)


def _source_positions(mode, n, lo, hi):
    """For each output position along a dim of size n padded by (lo, hi): its input index."""
    np = B.np
    if mode == "circular":
        # NOTE: negative amounts crop first and the wrap-around repeats what is left (PyTorch
        # 2.13 gives uninitialized values in some of these cases)
        start = max(-lo, 0)
        m = n - start - max(-hi, 0)
        return np.arange(-max(lo, 0), m + max(hi, 0)) % m + start
    j = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    j = np.abs(j)  # reflect about the first and the last element
    return np.where(j > n - 1, 2 * (n - 1) - j, j)


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims of ``input``: ``pad`` = (left, right) for the last
    dim, then (top, bottom) for the one before, and so on; negative amounts crop.

    Args:
        input: the tensor.
        pad: an even-length sequence of ints.
        mode: 'constant' (fill with ``value``, default 0), 'reflect' (mirror without repeating
            the edge), 'replicate' (repeat the edge) or 'circular' (wrap around).
        value: the fill value for 'constant'.

    Example::

        pad(x, (1, 1))                    # one zero on each side of the last dim
        pad(img, (2, 2, 2, 2), "reflect")  # 2 pixels of mirrored border, last two dims
    """
    pad = tuple(operator.index(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.dim()}")
    if mode == "constant":
        return ConstantPadNd.apply(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if not (1 <= k <= 3 and input.dim() in (k + 1, k + 2)):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor. "
            f"Non-constant padding takes 2, 4 or 6 amounts for (batch and) channel dims "
            f"followed by 1, 2 or 3 padded dims")
    shape = input._data.shape
    positions = []
    for d, (lo, hi) in sorted(_pairs(pad, input.dim()).items()):
        n = shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {d} of input {list(shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        out, kept = n + lo + hi, n + min(lo, 0) + min(hi, 0)
        # PyTorch refuses an empty result only for 1-d reflect/replicate padding
        if out < 0 or (out == 0 and mode != "circular" and k == 1) or (
                mode == "circular" and (kept < 0 or kept == 0 and out > 0)):
            raise RuntimeError(f"pad: input (size {n} at dim {d}) is too small for padding "
                               f"{list(pad)}: the output size would be {out}")
        positions.append(_source_positions(mode, n, lo, hi))
    return Index.apply(input, (Ellipsis,) + B.np.ix_(*positions))
