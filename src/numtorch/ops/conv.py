"""Convolution primitives for any number of spatial dims: the convolution, its transpose
(the adjoint in the input) and its weight gradient, each the others' backward.

All three work on (N, C, *spatial) arrays, with ``stride``, ``dilation`` tuples, ``pads`` a
tuple of (before, after) zero-padding pairs, and ``groups``. The windows of the padded input are
taken with stride tricks and copied once into per-sample columns (N, groups, C/groups * taps,
positions); one batched matmul per direction then works sample by sample, so each GEMM writes
straight into the (N, C_out, positions) output layout (no transposing copy) and keeps shapes BLAS
runs well. The input gradient adds the column gradient back tap by tap (col2im), each tap's
slice clipped to the input so no padded buffer is needed. The column arrays (the largest
temporaries, taps times the input) come from a small pool of reused buffers (ops/_pool.py): a
fresh array of megabytes costs more in page faults than the copy that fills it.
"""
from __future__ import annotations

import itertools
import math

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import multilinear_jvp
from ._pool import give as _give
from ._pool import take as _take

__all__ = ["Convolution", "ConvTranspose", "ConvWeight", "windows", "out_size", "conv1d", "conv2d",
           "conv_transpose1d", "conv_transpose2d"]


def out_size(n: int, lo: int, hi: int, k: int, s: int, d: int) -> int:
    """Positions a window of k taps (dilation d) takes with stride s on n + lo + hi inputs."""
    return (n + lo + hi - d * (k - 1) - 1) // s + 1


def _padded(x, pads, value=0, pooled=False):
    """x zero- (or ``value``-) padded on its spatial dims by (before, after) pairs; ``pooled``:
    in a workspace buffer (hand it back with ``_give``)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    xp = B.array_module(x)
    shape = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    if pooled:
        out = _take(xp, shape, x.dtype)
        out.fill(value)
    else:
        out = xp.full(shape, value, dtype=x.dtype) if value else xp.zeros(shape, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(lo, lo + n)
                                           for n, (lo, _) in zip(x.shape[2:], pads))] = x
    return out


def windows(xpad, out, kernel, stride, dilation):
    """The (N, C, *out, *kernel) view of every window of the padded (N, C, *spatial) array."""
    st = xpad.strides
    nd = len(kernel)
    shape = xpad.shape[:2] + tuple(out) + tuple(kernel)
    strides = (st[:2] + tuple(st[2 + i] * stride[i] for i in range(nd))
               + tuple(st[2 + i] * dilation[i] for i in range(nd)))
    return B.as_strided(xpad, shape, strides)


def _columns(x, out, kernel, stride, pads, dilation, groups):
    """The per-sample columns of x: (N, groups, C/groups * taps, positions), one copy (into a
    pooled buffer; hand it back with ``_give`` when done)."""
    xp = B.array_module(x)
    nd = len(kernel)
    xpad = _padded(x, pads, pooled=True)
    win = windows(xpad, out, kernel, stride, dilation)
    # (N, C, *out, *kernel) -> (N, C, *kernel, *out): taps next to their channel
    order = (0, 1) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd))
    n, c = x.shape[:2]
    cols = _take(xp, (n, groups, c // groups * math.prod(kernel), math.prod(out)), x.dtype)
    xp.copyto(cols.reshape((n, c) + tuple(kernel) + tuple(out)), win.transpose(order))
    del win
    if xpad is not x:
        _give(xpad)
    return cols


def _out(x, kernel, stride, pads, dilation):
    return tuple(out_size(x.shape[2 + i], *pads[i], kernel[i], stride[i], dilation[i])
                 for i in range(len(kernel)))


def _conv(x, w, stride, pads, dilation, groups, cols=None):
    """The raw convolution of x (N, C, *S) with w (O, C/groups, *K): (N, O, *L); ``cols``,
    when a list, receives the columns (for the weight gradient)."""
    xp = B.array_module(x)
    kernel, o = w.shape[2:], w.shape[0]
    out = _out(x, kernel, stride, pads, dilation)
    c = _columns(x, out, kernel, stride, pads, dilation, groups)
    y = xp.matmul(w.reshape(groups, o // groups, -1), c)  # (N, groups, O/groups, L)
    if cols is not None:
        cols.append(c)
    else:
        _give(c)
    return y.reshape((x.shape[0], o) + out)


def _clip(n_out, size, k, s, d, lo):
    """For tap k of one dim: the output positions [a, b) whose input position
    l * s + k * d - lo falls inside [0, size), and that first input position."""
    first = k * d - lo
    a = max(0, -(first // s)) if first < 0 else 0
    b = min(n_out, (size - 1 - first) // s + 1) if size - 1 - first >= 0 else 0
    return a, b, first + a * s


def _conv_transpose(g, w, size, stride, pads, dilation, groups):
    """The adjoint of ``_conv`` in x: g (N, O, *L), w (O, C/groups, *K) -> (N, C, *size)."""
    xp = B.array_module(g)
    nd = g.ndim - 2
    n, o = g.shape[:2]
    lout = g.shape[2:]
    cg, kernel = w.shape[1], w.shape[2:]
    # dcols[n, c, *k, *l]: the contribution of output position l through tap k to channel c
    wt = w.reshape(groups, o // groups, -1).swapaxes(1, 2)  # (groups, C/groups * K, O/groups)
    work = _take(xp, (n, groups, wt.shape[1], math.prod(lout)), xp.result_type(g, w))
    xp.matmul(wt, g.reshape(n, groups, o // groups, -1), out=work)
    dcols = work.reshape((n, cg * groups) + tuple(kernel) + tuple(lout))
    dx = None
    taps = []
    for k in itertools.product(*(range(s) for s in kernel)):
        spans = [_clip(lout[i], size[i], k[i], stride[i], dilation[i], pads[i][0])
                 for i in range(nd)]
        if any(a >= b for a, b, _ in spans):
            continue
        dst = tuple(slice(f, f + (b - a - 1) * stride[i] + 1, stride[i])
                    for i, (a, b, f) in enumerate(spans))
        src = (slice(None), slice(None)) + k + tuple(slice(a, b) for a, b, _ in spans)
        full = all(f == 0 and stride[i] == 1 and b - a == size[i]
                   for i, (a, b, f) in enumerate(spans))
        if dx is None and full:  # a tap that covers the whole input starts the sum
            dx = xp.array(dcols[src], order="C")
        else:
            taps.append((dst, src))
    if dx is None:
        dx = xp.zeros((n, cg * groups) + tuple(size), dtype=dcols.dtype)
    for dst, src in taps:
        dx[(slice(None), slice(None)) + dst] += dcols[src]
    del dcols
    _give(work)
    return dx


def _conv_weight(x, g, kernel, stride, pads, dilation, groups, cols=None):
    """The weight gradient of ``_conv``: x (N, C, *S), g (N, O, *L) -> (O, C/groups, *K);
    ``cols``: x's columns when the forward kept them."""
    xp = B.array_module(x)
    n, o = g.shape[:2]
    own = cols is None
    if own:
        cols = _columns(x, g.shape[2:], kernel, stride, pads, dilation, groups)
    gw = xp.matmul(g.reshape(n, groups, o // groups, -1), cols.swapaxes(-1, -2))
    if own:
        _give(cols)
    return gw.sum(0).reshape((o, x.shape[1] // groups) + tuple(kernel))


def _bias_grad(grad_output):
    return grad_output.sum([0] + list(range(2, grad_output.dim())))


def _with_bias(y, b):
    if b is not None:
        y += b.reshape((-1,) + (1,) * (y.ndim - 2))
    return y


class Convolution(Function):
    """y = x (*) w + b (cross-correlation);  dx = conv_transpose(g, w), dw = conv_weight(x, g),
    db = g summed over batch and space."""

    _raw = True
    _num_inputs = 3
    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        ctx.extra = 4
        ctx.args = (stride, pads, dilation, groups)
        ctx.size, ctx.kernel = x.shape[2:], w.shape[2:]
        ctx.save_for_backward(x, w)
        # NOTE: the columns are kept for the weight gradient (memory for one copy of the input
        # windows, in exchange for not gathering them again in backward)
        ctx.cols = [] if ctx.needs_input_grad[1] else None
        return _with_bias(_conv(x, w, stride, pads, dilation, groups, ctx.cols), b)

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        cols, ctx.cols = (ctx.cols or [None])[0], None  # used once; a rerun gathers again
        gx = ConvTranspose.apply(grad_output, w, None, ctx.size, *ctx.args) if need[0] else None
        gw = ConvWeight.apply(x, grad_output, ctx.kernel, *ctx.args, cols) if need[1] else None
        if cols is not None:
            _give(cols)
        gb = _bias_grad(grad_output) if need[2] else None
        return (gx, gw, gb) + (None,) * ctx.extra

    @staticmethod
    def jvp(ctx, tx, tw, tb, *_):
        """Bilinear in (x, w) plus the bias: conv(tx, w) + conv(x, tw) + tb."""
        x, w, _, *options = ctx.fw_inputs
        apply = ctx._forward_cls.apply
        out = apply(tx, w, None, *options) if tx is not None else None
        if tw is not None:
            term = apply(x, tw, None, *options)
            out = term if out is None else out + term
        if tb is not None:
            term = tb.reshape((-1,) + (1,) * (ctx.fw_output.dim() - 2))
            out = term if out is None else out + term
        return out


class ConvTranspose(Function):
    """y = conv_transpose(x, w) + b, the adjoint of convolution in its input (output spatial
    size ``size``);  dx = conv(g, w), dw = conv_weight(g, x), db = g summed."""

    _raw = True
    _num_inputs = 3
    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, size, stride, pads, dilation, groups):
        ctx.extra = 5
        ctx.args = (stride, pads, dilation, groups)
        ctx.kernel = w.shape[2:]
        ctx.save_for_backward(x, w)
        return _with_bias(_conv_transpose(x, w, size, stride, pads, dilation, groups), b)

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = Convolution.apply(grad_output, w, None, *ctx.args) if need[0] else None
        gw = ConvWeight.apply(grad_output, x, ctx.kernel, *ctx.args) if need[1] else None
        gb = _bias_grad(grad_output) if need[2] else None
        return (gx, gw, gb) + (None,) * ctx.extra

    jvp = staticmethod(Convolution.jvp)


class ConvWeight(Function):
    """y = conv_weight(x, g), the weight gradient of convolution (bilinear in x and g);
    dx = conv_transpose(g, h), dg = conv(x, h) for the incoming gradient h."""

    _raw = True
    _num_inputs = 2
    _node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, g, kernel, stride, pads, dilation, groups, cols=None):
        ctx.args = (stride, pads, dilation, groups)
        ctx.size = x.shape[2:]
        ctx.save_for_backward(x, g)
        return _conv_weight(x, g, kernel, stride, pads, dilation, groups, cols)

    @staticmethod
    def backward(ctx, grad_output):
        x, g = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = ConvTranspose.apply(g, grad_output, None, ctx.size, *ctx.args) if need[0] else None
        gg = Convolution.apply(x, grad_output, None, *ctx.args) if need[1] else None
        return (gx, gg) + (None,) * 6

    jvp = staticmethod(multilinear_jvp)


# ---- the functional forms -------------------------------------------------------------------

def _tuple(v, nd, name, op):
    """An int or an nd-sequence of ints as an nd-tuple."""
    t = (int(v),) * nd if isinstance(v, int) or not hasattr(v, "__len__") else tuple(v)
    if len(t) == 1 and nd > 1:
        t = t * nd
    if len(t) != nd:
        raise RuntimeError(f"{op}: expected {name} to be a single integer value or a list of "
                           f"{nd} values to match the convolution dimensions, but got "
                           f"{name}={list(t)}")
    return tuple(int(i) for i in t)


def _batched(op, input, nd):
    """input with a batch dim (added when unbatched) and whether it was added."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(input.shape)}")
    return (input, False) if input.dim() == nd + 2 else (input.unsqueeze(0), True)


def _check_dtypes(op, input, weight, bias):
    for t in (weight, bias):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"{op}: expected scalar type {_name(input.dtype)} but found "
                               f"{_name(t.dtype)}; convert the weights or the input with .to()")
    if input.dtype == B.bool_:
        raise NotImplementedError(f"{op}: not implemented for 'Bool'; convert the input and "
                                  f"weight to a floating point dtype")


def _name(dtype):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "bool": "Bool"}.get(dtype.name, dtype.name)


def _check_common(stride, dilation, groups):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _pads(op, padding, nd, kernel, stride, dilation):
    """padding (ints or 'same' / 'valid') as (before, after) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        # the odd one of an uneven total goes after, as in PyTorch
        total = [dilation[i] * (kernel[i] - 1) for i in range(nd)]
        return tuple((t // 2, t - t // 2) for t in total)
    p = _tuple(padding, nd, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    return tuple((v, v) for v in p)


def conv_nd(op, nd, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d / conv2d: cross-correlation of (N, C_in, *S) with (C_out, C_in/groups, *K)."""
    x, unbatched = _batched(op, input, nd)
    if weight.dim() != nd + 2:
        raise RuntimeError(f"{op}: expected a {nd + 2}D weight (out_channels, in_channels / "
                           f"groups, *kernel), but got weight of size {list(weight.shape)}")
    _check_dtypes(op, x, weight, bias)
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    _check_common(stride, dilation, groups)
    kernel = tuple(weight.shape[2:])
    if x.shape[1] != weight.shape[1] * groups or weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {weight.shape[1] * groups} "
                           f"channels, but got {x.shape[1]} channels instead")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of "
                           f"size {list(bias.shape)} instead")
    pads = _pads(op, padding, nd, kernel, stride, dilation)
    padded = [x.shape[2 + i] + pads[i][0] + pads[i][1] for i in range(nd)]
    span = [dilation[i] * (kernel[i] - 1) + 1 for i in range(nd)]
    if any(padded[i] < span[i] for i in range(nd)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, span))}). Kernel size can't be greater "
                           f"than actual input size")
    y = Convolution.apply(x, weight, bias, stride, pads, dilation, groups)
    return y.squeeze(0) if unbatched else y


def conv_transpose_nd(op, nd, input, weight, bias=None, stride=1, padding=0, output_padding=0,
                      groups=1, dilation=1):
    """conv_transpose1d / 2d: the adjoint of conv in its input, plus bias;
    weight (C_in, C_out/groups, *K)."""
    x, unbatched = _batched(op, input, nd)
    if weight.dim() != nd + 2:
        raise RuntimeError(f"{op}: expected a {nd + 2}D weight (in_channels, out_channels / "
                           f"groups, *kernel), but got weight of size {list(weight.shape)}")
    _check_dtypes(op, x, weight, bias)
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    _check_common(stride, dilation, groups)
    pad = _tuple(padding, nd, "padding", op)
    opad = _tuple(output_padding, nd, "output_padding", op)
    if any(v < 0 for v in pad + opad):
        raise RuntimeError("negative padding is not supported")
    if any(opad[i] >= stride[i] and opad[i] >= dilation[i] for i in range(nd)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={list(opad)}, "
                           f"stride={list(stride)}, dilation={list(dilation)}")
    if x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {weight.shape[0]} channels, but got "
                           f"{x.shape[1]} channels instead")
    c_out = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {c_out} elements, but got bias of "
                           f"size {list(bias.shape)} instead")
    kernel = weight.shape[2:]
    size = tuple((x.shape[2 + i] - 1) * stride[i] - 2 * pad[i] + dilation[i] * (kernel[i] - 1)
                 + opad[i] + 1 for i in range(nd))
    if any(s <= 0 for s in size):
        raise RuntimeError(f"{op}: the output size {list(size)} is too small; lower the "
                           f"padding or raise the stride / output_padding")
    pads = tuple((p, p) for p in pad)
    y = ConvTranspose.apply(x, weight, bias, size, stride, pads, dilation, groups)
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    return conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, stride, padding,
                             output_padding, groups, dilation)
