"""Indexing batched arrays (``x[key]``, ``x[key] = v``, ``ufunc.at``) with one NumPy call."""
from __future__ import annotations

from .. import _backend as B
from ._batched import BatchedArray, no_rule, pad, physical, split, unbatched_write

np = B.np

__all__ = ["getitem", "setitem", "ufunc_at", "Selection", "selection_ufunc"]


def _is_mask(k) -> bool:
    dtype = getattr(k, "dtype", None)
    return dtype is not None and np.dtype(dtype) == np.bool_


def _is_adv(k) -> bool:
    return isinstance(k, (BatchedArray, list)) or (hasattr(k, "ndim") and hasattr(k, "dtype"))


def _adv_shape(k, level):
    if isinstance(k, BatchedArray) and k.level == level:
        if k.dtype == bool:
            raise no_rule("indexing with a batched boolean mask",
                          " (each example would select a different number of elements)")
        return k.shape
    if isinstance(k, int):
        return ()
    shape = tuple(np.shape(k))
    if _is_mask(k) or (isinstance(k, list) and k
                                             and isinstance(k[0], bool)):
        return (1,)  # a mask stands for one dimension (its count is the same per example)
    return shape


def _consumed(k) -> int:
    if k is None or k is Ellipsis:
        return 0
    if _is_mask(k):
        return k.ndim
    return 1


def translate(x: BatchedArray, key):
    """(physical key, fix): ``x.data[physical key]`` is the batch of ``x[key]``, once ``fix``
    (a permutation of the physical result's dimensions, or None) is applied."""
    level = x.level
    key = key if isinstance(key, tuple) else (key,)
    key = tuple(np.asarray(k) if isinstance(k, list) else k for k in key)
    arrays = [i for i, k in enumerate(key) if _is_adv(k)]
    if not arrays:
        return (slice(None),) + key, None
    # with array indices, integers are advanced indices too
    adv = [i for i, k in enumerate(key) if _is_adv(k) or isinstance(k, int)]
    adjacent = adv == list(range(adv[0], adv[-1] + 1))
    shapes = [_adv_shape(key[i], level) for i in adv]
    r = len(np.broadcast_shapes(*shapes))
    batched = any(isinstance(key[i], BatchedArray) and key[i].level == level for i in adv)
    if batched:
        # the batch itself becomes the first advanced index: NumPy then puts the batch and the
        # advanced dimensions first
        size = x.batch_size
        new = [np.arange(size).reshape((size,) + (1,) * r)]
        for k in key:
            data, b = split(k, level)
            new.append(pad(data, r - k.ndim) if b else k)
        phys = tuple(new)
        if not adjacent:
            return phys, None
        before = _dims_before(key, adv[0], x.ndim)
        if before == 0:
            return phys, None
        # move the advanced block behind the dimensions that precede it in one example
        return phys, ("block", r, before)
    phys = (slice(None),) + key
    if adjacent:
        return phys, None
    return phys, ("front", r)  # NumPy put the advanced dimensions before the batch


def _dims_before(key, first: int, nd: int) -> int:
    ell = nd - sum(_consumed(k) for k in key)
    n = 0
    for k in key[:first]:
        if k is Ellipsis:
            n += ell
        elif k is None or isinstance(k, slice):
            n += 1
    return n


def _apply_fix(res, fix):
    if fix is None:
        return res
    nd = res.ndim
    if fix[0] == "front":
        return np.moveaxis(res, fix[1], 0)
    _, r, before = fix
    axes = [0] + list(range(r + 1, r + 1 + before)) + list(range(1, r + 1)) + \
        list(range(r + 1 + before, nd))
    return np.transpose(res, axes)


def _undo_fix(value, fix, nd):
    """The inverse of ``_apply_fix`` on a full-rank batch ``value``."""
    if fix is None:
        return value
    if fix[0] == "front":
        return np.moveaxis(value, 0, fix[1])
    _, r, before = fix
    axes = [0] + list(range(r + 1, r + 1 + before)) + list(range(1, r + 1)) + \
        list(range(r + 1 + before, nd))
    inverse = [0] * nd
    for i, a in enumerate(axes):
        inverse[a] = i
    return np.transpose(value, inverse)


class Selection(BatchedArray):
    """``x[mask]`` for a batched boolean mask: the selected elements of every example, flat.

    Ops select with a mask, compute elementwise and write back with the same mask
    (``out[m] = f(a[m])``); that is all a Selection allows, so it never mixes examples."""

    __slots__ = ()
    _duck_array = False  # never a tensor's data: it exists only inside an op's forward

    def __array__(self, dtype=None, copy=None):
        raise no_rule("indexing with a batched boolean mask",
                      " (each example would select a different number of elements)")

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return 1

    @property
    def size(self) -> int:
        return self.data.size

    def __array_namespace__(self, api_version=None):
        return np  # fresh arrays of its shape are flat selections too

    def min(self, *args, **kwargs):
        # NOTE: over every example's selected elements: ops use it only for heuristics
        # (choosing a series length), never as a value
        return np.min(physical(self.data))

    def max(self, *args, **kwargs):
        return np.max(physical(self.data))

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.copy,
                    np.where, np.clip):
            level = self.level
            plain = [a.data if isinstance(a, Selection) else a for a in args]
            return Selection(func(*plain, **kwargs), level)
        raise no_rule(f"numpy.{func.__name__} of elements picked by a batched boolean mask")


def selection_ufunc(ufunc, method, inputs, kwargs, level):
    if method != "__call__" or kwargs.get("out") is not None:
        raise no_rule(f"numpy.{ufunc.__name__}.{method} of elements picked by a batched "
                      f"boolean mask")
    plain = []
    for v in inputs:
        if isinstance(v, Selection):
            plain.append(v.data)
        elif isinstance(v, BatchedArray):
            raise no_rule("mixing elements picked by a batched boolean mask with a batched "
                          "array")
        else:
            plain.append(v)
    return Selection(ufunc(*plain, **kwargs), level)


def _mask_key(x, key):
    """The batched boolean mask when ``key`` is one (covering whole examples), else None."""
    k = key[0] if isinstance(key, tuple) and len(key) == 1 else key
    if isinstance(k, BatchedArray) and k.dtype == bool and k.level >= getattr(x, "level", 0):
        if k.shape != tuple(np.shape(x)):
            raise no_rule("indexing with a batched boolean mask of another shape than the "
                          "array")
        return k
    return None


def getitem(x: BatchedArray, key):
    mask = _mask_key(x, key)
    if mask is not None and mask.level == x.level:
        return Selection(x.data[mask.data], x.level)
    phys, fix = translate(x, key)
    return BatchedArray(_apply_fix(x.data[phys], fix), x.level)


def _value_for(x, phys, fix, value):
    """``value`` laid out to be written at ``x.data[phys]``."""
    data, batched = split(value, x.level)
    if fix is None:
        # basic indexing gives a view: its rank costs nothing to read
        return pad(data, x.data[phys].ndim - 1 - value.ndim) if batched else value
    target = x.data[phys]
    shape = _apply_fix(target, fix).shape
    full = np.broadcast_to(pad(data, len(shape) - 1 - value.ndim) if batched else value, shape)
    return _undo_fix(full, fix, len(shape))


def setitem(x: BatchedArray, key, value) -> None:
    mask = _mask_key(x, key)
    if mask is not None and mask.level == x.level:
        if isinstance(value, Selection):
            value = value.data
        elif isinstance(value, BatchedArray) or np.ndim(value) > 0:
            raise no_rule("writing an array through a batched boolean mask")
        x.data[mask.data] = value
        return
    phys, fix = translate(x, key)
    x.data[phys] = _value_for(x, phys, fix, value)


def ufunc_at(ufunc, a, indices, b=None):
    if not isinstance(a, BatchedArray):
        raise unbatched_write(f"numpy.{ufunc.__name__}.at", *_batch_of(indices, b))
    phys, fix = translate(a, indices)
    if b is None:
        ufunc.at(a.data, phys)
    else:
        ufunc.at(a.data, phys, _value_for(a, phys, fix, b))


def _batch_of(*values):
    """(level, batch size) of the innermost batched value among ``values`` (one level deep)."""
    found = None
    for v in values:
        for w in (v if isinstance(v, tuple) else (v,)):
            if isinstance(w, BatchedArray) and (found is None or w.level > found.level):
                found = w
    return found.level, found.batch_size
