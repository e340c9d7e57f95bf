"""Ops that pick values by position: max/min/median/kthvalue/mode along a dim, sort, topk
(their gradients scatter back with ops/scatter.py's ScatterAdd)."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ._util import wrap_dim
from .scatter import ScatterAdd

__all__ = ["MaxDim", "MinDim", "MedianDim", "NanmedianDim",
           "Kthvalue", "Mode", "Sort", "StableSort", "Topk", "stable_order", "select_forward",
           "scatter_back"]


def stable_order(x, dim, descending=False):
    """Stable argsort along ``dim`` with NaN last (first when descending), as PyTorch."""
    xp = B.array_module(x)
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable")
    if x.dtype.kind == "f":
        order = xp.argsort(-x, axis=dim, kind="stable")  # NaN last, in input order
        nan_last = ~xp.isnan(xp.take_along_axis(x, order, dim))
        # a second stable sort on "is not NaN" moves the NaNs to the front, keeping the rest
        return xp.take_along_axis(order, xp.argsort(nan_last, axis=dim, kind="stable"), dim)
    if x.dtype.kind == "u":
        return xp.argsort(xp.iinfo(x.dtype).max - x, axis=dim, kind="stable")
    return xp.argsort(~x, axis=dim, kind="stable")  # ~ reverses the order of ints and bools


def select_forward(ctx, x, dim, keepdim, pick, op, *opts, reduce=True):
    """Run ``pick(xp, x, dim, *opts) -> (values, indices)`` (dim kept) on a tensor of at least
    one dim, for any input, and remember what the backward needs."""
    shape = x.shape
    if x.ndim == 0:
        x = x.reshape(1)
    d = wrap_dim(dim, x.ndim, op)
    if reduce and x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    xp = B.array_module(x)
    values, indices = pick(xp, x, d, *opts)
    indices = indices.astype(B.int64.np, copy=False)
    if not shape:
        values, indices = values.reshape(()), indices.reshape(())
    elif reduce and not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    ctx.shape, ctx.dim, ctx.kept = shape, d, keepdim or not reduce
    ctx.indices = indices
    return B.as_array(values), B.as_array(indices)


def scatter_back(ctx, grad_values):
    """The gradient of picked values: each goes back to the position it was picked from."""
    if not ctx.shape:
        return grad_values.reshape(())
    index = ctx.indices
    if not ctx.kept:
        grad_values = grad_values.unsqueeze(ctx.dim)
        index = B.array_module(index).expand_dims(index, ctx.dim)
    return ScatterAdd.apply(grad_values.new_zeros(ctx.shape), grad_values, index, ctx.dim)


class _Pick(Function):
    """Shared backward of the ops returning (values, indices)."""

    _raw = True
    _num_inputs = 1

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        return (scatter_back(ctx, grad_values),) + (None,) * ctx.n_options

    @staticmethod
    def jvp(ctx, t, *_):
        """The picked values' tangent: the tangent read at the picked positions."""
        from .scatter import Gather
        if not ctx.shape:
            return t.clone(), None
        index = ctx.indices
        if not ctx.kept:
            index = B.array_module(index).expand_dims(index, ctx.dim)
        v = Gather.apply(t, index, ctx.dim)
        return (v if ctx.kept else v.squeeze(ctx.dim)), None


def _max(xp, x, d):
    i = xp.argmax(x, axis=d, keepdims=True)  # the first largest; NaN counts as largest
    return xp.take_along_axis(x, i, d), i


def _min(xp, x, d):
    i = xp.argmin(x, axis=d, keepdims=True)
    return xp.take_along_axis(x, i, d), i


def _kth(xp, x, d, k):
    i = xp.take(stable_order(x, d), [k - 1], axis=d)
    return xp.take_along_axis(x, i, d), i


def _median(xp, x, d, skip_nan=False):
    order = stable_order(x, d)
    n = x.shape[d]
    nans = xp.isnan(x).sum(axis=d, keepdims=True) if x.dtype.kind == "f" else 0
    if skip_nan:  # lower median of the non-NaN values (the first NaN if all are NaN)
        pos = xp.maximum(n - nans - 1, 0) // 2
    else:  # any NaN makes the median NaN: the first NaN, which sorts right after the numbers
        pos = xp.where(nans > 0, n - nans, (n - 1) // 2)
    i = xp.take_along_axis(order, xp.broadcast_to(pos, order.shape[:d] + (1,) +
                                                  order.shape[d + 1:]), d)
    return xp.take_along_axis(x, i, d), i


def _mode(xp, x, d):
    """The most frequent value (the smallest on ties) and the last index where it occurs."""
    moved = xp.moveaxis(x, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    values = xp.empty(rows.shape[0], x.dtype)
    index = xp.empty(rows.shape[0], B.int64.np)
    for r, row in enumerate(rows):
        uniq, counts = xp.unique(row, return_counts=True)
        best = uniq[xp.argmax(counts)]
        hits = (row != row) if best != best else (row == best)
        values[r] = best
        index[r] = hits.nonzero()[0][-1]
    shape = moved.shape[:-1] + (1,)
    return (xp.moveaxis(values.reshape(shape), -1, d), xp.moveaxis(index.reshape(shape), -1, d))


def _sort(xp, x, d, descending):
    i = stable_order(x, d, descending)
    return xp.take_along_axis(x, i, d), i


def _topk(xp, x, d, k, largest):
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError(f"topk(): selected index k={k} out of range for dimension {d} of "
                           f"size {x.shape[d]}")
    i = xp.take(stable_order(x, d, largest), range(k), axis=d)
    return xp.take_along_axis(x, i, d), i


class MaxDim(_Pick):
    """(z, i) = max of x along dim and its first index;  dz/dx = 1 at i, else 0."""

    _node_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        ctx.n_options = 2
        return select_forward(ctx, x, dim, keepdim, _max, "max")


class MinDim(_Pick):
    """(z, i) = min of x along dim and its first index;  dz/dx = 1 at i, else 0."""

    _node_name = "MinBackward0"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        ctx.n_options = 2
        return select_forward(ctx, x, dim, keepdim, _min, "min")


class MedianDim(_Pick):
    """(z, i) = lower median of x along dim and its index;  dz/dx = 1 at i, else 0."""

    _node_name = "MedianBackward1"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        ctx.n_options = 2
        return select_forward(ctx, x, dim, keepdim, _median, "median")


class NanmedianDim(_Pick):
    """(z, i) = lower median of the non-NaN x along dim;  dz/dx = 1 at i, else 0."""

    _node_name = "NanmedianBackward1"

    @staticmethod
    def forward(ctx, x, dim, keepdim=False):
        ctx.n_options = 2
        return select_forward(ctx, x, dim, keepdim, _median, "nanmedian", True)


class Kthvalue(_Pick):
    """(z, i) = k-th smallest x along dim and its index;  dz/dx = 1 at i, else 0."""

    _node_name = "KthvalueBackward0"

    @staticmethod
    def forward(ctx, x, k, dim=-1, keepdim=False):
        ctx.n_options = 3
        n = x.shape[wrap_dim(dim, x.ndim, "kthvalue")] if x.ndim else 1
        if n and not 1 <= k <= n:
            raise RuntimeError(f"kthvalue(): selected number k={k} out of range for dimension "
                               f"{dim} of size {n}; k counts from 1")
        return select_forward(ctx, x, dim, keepdim, _kth, "kthvalue", k)


class Mode(_Pick):
    """(z, i) = most frequent x along dim and its last index;  dz/dx = 1 at i, else 0."""

    _node_name = "ModeBackward0"

    @staticmethod
    def forward(ctx, x, dim=-1, keepdim=False):
        ctx.n_options = 2
        return select_forward(ctx, x, dim, keepdim, _mode, "mode")


class Sort(_Pick):
    """(z, i) = x sorted along dim (stably) and the permutation;  dz/dx = gradient unpermuted."""

    _node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, dim=-1, descending=False):
        ctx.n_options = 2
        return select_forward(ctx, x, dim, True, _sort, "sort", descending, reduce=False)


class StableSort(Sort):
    """Sort called with ``stable=``: the same op under PyTorch's other node name."""

    _node_name = "SortBackward1"


class Topk(_Pick):
    """(z, i) = the k largest (smallest) x along dim, in order;  dz/dx = 1 at i, else 0."""

    _node_name = "TopkBackward0"

    @staticmethod
    def forward(ctx, x, k, dim=-1, largest=True, sorted=True):
        ctx.n_options = 4
        return select_forward(ctx, x, dim, True, _topk, "topk", k, largest, reduce=False)
