"""Pooling: max, average and adaptive pooling over 1 or 2 spatial dims.

Max pooling walks the kernel's taps over strided views of the input, keeping each window's
running maximum and the tap that holds its first maximum (a few passes over output-sized arrays,
no copy of the windows); the result is ``PickFlat`` of the argmax's flat positions, whose
gradient is placed back at them (``PlaceFlat``); average pooling is a depthwise convolution with a
kernel of ones divided by the window counts; adaptive average pooling is a matmul with a
bin-averaging matrix per dim.
"""
from __future__ import annotations

import itertools
import math

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import linear_jvp
from .conv import Convolution, _name, _padded, _tuple, out_size, windows

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d"]


class PickFlat(Function):
    """z[n, c, *o] = x[n, c].flat[index[n, c, *o]];  dx = z's gradient scatter-added at index."""

    _raw = True
    _num_inputs = 1
    _node_name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, index, values=None, unique=False):
        xp = B.array_module(x)
        n, c = x.shape[:2]
        ctx.shape, ctx.index, ctx.unique = x.shape, index.reshape(n, c, -1), unique
        if values is not None:  # the caller found them with the index: the same gather
            return values
        return xp.take_along_axis(x.reshape(n, c, -1), ctx.index, 2).reshape(index.shape)

    @staticmethod
    def backward(ctx, grad_output):
        return PlaceFlat.apply(grad_output, ctx.index, ctx.shape, ctx.unique), None, None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return PickFlat.apply(t, ctx.fw_inputs[1], None, ctx.unique)


class PlaceFlat(Function):
    """z (zeros of ``shape``) with g[n, c, *o] added at z[n, c].flat[index[n, c, o]];
    dg = PickFlat of z's gradient. ``unique``: no position repeats within a row, so the
    values are assigned rather than accumulated."""

    _raw = True
    _num_inputs = 1
    _node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, index, shape, unique):
        xp = B.array_module(g)
        n, c = shape[:2]
        ctx.index, ctx.out_shape, ctx.unique = index, g.shape, unique
        rows = math.prod(shape[2:])
        flat = index + (xp.arange(n * c, dtype=index.dtype) * rows).reshape(n, c, 1)
        z = xp.zeros(n * c * rows, dtype=g.dtype)
        if unique:
            z[flat.reshape(-1)] = g.reshape(-1)
        else:
            xp.add.at(z, flat.reshape(-1), g.reshape(-1))
        return z.reshape(shape)

    @staticmethod
    def backward(ctx, grad_output):
        n, c = ctx.out_shape[:2]
        index = ctx.index.reshape((n, c) + tuple(ctx.out_shape[2:]))
        return PickFlat.apply(grad_output, index, None, ctx.unique), None, None, None

    jvp = staticmethod(linear_jvp)


class PickFlat1d(PickFlat):
    _node_name = "MaxPool1DWithIndicesBackward0"


class AdaptivePickFlat(PickFlat):
    _node_name = "AdaptiveMaxPool2DBackward0"


def _batched(op, input, nd, ints=False):
    """input with a batch dim (added when unbatched) and whether it was added; integer
    inputs only where ``ints`` (PyTorch's 2-d max and average pools take them)."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for "
                           f"input, but got input of size: {list(input.shape)}")
    if not input.dtype.is_floating_point and not (
            ints and input.dtype.is_signed and input.dtype != B.bool_):
        raise NotImplementedError(f"{op}: not implemented for '{_name(input.dtype)}'; convert the "
                           f"input to a floating point dtype")
    return (input, False) if input.dim() == nd + 2 else (input.unsqueeze(0), True)


def _geometry(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """kernel, stride, padding, dilation tuples and the output size, checked as PyTorch does."""
    k = _tuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None or (hasattr(stride, "__len__") and len(stride) == 0) \
        else _tuple(stride, nd, "stride", op)
    p = _tuple(padding, nd, "padding", op)
    d = _tuple(dilation, nd, "dilation", op)
    if any(v <= 0 for v in k + s + d):
        raise RuntimeError(f"{op}: kernel_size, stride and dilation must be greater than zero, "
                           f"but got kernel_size={list(k)}, stride={list(s)}, "
                           f"dilation={list(d)}")
    for i in range(nd):
        if not 0 <= p[i] <= k[i] // 2:
            raise RuntimeError(f"{op}: pad should be at most half of kernel size, but got "
                               f"pad={list(p)} and kernel_size={list(k)}")
    size = x.shape[2:]
    out = []
    for i in range(nd):
        o = out_size(size[i] + (s[i] - 1 if ceil_mode else 0), p[i], p[i], k[i], s[i], d[i])
        if ceil_mode and (o - 1) * s[i] >= size[i] + p[i]:
            o -= 1  # the last window must start inside the input or its left padding
        out.append(o)
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{op}: Given input size: ({'x'.join(map(str, x.shape[1:]))}). "
                           f"Calculated output size: ({x.shape[1]}x{'x'.join(map(str, out))})."
                           f" Output size is too small")
    # NOTE: ceil_mode can let the last window hang past the right padding
    pads = tuple((p[i], max(p[i], (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 - size[i] - p[i]))
                 for i in range(nd))
    return k, s, p, d, tuple(out), pads


def _flat_index(arg, kernel, stride, dilation, pads, size):
    """Window-local argmaxes (..., *out) as flat indices into the unpadded spatial dims."""
    xp = B.array_module(arg)
    nd = len(kernel)
    taps = xp.unravel_index(arg, kernel)
    flat = 0
    for i in range(nd):
        shape = [1] * arg.ndim
        shape[arg.ndim - nd + i] = arg.shape[arg.ndim - nd + i]
        start = xp.arange(arg.shape[arg.ndim - nd + i]).reshape(shape) * stride[i] - pads[i][0]
        flat = flat * size[i] + start + taps[i] * dilation[i]
    return flat.astype(xp.int64)


def _max_taps(xpad, out, k, s, d):
    """Each window's maximum and the tap (row-major over the kernel) of its first maximum:
    a running maximum over the taps' strided views, so no window is copied. (NaN-free input:
    ``maximum`` would carry a NaN but ``greater`` would not move the tap to it.)"""
    xp = B.array_module(xpad)
    win = windows(xpad, out, k, s, d)
    taps = list(itertools.product(*(range(v) for v in k)))
    best = xp.array(win[(Ellipsis,) + taps[0]], order="C")
    itype = xp.int16 if len(taps) < 2 ** 15 else xp.int64
    arg = xp.zeros(best.shape, itype)
    mask = xp.empty(best.shape, bool)
    for t, tap in enumerate(taps[1:], 1):
        v = win[(Ellipsis,) + tap]
        xp.greater(v, best, out=mask)  # strictly greater: the first maximum stays
        xp.maximum(v, best, out=best)
        # taps come in increasing order, so "t where this tap is greater" is a maximum too
        # (masked copies are several times slower than these whole-array ufuncs)
        xp.maximum(arg, xp.multiply(mask, t, dtype=itype), out=arg)
    return best, arg


def _tap_index(arg, kernel, stride, dilation, pads, size):
    """Window-local tap numbers (..., *out) as flat indices into the unpadded spatial dims."""
    xp = B.array_module(arg)
    nd = len(kernel)
    place = [math.prod(size[i + 1:]) for i in range(nd)]  # flat stride of each spatial dim
    offsets = xp.array([sum(t[i] * dilation[i] * place[i] for i in range(nd))
                        for t in itertools.product(*(range(v) for v in kernel))], xp.int64)
    flat = xp.take(offsets, arg)
    for i in range(nd):
        shape = [1] * arg.ndim
        shape[arg.ndim - nd + i] = arg.shape[arg.ndim - nd + i]
        start = xp.arange(arg.shape[arg.ndim - nd + i], dtype=xp.int64) * stride[i] - pads[i][0]
        flat += (start * place[i]).reshape(shape)
    return flat


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    x, unbatched = _batched(op, input, nd, ints=nd == 2)
    k, s, _, d, out, pads = _geometry(op, x, nd, kernel_size, stride, padding, dilation,
                                      ceil_mode)
    data = x._data
    xp = B.array_module(data)
    floating = x.dtype.is_floating_point
    low = -xp.inf if floating else xp.iinfo(data.dtype).min
    # windows that never overlap send each input at most one gradient
    unique = all(s[i] >= d[i] * (k[i] - 1) + 1 for i in range(nd))
    if floating and xp.isnan(data.sum()):
        # NaN (or inf - inf) somewhere: argmax's rules for NaN, on a copy of the windows
        xpad = _padded(data, pads, low)
        win = windows(xpad, out, k, s, d).reshape(data.shape[:2] + out + (-1,))
        index = _flat_index(win.argmax(-1), k, s, d, pads, data.shape[2:])
        values = None
    else:
        values, arg = _max_taps(_padded(data, pads, low), out, k, s, d)
        index = _tap_index(arg, k, s, d, pads, data.shape[2:])
    y = (PickFlat1d if nd == 1 else PickFlat).apply(x, index, values, unique)
    if unbatched:
        y, index = y.squeeze(0), index[0]
    if return_indices:
        from .._tensor import Tensor
        return y, Tensor._make(index)
    return y


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The max of each window along the last dim (indices: flat positions in the input)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The max of each window over the last two dims (indices: flat positions in H * W)."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _counts(xp, size, k, s, p, out, include_pad):
    """Per-dim window sizes at each output position: padding counted or not."""
    start = xp.arange(out) * s - p
    end = xp.minimum(start + k, size + p)
    if not include_pad:
        start, end = xp.maximum(start, 0), xp.minimum(end, size)
    return end - start


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    from .._tensor import Tensor
    x, unbatched = _batched(op, input, nd, ints=True)
    k, s, p, _, out, pads = _geometry(op, x, nd, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}: divisor must be not zero")
    data = x._data
    xp = B.array_module(data)
    div = divisor_override
    if div is None:
        div = 1
        for i in range(nd):
            shape = (out[i],) + (1,) * (nd - 1 - i)
            div = div * _counts(xp, x.shape[2 + i], k[i], s[i], p[i], out[i],
                                count_include_pad).reshape(shape)
    if not x.dtype.is_floating_point:  # no gradient: sums divided truncating, as in PyTorch
        win = windows(xp.pad(data, ((0, 0), (0, 0)) + pads), out, k, s, (1,) * nd)
        total = win.sum(axis=tuple(range(-nd, 0)))
        y = Tensor._make(B.as_array((xp.sign(total) * (xp.abs(total) // div)).astype(
            data.dtype)))
    else:
        n, c = x.shape[:2]
        ones = Tensor._make(B.as_array(xp.ones((1, 1) + k, data.dtype)))
        flat = x.reshape((n * c, 1) + tuple(x.shape[2:]))
        total = Convolution.apply(flat, ones, None, s, pads, (1,) * nd, 1).reshape((n, c) + out)
        y = total / (div if divisor_override is not None
                     else Tensor._make(B.as_array(div.astype(data.dtype))))
    return y.squeeze(0) if unbatched else y


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """The mean of each window along the last dim."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each window over the last two dims (or its sum / ``divisor_override``)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _bins(n, out):
    """PyTorch's adaptive bins: [floor(i n / out), ceil((i + 1) n / out)) for each i."""
    return [((i * n) // out, -(-((i + 1) * n) // out)) for i in range(out)]


def _adaptive_size(op, x, nd, output_size):
    size = _tuple(output_size, nd, "output_size", op) if not (
        hasattr(output_size, "__len__") and any(o is None for o in output_size)) else tuple(
        x.shape[-nd + i] if o is None else int(o) for i, o in enumerate(output_size))
    if any(o < 0 for o in size) or any(v == 0 for v in x.shape[-nd:]):
        raise RuntimeError(f"{op}: expected non-empty input and non-negative output_size, but "
                           f"got input of size {list(x.shape)} and output_size {list(size)}")
    return size


def _averaging(xp, n, out, dtype):
    """The (out, n) matrix whose row i averages bin i."""
    a = xp.zeros((out, n), dtype)
    for i, (lo, hi) in enumerate(_bins(n, out)):
        a[i, lo:hi] = 1.0 / (hi - lo)
    return a


def _adaptive_avg(op, nd, input, output_size):
    from .._tensor import Tensor
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D tensor, but got input of "
                           f"size {list(input.shape)}")
    size = _adaptive_size(op, input, nd, output_size)
    dt = input._data.dtype
    xp = B.array_module(input._data)
    y = input
    for i in range(nd):
        a = Tensor._make(B.as_array(_averaging(xp, input.shape[-nd + i], size[i], dt)))
        if i == nd - 1:
            y = y.matmul(a.t())
        else:  # average along dim -2: a @ y
            y = a.matmul(y)
    return y


def adaptive_avg_pool1d(input, output_size):
    """Means over ``output_size`` near-equal bins of the last dim."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Means over near-equal bins of the last two dims (``None`` keeps a dim's size)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def _adaptive_max(op, nd, input, output_size, return_indices):
    from .._tensor import Tensor
    x, unbatched = _batched(op, input, nd)
    size = _adaptive_size(op, x, nd, output_size)
    data = x._data
    xp = B.array_module(data)
    n, c, *spatial = data.shape
    index = xp.zeros((n, c) + size, xp.int64)
    bins = [_bins(spatial[i], size[i]) for i in range(nd)]
    for pos in B.np.ndindex(*size):
        box = [bins[i][pos[i]] for i in range(nd)]
        region = data[(slice(None), slice(None)) + tuple(slice(lo, hi) for lo, hi in box)]
        arg = region.reshape(n, c, -1).argmax(-1)
        taps = xp.unravel_index(arg, region.shape[2:])
        flat = 0
        for i in range(nd):
            flat = flat * spatial[i] + box[i][0] + taps[i]
        index[(slice(None), slice(None)) + pos] = flat
    y = AdaptivePickFlat.apply(x, index)
    if unbatched:
        y, index = y.squeeze(0), index[0]
    return (y, Tensor._make(index)) if return_indices else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maxima over ``output_size`` near-equal bins of the last dim."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maxima over near-equal bins of the last two dims (``None`` keeps a dim's size)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)
