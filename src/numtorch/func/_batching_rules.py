"""Batching rules: how each NumPy ufunc and function runs on a whole batch in one call.

Categories: elementwise ufuncs and broadcasting functions (align ranks, batch first);
reductions, scans and other functions of an axis (shift the axis past the batch); shape
functions (shift or extend the shape); joining (batch every operand); matmul, dot, einsum,
tensordot and the stacked linalg routines; gather/scatter along an axis; fresh arrays made
through the array's namespace (batched, as they belong to each example).
"""
from __future__ import annotations

from .. import _backend as B
from ._batched import (
    BatchedArray,
    batch_size,
    level_of,
    materialize,
    ndim,
    no_rule,
    pad,
    physical,
    split,
    unbatched_write,
)
from ._indexing import Selection, _batch_of, selection_ufunc, ufunc_at

np = B.np

__all__ = ["ufunc_rule", "RULES", "Namespace", "align", "wrap"]

RULES = {}


def wrap(res, level):
    if isinstance(res, tuple):
        return tuple(wrap(r, level) for r in res)
    if isinstance(res, list):
        return [wrap(r, level) for r in res]
    return BatchedArray(res, level)


def align(values, level):
    """Operands of a broadcasting call, batched ones padded to the common rank (batch first)."""
    r = max((ndim(v) for v in values if v is not None), default=0)
    out = []
    for v in values:
        data, batched = split(v, level)
        out.append(pad(data, r - v.ndim) if batched else v)
    return out


# ---- ufuncs ------------------------------------------------------------------------------------
def ufunc_rule(ufunc, method, inputs, kwargs):
    level = level_of(inputs + tuple(kwargs.get("out", ()) or ()))
    if method == "at":
        return ufunc_at(ufunc, *inputs)
    if method in ("reduce", "accumulate"):
        x = inputs[0]
        data, batched = split(x, level)
        if not batched or kwargs.get("out") is not None:
            raise no_rule(f"numpy.{ufunc.__name__}.{method} with a batched out=")
        axis = kwargs.pop("axis", 0)
        kwargs["axis"] = _shift(axis, x.ndim, "all")
        return BatchedArray(getattr(ufunc, method)(data, **kwargs), level)
    if method != "__call__":
        raise no_rule(f"numpy.{ufunc.__name__}.{method}")
    if any(type(v) is Selection and v.level == level for v in inputs):
        return selection_ufunc(ufunc, method, inputs, kwargs, level)
    if ufunc is np.matmul:
        return _matmul(inputs[0], inputs[1], level, kwargs)
    out = kwargs.get("out")
    where = kwargs.get("where", True)
    extra = list(out or ()) + ([where] if where is not True else [])
    aligned = align(list(inputs) + extra, level)
    n = len(inputs)
    if out:
        for o in out:
            if not (isinstance(o, BatchedArray) and o.level == level):
                raise unbatched_write(f"numpy.{ufunc.__name__} with out=",
                                      *_batch_of(*inputs))
        kwargs["out"] = tuple(aligned[n:n + len(out)])
    if where is not True:
        kwargs["where"] = aligned[-1]
    res = ufunc(*aligned[:n], **kwargs)
    if out:
        return out[0] if len(out) == 1 else tuple(out)
    return wrap(res, level)


def _matmul(a, b, level, kwargs):
    out = kwargs.pop("out", None)
    if kwargs:
        raise no_rule("numpy.matmul with options other than out=")
    if out is not None:  # an op's workspace: batched when the op made it (Namespace.empty)
        o = out[0] if isinstance(out, tuple) else out
        if not (isinstance(o, BatchedArray) and o.level == level):
            raise unbatched_write("numpy.matmul with out=", *_batch_of(a, b))
        res = _matmul(a, b, level, {})
        np.copyto(o.data, res.data)
        return o
    da, ba = split(a, level)
    db, bb = split(b, level)
    squeeze_a = ba and a.ndim == 1
    squeeze_b = bb and b.ndim == 1
    if squeeze_a:
        da = da[:, None, :]
    if squeeze_b:
        db = db[..., None]
    nda = 2 if squeeze_a else a.ndim
    ndb = 2 if squeeze_b else b.ndim
    r = max(nda if nda >= 2 else 0, ndb if ndb >= 2 else 0)
    if ba:
        da = pad(da, r - nda)
    if bb:
        db = pad(db, r - ndb)
    res = np.matmul(da, db)
    if squeeze_a:
        res = res.squeeze(-2 if db.ndim >= 2 else -1)
    if squeeze_b:
        res = res.squeeze(-1)
    return BatchedArray(res, level)


# ---- axes ---------------------------------------------------------------------------------------
def _norm_axis(a, nd):
    if not -max(nd, 1) <= a < max(nd, 1):
        raise np.exceptions.AxisError(f"axis {a} is out of bounds for array of dimension {nd}")
    return a % nd + 1 if nd else 1


def _shift(axis, nd, none_mode):
    """``axis`` of one example as an axis of the batch. ``none_mode`` says what None means:
    "all" axes, or None kept (the caller flattened the example)."""
    if axis is None:
        return tuple(range(1, nd + 1)) if none_mode == "all" else None
    if isinstance(axis, (tuple, list)):
        return tuple(_norm_axis(a, nd) for a in axis)
    return _norm_axis(axis, nd)


def _axis_rule(pos: int, default, none_mode: str, keep_shape: bool = False):
    """A rule for ``f(a, ..., axis, ...)`` with ``axis`` the ``pos``-th positional argument.

    none_mode "all": None means every axis; "flatten": None flattens each example first (and,
    with ``keep_shape``, the result gets the example's shape back)."""
    def rule(func, a, *args, **kwargs):
        level = level_of((a,) + args + tuple(kwargs.values()))
        data, batched = split(a, level)
        if not batched:
            raise no_rule(f"numpy.{func.__name__} with a batched argument other than the array")
        args = list(args)
        if len(args) >= pos:
            axis = args[pos - 1]
        else:
            axis = kwargs.get("axis", default)
        if kwargs.get("out") is not None:
            raise no_rule(f"numpy.{func.__name__} with out=")
        nd = a.ndim
        if axis is None and none_mode == "flatten":
            data = data.reshape(data.shape[0], -1)
            new_axis = 1
        elif axis is None and none_mode == "squeeze":
            new_axis = tuple(i + 1 for i, s in enumerate(a.shape) if s == 1)
        else:
            new_axis = _shift(axis, nd, none_mode)
        if len(args) >= pos:
            args[pos - 1] = new_axis
        else:
            kwargs["axis"] = new_axis
        res = func(data, *args, **kwargs)
        if keep_shape and axis is None:
            res = res.reshape(data.shape[:1] + a.shape)
        return wrap(res, level)
    return rule


for _f in (np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.any, np.all,
           np.std, np.var, np.nansum, np.nanmean, np.nanmax, np.nanmin, np.median,
           np.count_nonzero, np.ptp):
    RULES[_f] = _axis_rule(1, None, "all")
def _truth_rule(func):
    base = _axis_rule(1, None, "all")

    def rule(f, a, *args, **kwargs):
        res = base(f, a, *args, **kwargs)
        if res.ndim == 0:
            res.truth = func
        return res
    return rule


RULES[np.any] = _truth_rule(np.any)
RULES[np.all] = _truth_rule(np.all)
for _f in (np.argmax, np.argmin, np.cumsum, np.cumprod, np.nancumsum):
    RULES[_f] = _axis_rule(1, None, "flatten")
for _f in (np.sort, np.argsort):
    RULES[_f] = _axis_rule(1, -1, "flatten")
RULES[np.partition] = _axis_rule(2, -1, "flatten")
RULES[np.argpartition] = _axis_rule(2, -1, "flatten")
RULES[np.flip] = _axis_rule(1, None, "all")
RULES[np.diff] = _axis_rule(2, -1, "all")
RULES[np.repeat] = _axis_rule(2, None, "flatten")
RULES[np.roll] = _axis_rule(2, None, "flatten", keep_shape=True)
RULES[np.squeeze] = _axis_rule(1, None, "squeeze")
RULES[np.linalg.norm] = _axis_rule(2, None, "flatten")


def _expand_dims(func, a, axis):
    level = a.level
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    nd = a.ndim + len(axes)
    return BatchedArray(np.expand_dims(a.data, tuple(_norm_axis(x, nd) for x in axes)), level)


RULES[np.expand_dims] = _expand_dims


# ---- shape functions ----------------------------------------------------------------------------
def _reshape(func, a, shape=None, order="C", **kwargs):
    shape = kwargs.get("newshape", shape)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return BatchedArray(np.reshape(a.data, (a.data.shape[0],) + shape, order=order), a.level)


def _transpose(func, a, axes=None):
    nd = a.ndim
    axes = range(nd - 1, -1, -1) if axes is None else axes
    return BatchedArray(np.transpose(a.data, (0,) + tuple(_norm_axis(x, nd) for x in axes)),
                        a.level)


def _swapaxes(func, a, axis1, axis2):
    nd = a.ndim
    return BatchedArray(np.swapaxes(a.data, _norm_axis(axis1, nd), _norm_axis(axis2, nd)),
                        a.level)


def _moveaxis(func, a, source, destination):
    nd = a.ndim
    return BatchedArray(np.moveaxis(a.data, _shift(source, nd, "all"),
                                    _shift(destination, nd, "all")), a.level)


def _broadcast_to(func, a, shape, subok=False):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    data = pad(a.data, len(shape) - a.ndim)
    return BatchedArray(np.broadcast_to(data, data.shape[:1] + shape), a.level)


def _ravel(func, a, order="C"):
    return BatchedArray(a.data.reshape(a.data.shape[0], -1), a.level)


def _matrix_op(func, a, *args, **kwargs):
    """Functions of the last two dimensions (tril, triu) and stacked linalg routines."""
    level = level_of((a,) + args)
    data, batched = split(a, level)
    if not batched or any(isinstance(x, BatchedArray) for x in args):
        raise no_rule(f"numpy.{func.__name__} with batched arguments other than the array")
    if a.ndim < 2 and func in (np.tril, np.triu):
        raise no_rule(f"numpy.{func.__name__} of a 1-D array")
    return wrap(func(data, *args, **kwargs), level)


def _diagonal(func, a, offset=0, axis1=0, axis2=1):
    nd = a.ndim
    return BatchedArray(np.diagonal(a.data, offset, _norm_axis(axis1, nd),
                                    _norm_axis(axis2, nd)), a.level)


def _trace(func, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    nd = a.ndim
    return BatchedArray(np.trace(a.data, offset, _norm_axis(axis1, nd), _norm_axis(axis2, nd),
                                 dtype), a.level)


def _pad(func, array, pad_width, mode="constant", **kwargs):
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (array.ndim, 2))
    widths = ((0, 0),) + tuple(tuple(int(v) for v in w) for w in widths)
    return BatchedArray(np.pad(array.data, widths, mode, **kwargs), array.level)


def _elementwise(func, a, *args, **kwargs):
    """Functions that act on each element alone (round, nan_to_num, copy, ...)."""
    level = level_of((a,) + args)
    data, batched = split(a, level)
    if not batched:
        raise no_rule(f"numpy.{func.__name__} with a batched option")
    return BatchedArray(func(data, *args, **kwargs), level)


def _like(func, a, *args, shape=None, **kwargs):
    data, _ = split(a, a.level)
    if shape is not None:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        kwargs["shape"] = data.shape[:1] + shape
    return BatchedArray(func(data, *args, **kwargs), a.level)


def _broadcasting(func, *args, **kwargs):
    """Functions whose array arguments broadcast together (where, clip, isclose)."""
    level = level_of(args + tuple(kwargs.values()))
    arrays = [i for i, v in enumerate(args) if v is not None and not isinstance(v, str)]
    aligned = align([args[i] for i in arrays], level)
    args = list(args)
    for i, v in zip(arrays, aligned):
        args[i] = v
    if kwargs.get("out") is not None:
        raise no_rule(f"numpy.{func.__name__} with out=")
    return BatchedArray(func(*args, **kwargs), level)


def _where(func, cond, *xy):
    if not xy:
        raise no_rule("numpy.where with one argument (nonzero)",
                      " (each example has its own number of nonzero elements)")
    return _broadcasting(func, cond, *xy)


def _tile(func, a, reps):
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    data = pad(a.data, len(reps) - a.ndim)
    reps = (1,) * (data.ndim - 1 - len(reps)) + reps
    return BatchedArray(np.tile(data, (1,) + reps), a.level)


RULES[np.tile] = _tile


def _unravel_index(func, indices, shape, order="C"):
    return tuple(BatchedArray(p, indices.level)
                 for p in np.unravel_index(indices.data, shape, order=order))


def _ravel_multi_index(func, multi_index, dims, mode="raise", order="C"):
    level = level_of(tuple(multi_index))
    size = batch_size(tuple(multi_index), level)
    parts = [materialize(m, level, size) for m in multi_index]
    return BatchedArray(np.ravel_multi_index(parts, dims, mode=mode, order=order), level)


RULES[np.unravel_index] = _unravel_index
RULES[np.ravel_multi_index] = _ravel_multi_index


def _data_dependent(func, *args, **kwargs):
    raise no_rule(f"numpy.{func.__name__}",
                  " (its output shape depends on each example's values)")


for _f, _rule in ((np.reshape, _reshape), (np.transpose, _transpose), (np.swapaxes, _swapaxes),
                  (np.moveaxis, _moveaxis), (np.broadcast_to, _broadcast_to),
                  (np.ravel, _ravel), (np.diagonal, _diagonal), (np.trace, _trace),
                  (np.pad, _pad), (np.where, _where), (np.clip, _broadcasting),
                  (np.isclose, _broadcasting)):
    RULES[_f] = _rule
for _f in (np.tril, np.triu, np.linalg.inv, np.linalg.det, np.linalg.slogdet,
           np.linalg.cholesky, np.linalg.qr, np.linalg.svd, np.linalg.eigh, np.linalg.eigvalsh,
           np.linalg.pinv, np.linalg.matrix_rank, np.linalg.eig, np.linalg.eigvals):
    RULES[_f] = _matrix_op
for _f in (np.round, np.around, np.nan_to_num, np.copy, np.ascontiguousarray, np.real,
           np.asfortranarray, np.real_if_close, np.isposinf, np.isneginf, np.fix, np.sinc,
           np.i0, np.angle):
    RULES[_f] = _elementwise
for _f in (np.zeros_like, np.ones_like, np.empty_like, np.full_like):
    RULES[_f] = _like
for _f in (np.nonzero, np.unique, np.bincount, np.argwhere, np.flatnonzero,
           np.searchsorted, np.allclose, np.array_equal, np.ix_, np.extract, np.compress):
    RULES[_f] = _data_dependent
RULES[np.ndim] = lambda func, a: a.ndim
RULES[np.shape] = lambda func, a: a.shape
RULES[np.size] = lambda func, a, axis=None: a.size if axis is None else a.shape[axis]
RULES[np.result_type] = lambda func, *args: np.result_type(
    *[a.dtype if isinstance(a, BatchedArray) else a for a in args])
RULES[np.can_cast] = lambda func, a, *args, **kw: np.can_cast(
    a.dtype if isinstance(a, BatchedArray) else a, *args, **kw)
RULES[np.may_share_memory] = lambda func, a, b, max_work=None: np.may_share_memory(
    physical(a), physical(b))
RULES[np.shares_memory] = lambda func, a, b, max_work=None: np.shares_memory(
    physical(a), physical(b))
RULES[np.iscomplexobj] = lambda func, a: False
RULES[np.isrealobj] = lambda func, a: True


from . import _batching_products  # noqa: E402, F401 (registers the remaining rules)
from ._batching_products import Namespace  # noqa: E402
