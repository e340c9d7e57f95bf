"""Reductions: sum (and mean, composed from it), and the engine's SumToSize."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ._util import dims_arg, reduced_dims

__all__ = ["Sum", "SumToSize", "mean"]


def _kept_shape(shape, dims):
    return tuple(1 if (dims is None or i in dims) else s for i, s in enumerate(shape))


class Sum(Function):
    """z = sum of x over dims;  dz/dx = 1 (the gradient is broadcast back)."""

    _raw = True
    _num_inputs = 1
    _node_name = "SumBackward0"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        dims = dims_arg(dim, x.ndim, "sum")
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype(B.int64.np)  # integer sums are int64, as in PyTorch
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_output):
        if not ctx.keepdim and ctx.dims != ():
            grad_output = grad_output.reshape(_kept_shape(ctx.shape, ctx.dims))
        return grad_output.expand(ctx.shape), None, None, None


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


def mean(x, dim=None, keepdim=False, dtype=None):
    """The mean over ``dim`` (all by default): sum / count."""
    if dtype is not None:
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {x.dtype._legacy[:-6]}. Convert it first with "
            f".float(), or pass dtype=numtorch.float32")
    dims = dims_arg(dim, x.ndim, "mean")
    count = 1
    for i, s in enumerate(x._data.shape):
        if dims is None or i in dims:
            count *= s
    return Sum.apply(x, dim, keepdim, None) / count
