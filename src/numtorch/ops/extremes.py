"""Max/min-type reductions: amax/amin and full max/min/median (gradient spread evenly over
ties), argmax/argmin, and the boolean reductions all/any/count_nonzero."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import reduction_jvp
from ._util import dims_arg
from .reduction import kept_grad, reduce_dims

__all__ = ["Amax", "Amin", "MaxAll", "MinAll", "MedianAll", "NanmedianAll", "Argmax",
           "Argmin", "All", "Any", "CountNonzero", "check_nonempty"]


def check_nonempty(x, dims, op: str) -> None:
    """PyTorch's errors for reducing over nothing: RuntimeError with no dim, IndexError for a
    dim of size 0."""
    if x.size:
        return
    if dims is None:
        raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                           f"== 0. Specify the reduction dim with the 'dim' argument.")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


class _EvenReduce(Function):
    """Shared backward: the gradient goes to every input equal to the result, split evenly."""

    _raw = True
    _num_inputs = 1

    @staticmethod
    def backward(ctx, grad_output):
        x, out = ctx.saved_tensors
        g = kept_grad(grad_output, ctx.shape, ctx.dims, ctx.keepdim)
        ties = x == kept_grad(out, ctx.shape, ctx.dims, ctx.keepdim)
        return g * ties / ties.sum(ctx.dims, True), None, None

    @staticmethod
    def jvp(ctx, t, *_):
        return reduction_jvp(ctx, t, ctx.dims, ctx.keepdim)


def _extreme(ctx, x, dim, keepdim, op, largest):
    dims = reduce_dims(dim, x.ndim, op)
    check_nonempty(x, dims, op)
    ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
    xp = B.array_module(x)
    # NaN propagates, as in PyTorch (max/min, not nanmax)
    out = B.as_array(xp.amax(x, dims, keepdims=keepdim) if largest
                     else xp.amin(x, dims, keepdims=keepdim))
    ctx.save_for_backward(x, out)
    return out


class Amax(_EvenReduce):
    """z = max of x over dims;  dz/dx = 1/k at the k inputs equal to z, else 0."""

    _node_name = "AmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim=(), keepdim=False):
        return _extreme(ctx, x, dim, keepdim, "amax", True)


class Amin(_EvenReduce):
    """z = min of x over dims;  dz/dx = 1/k at the k inputs equal to z, else 0."""

    _node_name = "AminBackward0"

    @staticmethod
    def forward(ctx, x, dim=(), keepdim=False):
        return _extreme(ctx, x, dim, keepdim, "amin", False)


class MaxAll(_EvenReduce):
    """z = max of all x;  dz/dx = 1/k at the k inputs equal to z, else 0."""

    _node_name = "MaxBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return _extreme(ctx, x, None, False, "max", True)


class MinAll(_EvenReduce):
    """z = min of all x;  dz/dx = 1/k at the k inputs equal to z, else 0."""

    _node_name = "MinBackward1"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return _extreme(ctx, x, None, False, "min", False)


def _lower_median(xp, flat, skip_nan):
    """The lower median of a 1-d array: NaN if any (unless skipped), NaN if empty."""
    nan = flat != flat
    if skip_nan:
        flat = flat[~nan]
    elif nan.any():
        return flat[nan][:1].reshape(())
    if flat.size == 0:
        return xp.asarray(float("nan"))
    return xp.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]


class MedianAll(_EvenReduce):
    """z = lower median of all x;  dz/dx = 1/k at the k inputs equal to z, else 0."""

    _node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x, skip_nan=False, keepdim=False):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, None, False
        xp = B.array_module(x)
        with B.quiet():
            out = B.as_array(xp.asarray(_lower_median(xp, x.reshape(-1), skip_nan), x.dtype))
        ctx.save_for_backward(x, out)
        return out


class NanmedianAll(MedianAll):
    """z = lower median of the non-NaN x;  dz/dx = 1/k at the k inputs equal to z, else 0."""

    _node_name = "NanmedianBackward0"


class Argmax(Function):
    """The index of the first largest value (NaN counts as largest); no gradient."""

    _raw = True
    _differentiable = False

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, largest=True):
        op = "argmax" if largest else "argmin"
        if x.dtype.kind == "b":
            raise RuntimeError(f"{op}(): does not support bool input; convert it first, e.g. "
                               f"x.int().{op}()")
        dims = dims_arg(dim, x.ndim, op)
        if not x.size:
            if dims is None:
                raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                                 f"input.numel() == 0.")
            check_nonempty(x, dims, op)
        xp = B.array_module(x)
        if x.ndim == 0:
            return xp.zeros((), B.int64.np)
        find = xp.argmax if largest else xp.argmin
        if dims is None:
            out = find(x.reshape(-1))
            return B.as_array(out).astype(B.int64.np).reshape((1,) * x.ndim if keepdim else ())
        return B.as_array(find(x, axis=dims[0], keepdims=keepdim)).astype(B.int64.np)


class Argmin(Argmax):
    """The index of the first smallest value (NaN counts as smallest); no gradient."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return Argmax.forward(ctx, x, dim, keepdim, False)


class All(Function):
    """True where every value over dims is nonzero (uint8 in, uint8 out); no gradient."""

    _raw = True
    _differentiable = False

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, every=True):
        # an empty tuple of dims reduces nothing here, as in PyTorch
        dims = dims_arg(dim, x.ndim, "all" if every else "any")
        xp = B.array_module(x)
        reduce = xp.all if every else xp.any
        out = B.as_array(reduce(x != 0, axis=dims, keepdims=keepdim))
        return out.astype(x.dtype) if x.dtype == B.uint8.np else out


class Any(All):
    """True where some value over dims is nonzero (uint8 in, uint8 out); no gradient."""

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        return All.forward(ctx, x, dim, keepdim, False)


class CountNonzero(Function):
    """The number of nonzero values over dims (int64); no gradient."""

    _raw = True
    _differentiable = False

    @staticmethod
    def forward(ctx, x, dim=None):
        dims = reduce_dims(dim, x.ndim, "count_nonzero")
        return B.as_array((x != 0).sum(axis=dims)).astype(B.int64.np)
