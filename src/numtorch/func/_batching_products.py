"""Batching rules for joining, products (dot, tensordot, einsum, solve), gathers and scatters
along an axis, strided windows, and the array namespace a batched array hands out."""
from __future__ import annotations

import string

from .. import _backend as B
from ._batched import (
    BatchedArray,
    batch_size,
    level_of,
    materialize,
    no_rule,
    pad,
    split,
    unbatched_write,
)
from ._batching_rules import RULES, _matmul, _norm_axis
from ._indexing import _batch_of, getitem

np = B.np

__all__ = ["Namespace"]


# ---- joining ------------------------------------------------------------------------------------
def _concatenate(func, arrays, axis=0, out=None, **kwargs):
    if out is not None:
        raise no_rule("numpy.concatenate with out=")
    arrays = list(arrays)
    level = level_of(arrays)
    size = batch_size(arrays, level)
    datas = [materialize(x, level, size) for x in arrays]
    if axis is None:
        datas = [d.reshape(size, -1) for d in datas]
        ax = 1
    else:
        nd = arrays[0].ndim if hasattr(arrays[0], "ndim") else np.ndim(arrays[0])
        ax = _norm_axis(axis, nd + (1 if func is np.stack else 0))
    return BatchedArray(func(datas, axis=ax, **kwargs), level)


def _split_rule(func, ary, indices_or_sections, axis=0):
    level = ary.level
    return [BatchedArray(p, level)
            for p in func(ary.data, indices_or_sections, axis=_norm_axis(axis, ary.ndim))]


RULES[np.concatenate] = _concatenate
RULES[np.stack] = _concatenate
RULES[np.split] = _split_rule
RULES[np.array_split] = _split_rule


# ---- products -----------------------------------------------------------------------------------
def _dot(func, a, b, out=None):
    level = level_of((a, b))
    if out is not None:
        raise no_rule("numpy.dot with out=")
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return np.multiply(a, b)
    if np.ndim(a) > 2 or np.ndim(b) > 2:
        raise no_rule("numpy.dot of arrays with more than 2 dimensions")
    return _matmul(a, b, level, {})


def _einsum(func, subscripts, *operands, **kwargs):
    if not isinstance(subscripts, str):
        raise no_rule("numpy.einsum in the (operand, sublist) form")
    level = level_of(operands)
    subs = subscripts.replace(" ", "")
    if "->" in subs:
        ins, out = subs.split("->")
    else:
        ins = subs
        letters = ins.replace(",", "").replace(".", "")
        out = ("..." if "..." in ins else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    free = next(c for c in string.ascii_letters if c not in subs)
    new_ins, datas = [], []
    for s, op in zip(ins.split(","), operands):
        data, batched = split(op, level)
        new_ins.append(free + s if batched else s)
        datas.append(data)
    kwargs.setdefault("optimize", True)
    return BatchedArray(func(",".join(new_ins) + "->" + free + out, *datas, **kwargs), level)


def _tensordot(func, a, b, axes=2):
    level = level_of((a, b))
    nda, ndb = np.ndim(a), np.ndim(b)
    if isinstance(axes, int):
        ax_a, ax_b = list(range(nda - axes, nda)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int) else list(ax_b)
    ax_a = [x % nda for x in ax_a]
    ax_b = [x % ndb for x in ax_b]
    da, ba = split(a, level)
    db, bb = split(b, level)
    if ba and not bb:  # the batch is a free dimension of a: it comes out first
        return BatchedArray(np.tensordot(da, db, ([x + 1 for x in ax_a], ax_b)), level)
    if bb and not ba:  # free dimensions of a come first, then the batch
        res = np.tensordot(da, db, (ax_a, [x + 1 for x in ax_b]))
        return BatchedArray(np.moveaxis(res, nda - len(ax_a), 0), level)
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(nda)]
    sb = [next(letters) for _ in range(ndb)]
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in ax_a] + \
        [c for j, c in enumerate(sb) if j not in ax_b]
    return _einsum(np.einsum, "".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def _solve(func, a, b):
    level = level_of((a, b))
    da, ba = split(a, level)
    db, bb = split(b, level)
    vector = bb and b.ndim == 1
    if vector:
        db = db[..., None]
    ndb = 2 if vector else np.ndim(b)
    r = max(np.ndim(a), ndb if ndb >= 2 else 0)
    if ba:
        da = pad(da, r - a.ndim)
    if bb:
        db = pad(db, r - ndb)
    res = func(da, db)
    return BatchedArray(res[..., 0] if vector else res, level)


RULES[np.dot] = _dot
RULES[np.einsum] = _einsum
RULES[np.tensordot] = _tensordot
RULES[np.linalg.solve] = _solve


# ---- gathers and scatters -----------------------------------------------------------------------
def _lead(x, level):
    """``x`` ready to broadcast against a batch of arrays of its rank: batch first, or a
    leading size-1 dimension."""
    data, batched = split(x, level)
    return data if batched else np.expand_dims(x, 0)


def _take_along_axis(func, arr, indices, axis=-1):
    level = level_of((arr, indices))
    da, di = _lead(arr, level), _lead(indices, level)
    if axis is None:
        da, di = da.reshape(da.shape[0], -1), di.reshape(di.shape[0], -1)
        ax = 1
    else:
        ax = _norm_axis(axis, np.ndim(arr))
    if da.shape[0] != di.shape[0]:  # np.take_along_axis broadcasts the other dimensions only
        size = max(da.shape[0], di.shape[0])
        da = np.broadcast_to(da, (size,) + da.shape[1:])
        di = np.broadcast_to(di, (size,) + di.shape[1:])
    return BatchedArray(func(da, di, axis=ax), level)


def _put_along_axis(func, arr, indices, values, axis):
    level = level_of((arr, indices, values))
    data, batched = split(arr, level)
    if not batched:
        raise unbatched_write("numpy.put_along_axis", *_batch_of(indices, values))
    di = _lead(indices, level)
    dv, bv = split(values, level)
    if bv:
        dv = pad(dv, np.ndim(indices) - values.ndim)
    func(data, di, dv, axis=_norm_axis(axis, arr.ndim))


def _take(func, a, indices, axis=None, out=None, mode="raise"):
    level = level_of((a, indices))
    if out is not None:
        raise no_rule("numpy.take with out=")
    da, ba = split(a, level)
    _, bi = split(indices, level)
    if not bi:
        if axis is None:
            return BatchedArray(np.take(da.reshape(da.shape[0], -1), indices, axis=1,
                                        mode=mode), level)
        return BatchedArray(np.take(da, indices, axis=_norm_axis(axis, a.ndim), mode=mode),
                            level)
    x = BatchedArray(materialize(a, level, indices.batch_size), level)
    if axis is None:
        x, axis = x.reshape(-1), 0
    n = x.shape[axis]
    if mode == "wrap":
        indices = indices % n
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    return getitem(x, (slice(None),) * (axis % x.ndim) + (indices,))


def _copyto(func, dst, src, casting="same_kind", where=True):
    level = level_of((dst, src, where))
    dd, bd = split(dst, level)
    if not bd:
        raise unbatched_write("numpy.copyto", *_batch_of(src, where))
    ds, bs = split(src, level)
    if bs:
        ds = pad(ds, dst.ndim - src.ndim)
    dw, bw = split(where, level)
    if bw:
        dw = pad(dw, dst.ndim - where.ndim)
    np.copyto(dd, ds, casting=casting, where=dw)


def _sliding_window_view(func, x, window_shape, axis=None, **kwargs):
    nd = x.ndim
    if axis is None:
        axis = tuple(range(nd))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    return BatchedArray(func(x.data, window_shape, axis=tuple(_norm_axis(a, nd) for a in axes),
                             **kwargs), x.level)


RULES[np.take_along_axis] = _take_along_axis
RULES[np.put_along_axis] = _put_along_axis
RULES[np.take] = _take
RULES[np.copyto] = _copyto
RULES[np.lib.stride_tricks.sliding_window_view] = _sliding_window_view


def as_strided(x, shape=None, strides=None, subok=False, writeable=True):
    """np.lib.stride_tricks.as_strided for a batched ``x`` (one example's shape and strides)."""
    if not isinstance(x, BatchedArray):
        return np.lib.stride_tricks.as_strided(x, shape, strides, subok, writeable)
    data = x.data  # a plain array, or the batch of an outer vmap (then strided in turn)
    return BatchedArray(as_strided(
        data, (data.shape[0],) + tuple(shape), (data.strides[0],) + tuple(strides),
        subok, writeable), x.level)


# ---- the namespace ------------------------------------------------------------------------------
class _StrideTricks:
    as_strided = staticmethod(as_strided)
    sliding_window_view = staticmethod(np.lib.stride_tricks.sliding_window_view)


class _Lib:
    stride_tricks = _StrideTricks

    def __getattr__(self, name):
        return getattr(np.lib, name)


class Namespace:
    """What ``array_module`` gives for a batched array: NumPy, except that arrays an op makes
    from scratch (zeros, ones, empty, full) are batched like the op's input, since each
    example fills its own, and asarray passes batched arrays through."""

    __slots__ = ("_like",)
    lib = _Lib()

    def __init__(self, like):
        self._like = like

    def __getattr__(self, name):
        return getattr(np, name)

    def asarray(self, a, dtype=None, **kwargs):
        if isinstance(a, BatchedArray):
            return a if dtype is None else a.astype(dtype, copy=False)
        return np.asarray(a, dtype, **kwargs)

    def array(self, a, dtype=None, copy=True, **kwargs):
        if isinstance(a, BatchedArray):
            return a.astype(dtype or a.dtype, copy=copy)
        return np.array(a, dtype, copy=copy, **kwargs)

    def take(self, a, indices, axis=None, out=None, mode="raise"):
        # NumPy hands take() to a batched array only when it is ``a``, not ``indices``
        if isinstance(indices, BatchedArray) or isinstance(a, BatchedArray):
            return _take(np.take, a, indices, axis, out, mode)
        return np.take(a, indices, axis, out, mode)

    def _fresh(self, make, shape, *args, **kwargs):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        like = self._like
        inner = like.data
        if isinstance(inner, BatchedArray):  # nested vmaps: batched at every level
            data = getattr(Namespace(inner), make)((like.batch_size,) + shape, *args, **kwargs)
        else:
            data = getattr(np, make)((like.batch_size,) + shape, *args, **kwargs)
        return BatchedArray(data, like.level)

    def zeros(self, shape, dtype=float, order="C"):
        return self._fresh("zeros", shape, dtype)

    def ones(self, shape, dtype=float, order="C"):
        return self._fresh("ones", shape, dtype)

    def empty(self, shape, dtype=float, order="C"):
        return self._fresh("empty", shape, dtype)

    def full(self, shape, fill_value, dtype=None, order="C"):
        if isinstance(fill_value, BatchedArray):
            out = self._fresh("empty", shape, dtype or fill_value.dtype)
            out[...] = fill_value
            return out
        return self._fresh("full", shape, fill_value, dtype)
