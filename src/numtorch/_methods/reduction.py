"""Reductions, scans and sorting: Tensor methods and numtorch.X forms."""
from __future__ import annotations

from .. import return_types
from ..ops import extremes as _M
from ..ops import reduction as _R
from ..ops._util import sum_to
from . import LazyOps

# loaded on the first call of a method that needs them (see LazyOps)
_C = LazyOps(globals(), "_C", "numtorch.ops.scan")
_O = LazyOps(globals(), "_O", "numtorch.ops.sorting")

__all__ = ["nansum", "nanmean", "prod", "max", "min", "amax", "amin", "aminmax", "argmax",
           "argmin", "var", "std", "var_mean", "std_mean", "logsumexp", "cumsum",
           "cumprod", "cummax", "cummin", "all", "any", "count_nonzero", "median",
           "nanmedian", "mode", "sort", "argsort", "msort", "topk", "kthvalue"]


def _floating_only(x, op: str) -> None:
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: only floating point (and complex) inputs are supported, got "
                           f"{x.dtype}; convert it first, e.g. x.float().{op}()")


def _correction(op, dim, unbiased, correction):
    """(dim, correction) from PyTorch's two signatures: (dim, unbiased, keepdim) and
    (dim, *, correction, keepdim); a bool first argument is ``unbiased``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError(f"{op}(): pass either unbiased or correction, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def _is_tensor(v) -> bool:
    from .._tensor import Tensor
    return isinstance(v, Tensor)


class ReductionMethods:
    """Tensor methods for this category; one line each, calling the op Functions."""

    __slots__ = ()

    def sum_to_size(self, *size):
        return sum_to_size(self, *size)

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        return _R.Nansum.apply(self, dim, keepdim, dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        return _R.nanmean(self, dim, keepdim, dtype)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return prod(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False):
        return max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return min(self, dim, keepdim)

    def amax(self, dim=(), keepdim=False):
        return _M.Amax.apply(self, dim, keepdim)

    def amin(self, dim=(), keepdim=False):
        return _M.Amin.apply(self, dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return aminmax(self, dim=dim, keepdim=keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _M.Argmax.apply(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _M.Argmin.apply(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim, keepdim=False):
        return _R.Logsumexp.apply(self, dim, keepdim)

    def cumsum(self, dim, *, dtype=None):
        return _C.Cumsum.apply(self, dim, dtype)

    def cumprod(self, dim, *, dtype=None):
        return _C.Cumprod.apply(self, dim, dtype)

    def cummax(self, dim):
        return return_types.cummax(_C.Cummax.apply(self, dim))

    def cummin(self, dim):
        return return_types.cummin(_C.Cummin.apply(self, dim))

    def all(self, dim=None, keepdim=False):
        return _M.All.apply(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _M.Any.apply(self, dim, keepdim)

    def count_nonzero(self, dim=None):
        return _M.CountNonzero.apply(self, dim)

    def median(self, dim=None, keepdim=False):
        return median(self, dim, keepdim)

    def nanmedian(self, dim=None, keepdim=False):
        return nanmedian(self, dim, keepdim)

    def mode(self, dim=-1, keepdim=False):
        return return_types.mode(_O.Mode.apply(self, dim, keepdim))

    def sort(self, dim=-1, descending=False, *, stable=None):
        return sort(self, dim, descending, stable=stable)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        return sort(self, dim, descending, stable=stable).indices

    def msort(self):
        return sort(self, 0).values

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return return_types.topk(_O.Topk.apply(self, k, dim, largest, sorted))

    def kthvalue(self, k, dim=-1, keepdim=False):
        return return_types.kthvalue(_O.Kthvalue.apply(self, k, dim, keepdim))


# ---- numtorch.X forms ---------------------------------------------------------------------

def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` treating NaN as zero."""
    return _R.Nansum.apply(input, dim, keepdim, dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over ``dim`` of the values that are not NaN."""
    return _R.nanmean(input, dim, keepdim, dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all values, or along one int ``dim`` (exact gradient with zeros)."""
    if dim is None:
        return _R.Prod.apply(input, None, False, dtype)
    if not isinstance(dim, int):
        raise TypeError(f"prod(): dim must be an int, got {type(dim).__name__}; reduce one "
                        f"dim at a time, e.g. x.prod(0).prod(0)")
    return _R.ProdDim.apply(input, dim, keepdim, dtype)


def max(input, dim=None, keepdim=False, *, other=None):
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices) of the first largest
    along ``dim``; ``max(x, y)``: the elementwise maximum."""
    if other is not None or _is_tensor(dim):
        return input.maximum(dim if other is None else other)
    if dim is None:
        return _M.MaxAll.apply(input, None, False)
    return return_types.max(_O.MaxDim.apply(input, dim, keepdim))


def min(input, dim=None, keepdim=False, *, other=None):
    """``min(x)``: the smallest value; ``min(x, dim)``: (values, indices) of the first smallest
    along ``dim``; ``min(x, y)``: the elementwise minimum."""
    if other is not None or _is_tensor(dim):
        return input.minimum(dim if other is None else other)
    if dim is None:
        return _M.MinAll.apply(input, None, False)
    return return_types.min(_O.MinDim.apply(input, dim, keepdim))


def amax(input, dim=(), keepdim=False):
    """Largest value over ``dim`` (all by default); the gradient is shared among ties."""
    return _M.Amax.apply(input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """Smallest value over ``dim`` (all by default); the gradient is shared among ties."""
    return _M.Amin.apply(input, dim, keepdim)


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over ``dim`` (all by default)."""
    dims = () if dim is None else dim
    return return_types.aminmax(_M.Amin.apply(input, dims, keepdim),
                                _M.Amax.apply(input, dims, keepdim))


def argmax(input, dim=None, keepdim=False):
    """Index of the first largest value (of the flattened tensor without ``dim``)."""
    return _M.Argmax.apply(input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """Index of the first smallest value (of the flattened tensor without ``dim``)."""
    return _M.Argmin.apply(input, dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over ``dim``: sum((x - mean)^2) / (N - correction); correction 1 by default."""
    dim, correction = _correction("var", dim, unbiased, correction)
    _floating_only(input, "var")
    return _R.Var.apply(input, dim, correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over ``dim``: sqrt of ``var`` with the same arguments."""
    dim, correction = _correction("std", dim, unbiased, correction)
    _floating_only(input, "std")
    return _R.Std.apply(input, dim, correction, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim``."""
    v = var(input, dim, unbiased, keepdim, correction=correction)
    dim, _ = _correction("var_mean", dim, unbiased, correction)
    return v, _R.mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim``."""
    s = std(input, dim, unbiased, keepdim, correction=correction)
    dim, _ = _correction("std_mean", dim, unbiased, correction)
    return s, _R.mean(input, dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim``, computed stably (the max is subtracted first)."""
    return _R.Logsumexp.apply(input, dim, keepdim)


def cumsum(input, dim, *, dtype=None):
    """Running sum along ``dim`` (int64 for integer inputs unless ``dtype`` is given)."""
    return _C.Cumsum.apply(input, dim, dtype)


def cumprod(input, dim, *, dtype=None):
    """Running product along ``dim`` (exact gradient with zeros)."""
    return _C.Cumprod.apply(input, dim, dtype)


def cummax(input, dim):
    """(values, indices) of the running max along ``dim``; ties take the later index."""
    return return_types.cummax(_C.Cummax.apply(input, dim))


def cummin(input, dim):
    """(values, indices) of the running min along ``dim``; ties take the later index."""
    return return_types.cummin(_C.Cummin.apply(input, dim))


def all(input, dim=None, keepdim=False):
    """Whether all values over ``dim`` are nonzero (bool; uint8 for uint8 input)."""
    return _M.All.apply(input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """Whether any value over ``dim`` is nonzero (bool; uint8 for uint8 input)."""
    return _M.Any.apply(input, dim, keepdim)


def count_nonzero(input, dim=None):
    """Number of nonzero values over ``dim`` (all by default), as int64."""
    return _M.CountNonzero.apply(input, dim)


def median(input, dim=None, keepdim=False):
    """``median(x)``: the lower median (NaN if any NaN); with ``dim``: (values, indices)."""
    if dim is None:
        return _M.MedianAll.apply(input, False, False)
    return return_types.median(_O.MedianDim.apply(input, dim, keepdim))


def nanmedian(input, dim=None, keepdim=False):
    """``median`` ignoring NaN values."""
    if dim is None:
        return _M.NanmedianAll.apply(input, True, False)
    return return_types.nanmedian(_O.NanmedianDim.apply(input, dim, keepdim))


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along ``dim`` (the smallest on ties) and the
    last index where it occurs."""
    return return_types.mode(_O.Mode.apply(input, dim, keepdim))


def sort(input, dim=-1, descending=False, *, stable=None):
    """(values, indices) sorted along ``dim``; always stable (equal values keep their order)."""
    op = _O.Sort if stable is None else _O.StableSort
    return return_types.sort(op.apply(input, dim, descending))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort ``input`` along ``dim`` (stably)."""
    return sort(input, dim, descending, stable=stable).indices


def msort(input):
    """``input`` sorted along dim 0."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the ``k`` largest (smallest) values along ``dim``, in order."""
    return return_types.topk(_O.Topk.apply(input, k, dim, largest, sorted))


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the ``k``-th smallest value along ``dim`` (k counts from 1)."""
    return return_types.kthvalue(_O.Kthvalue.apply(input, k, dim, keepdim))


def sum_to_size(input, *size):
    """``input`` summed down to ``size``, a shape it broadcasts from (the engine's sum_to)."""
    from .._tensor import _shape_arg
    shape = _shape_arg(size)
    try:
        return sum_to(input, shape)
    except ValueError:
        raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size "
                           f"{list(input.shape)}; each dim must equal the tensor's or be 1, "
                           f"and leading dims may be dropped") from None
