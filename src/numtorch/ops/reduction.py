"""Reductions: sum, nansum, prod, var, std, logsumexp, vector norms, mean (composed), and the
engine's SumToSize."""
from __future__ import annotations

from .. import _backend as B
from .._promotion import get_default_dtype
from ..autograd.function import Function
from ..autograd.jvp_rules import linear_jvp, reduction_jvp
from ._util import dims_arg, reduced_dims

__all__ = ["Sum", "SumToSize", "Nansum", "Prod", "ProdDim", "Var", "Std", "Logsumexp",
           "mean", "nanmean", "reduce_dims", "kept_grad", "count_of"]


def reduce_dims(dim, ndim: int, op: str):
    """``dim`` as a sorted tuple of wrapped dims, or None for all (None or an empty list)."""
    if dim is not None and not isinstance(dim, int) and len(dim) == 0:
        return None
    return dims_arg(dim, ndim, op)


def _kept_shape(shape, dims):
    return tuple(1 if (dims is None or i in dims) else s for i, s in enumerate(shape))


def kept_grad(grad_output, shape, dims, keepdim):
    """A reduction's incoming gradient reshaped so it broadcasts against the input."""
    if not keepdim and dims != ():
        return grad_output.reshape(_kept_shape(shape, dims))
    return grad_output


def count_of(shape, dims) -> int:
    """How many elements each reduced value covers."""
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


def _int_to_long(x, dtype):
    """Sums and products of integers (and bools) are int64 unless a dtype is given."""
    if dtype is not None:
        return x.astype(dtype.np)
    if x.dtype.kind in "biu":
        return x.astype(B.int64.np)
    return x


class Sum(Function):
    """z = sum of x over dims;  dz/dx = 1 (the gradient is broadcast back)."""

    _raw = True
    _num_inputs = 1
    _node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = reduce_dims(dim, x.ndim, "sum")
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        return B.as_array(_int_to_long(x, dtype).sum(axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad_output):
        if grad_output._data.ndim == 0:  # a full sum: a 0-d gradient expands as it is
            return grad_output.expand(ctx.shape), None, None, None
        return (kept_grad(grad_output, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape),
                None, None, None)

    jvp = staticmethod(linear_jvp)


class Nansum(Sum):
    """z = sum of x over dims with NaN counted as 0;  dz/dx = 1 where x is not NaN, else 0."""

    _node_name = "NansumBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = reduce_dims(dim, x.ndim, "nansum")
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.save_for_backward(x)
        xp = B.array_module(x)
        return B.as_array(xp.nansum(_int_to_long(x, dtype), axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad_output):
        from .elementwise import Where
        x, = ctx.saved_tensors
        g = kept_grad(grad_output, ctx.shape, ctx.dims, ctx.keepdim).expand(ctx.shape)
        return Where.apply(x._data != x._data, 0.0, g), None, None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return reduction_jvp(ctx, t, ctx.dims, ctx.keepdim)


class SumToSize(Function):
    """z = x summed down to a shape x broadcasts from;  dz/dx = 1 (expanded back)."""

    _raw = True
    _num_inputs = 1
    _node_name = "SumToSizeBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        lead, ones = reduced_dims(x.shape, shape)
        if ones:
            x = x.sum(axis=ones, keepdims=True)
        if lead:
            x = x.sum(axis=lead)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.expand(ctx.shape), None

    jvp = staticmethod(linear_jvp)


def _prod_others(x, dim):
    """prod_{j != i} x_j along ``dim`` for every i, exact with zeros (an n x n product)."""
    from .elementwise import Where
    xt = x.transpose(dim, -1)
    n = xt.shape[-1]
    eye = B.array_module(xt._data).eye(n, dtype=bool)
    others = Where.apply(eye, 1.0, xt.unsqueeze(-2).expand(tuple(xt.shape) + (n,)))
    return ProdDim.apply(others, -1, False, None).transpose(dim, -1)


class Prod(Function):
    """z = prod of all x;  dz/dx_i = prod_{j != i} x_j (z / x_i when no x is zero)."""

    _raw = True
    _num_inputs = 1
    _node_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        ctx.shape, ctx.keepdim = x.shape, keepdim
        ctx.dim = None if dim is None else dims_arg(dim, x.ndim, "prod")
        out = B.as_array(_int_to_long(x, dtype).prod(axis=ctx.dim, keepdims=keepdim))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, out = ctx.saved_tensors
        g = kept_grad(grad_output, ctx.shape, ctx.dim, ctx.keepdim)
        if x.ndim == 0:
            return g, None, None, None
        if (x._data != 0).all():
            return g * kept_grad(out, ctx.shape, ctx.dim, ctx.keepdim) / x, None, None, None
        if ctx.dim is None:
            return g * _prod_others(x.reshape(-1), 0).reshape(ctx.shape), None, None, None
        return g * _prod_others(x, ctx.dim[0]), None, None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return reduction_jvp(ctx, t, ctx.dim, ctx.keepdim)


class ProdDim(Prod):
    """z = prod of x along one dim;  dz/dx_i = prod_{j != i} x_j along that dim."""

    _node_name = "ProdBackward1"


class Var(Function):
    """z = sum((x - mean)^2) / (N - correction);  dz/dx = 2 (x - mean) / (N - correction)."""

    _raw = True
    _num_inputs = 1
    _node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        dims = reduce_dims(dim, x.ndim, "var")
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.dof = max(0, count_of(x.shape, dims) - correction)
        ctx.save_for_backward(x)
        xp = B.array_module(x)
        with B.quiet():
            m = x.mean(axis=dims, keepdims=True) if x.size else xp.zeros_like(x)
            d = x - m
            return B.as_array((d * d).sum(axis=dims, keepdims=keepdim) / x.dtype.type(ctx.dof))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        g = kept_grad(grad_output, ctx.shape, ctx.dims, ctx.keepdim)
        return _var_grad(x, g, ctx), None, None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return reduction_jvp(ctx, t, ctx.dims, ctx.keepdim)


def _var_grad(x, g, ctx):
    centered = x - mean(x, ctx.dims, True)
    return g * centered * (2.0 / ctx.dof if ctx.dof else float("inf"))


class Std(Function):
    """z = sqrt(var(x));  dz/dx = dvar/dx / (2 z), taken as 0 where z is 0 (as PyTorch)."""

    _raw = True
    _num_inputs = 1
    _node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        ctx.shape, ctx.keepdim = x.shape, keepdim
        ctx.dims = reduce_dims(dim, x.ndim, "std")
        ctx.dof = max(0, count_of(x.shape, ctx.dims) - correction)
        var = Var.forward(ctx, x, dim, correction, keepdim)
        out = B.as_array(B.array_module(x).sqrt(var))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        from .elementwise import Where
        x, out = ctx.saved_tensors
        zero = out._data == 0
        safe = Where.apply(zero, 1.0, out)
        g = Where.apply(zero, 0.0, grad_output / (2 * safe))
        return _var_grad(x, kept_grad(g, ctx.shape, ctx.dims, ctx.keepdim), ctx), None, None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return reduction_jvp(ctx, t, ctx.dims, ctx.keepdim)


class Logsumexp(Function):
    """z = log(sum(exp(x)));  dz/dx = exp(x - z) (computed after subtracting the max)."""

    _raw = True
    _num_inputs = 1
    _node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        dims = dims_arg(dim, x.ndim, "logsumexp")
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        xp = B.array_module(x)
        if x.dtype.kind != "f":
            x = x.astype(get_default_dtype().np)
        with B.quiet():
            if x.size:
                m = x.max(axis=dims, keepdims=True)
                m = xp.where(xp.isfinite(m), m, 0)  # all -inf (or inf) slices: shift by 0
            else:
                m = xp.zeros(_kept_shape(x.shape, dims), x.dtype)
            out = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        out = B.as_array(out if keepdim else out.reshape(
            tuple(s for i, s in enumerate(x.shape) if dims is not None and i not in dims)))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, out = ctx.saved_tensors
        g = kept_grad(grad_output, ctx.shape, ctx.dims, ctx.keepdim)
        return g * (x - kept_grad(out, ctx.shape, ctx.dims, ctx.keepdim)).exp(), None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return reduction_jvp(ctx, t, ctx.dims, ctx.keepdim)


def mean(x, dim=None, keepdim=False, dtype=None):
    """The mean over ``dim`` (all by default): sum / count."""
    if dtype is not None:
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {x.dtype._legacy[:-6]}. Convert it first with "
            f".float(), or pass dtype=numtorch.float32")
    dims = reduce_dims(dim, x.ndim, "mean")
    return Sum.apply(x, dim, keepdim, None) / count_of(x._data.shape, dims)


def nanmean(x, dim=None, keepdim=False, dtype=None):
    """The mean of the non-NaN values over ``dim``: nansum / count of non-NaN values."""
    if dtype is not None:
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got "
            f"{x.dtype._legacy[:-6]}. Convert it first with .float()")
    dims = reduce_dims(dim, x.ndim, "nanmean")
    count = (x._data == x._data).sum(axis=dims, keepdims=keepdim)
    return Nansum.apply(x, dim, keepdim, None) / x._make(B.as_array(count))
