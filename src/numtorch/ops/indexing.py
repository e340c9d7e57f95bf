"""Indexing: ``x[key]`` (a view for basic keys), ``x[key] = value``, select/narrow/take and
index_select, all through one ``Index`` op and its inverse."""
from __future__ import annotations

import operator

from .. import _backend as B
from .. import _tensor
from ..autograd.function import Function
from ..autograd.jvp_rules import linear_jvp
from ._util import wrap_dim
from .shape import as_view, reshape

__all__ = ["Index", "IndexPutAccumulate", "IndexPut", "CopySlices", "Select", "Slice", "Take",
           "IndexSelect", "is_basic", "array_key", "getitem", "setitem", "unbind", "select",
           "narrow", "take", "index_select"]


class TwoStep(tuple):
    """A key applied in two steps, ``a[basic][advanced]``: PyTorch applies integer indices
    before advanced ones, so ``x[0, :, [0, 1]]`` has shape (x.shape[1], 2) where NumPy's
    single step would give (2, x.shape[1])."""

    def get(self, a):
        return a[self[0]][self[1]]


def _get(a, key):
    return key.get(a) if isinstance(key, TwoStep) else a[key]


def _target(a, key):
    """(array, key) such that ``array[key]`` is where ``a[key]`` writes."""
    return (a[key[0]], key[1]) if isinstance(key, TwoStep) else (a, key)


def _empty_result(a, key):
    """``a[key]`` when it selects no element although an index is out of range (PyTorch
    checks indices only for elements it reads); None otherwise."""
    def clear(k):
        if isinstance(k, tuple):
            return tuple(clear(p) for p in k)
        return k * 0 if hasattr(k, "dtype") and k.dtype.kind in "iu" else k
    try:
        out = _get(a, TwoStep(clear(tuple(key))) if isinstance(key, TwoStep) else clear(key))
    except IndexError:
        return None
    return out if getattr(out, "size", 1) == 0 else None


def write(a, key, v):
    """``a[key] = v`` in place, with PyTorch's key rules."""
    target, k = (a[key[0]], key[1]) if isinstance(key, TwoStep) else (a, key)  # _target
    try:
        target[k] = v
    except IndexError:
        if _empty_result(a, key) is None:
            raise


def _key_part(k):
    Tensor = _tensor.Tensor
    if isinstance(k, Tensor):
        if k._dtype.is_floating_point:
            raise IndexError(f"tensors used as indices must be long, int, byte or bool "
                             f"tensors, got {k.dtype}")
        a = k._data
        if k._dtype is B.uint8:
            return a.astype(bool)  # a byte tensor is a mask, as in PyTorch
        if a.ndim == 0 and a.dtype.kind in "iu" and not B.is_duck_array(a):
            return int(a)  # (a batched index inside vmap stays an array: one per example)
        return a
    if isinstance(k, (bool, int, slice, type(None), type(Ellipsis))):
        if isinstance(k, slice):
            if k.step is not None and operator.index(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            return slice(*(None if v is None else operator.index(v)
                           for v in (k.start, k.stop, k.step)))
        return k
    if isinstance(k, (list, tuple)) or hasattr(k, "dtype"):
        a = (k if B.is_gpu_array(k) else
             B.np.asarray([p._data if isinstance(p, Tensor) else p for p in k]
                          if isinstance(k, (list, tuple)) else k))
        if a.size == 0 and a.dtype.kind == "f":
            return a.astype(B.int64.np)
        if a.dtype.kind not in "biu":
            raise IndexError(f"tensors used as indices must be long, int, byte or bool "
                             f"tensors, got {a.dtype}")
        return int(a) if a.ndim == 0 and a.dtype.kind in "iu" else a
    try:
        return operator.index(k)
    except TypeError:
        raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                         f"byte Variables are valid indices (got {type(k).__name__})") from None


def _split_ints(parts):
    """``parts`` with ints and advanced indices: (ints and slices, the rest) as a TwoStep."""
    first, second = [], []
    for p in parts:
        if isinstance(p, bool) or p is None:
            second.append(p)
        elif isinstance(p, int):
            first.append(p)
        elif p is Ellipsis:
            first.append(p)
            second.append(p)
        elif isinstance(p, slice):
            first.append(p)
            second.append(slice(None))
        else:  # an index array consumes one dim, a mask as many as it has
            n = p.ndim if p.dtype.kind == "b" else 1
            first += [slice(None)] * n
            second.append(p)
    return TwoStep((tuple(first), tuple(second)))


def _expand_ellipsis(parts, ndim):
    """``parts`` with the Ellipsis written out as slices: PyTorch does so before it places
    advanced-index dims, so an Ellipsis that covers no dim does not separate them."""
    used = sum(0 if p is None or p is Ellipsis or isinstance(p, bool) else
               p.ndim if hasattr(p, "dtype") and p.dtype.kind == "b" else 1 for p in parts)
    i = next(i for i, p in enumerate(parts) if p is Ellipsis)
    return parts[:i] + (slice(None),) * max(ndim - used, 0) + parts[i + 1:]


def array_key(key, ndim=None):
    """An indexing key with tensors replaced by arrays, in PyTorch's meaning (for a tensor
    with ``ndim`` dims)."""
    if isinstance(key, _tensor.Tensor):  # a mask or an index tensor, the common case
        return _key_part(key)
    if isinstance(key, TwoStep):
        return key
    if isinstance(key, list) and any(isinstance(k, (_tensor.Tensor, list, tuple, slice))
                                     or k is None or k is Ellipsis for k in key):
        key = tuple(key)  # PyTorch (deprecated) reads such a list as a tuple of indices
    if not isinstance(key, tuple):
        return _key_part(key)
    parts = tuple(_key_part(k) for k in key)
    if not any(hasattr(p, "dtype") for p in parts):
        return parts
    if ndim is not None and any(p is Ellipsis for p in parts):
        parts = _expand_ellipsis(parts, ndim)
    if any(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        return _split_ints(parts)
    return parts


def is_basic(key) -> bool:
    if isinstance(key, TwoStep):
        return False
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class Index(Function):
    """z = x[key];  dz/dx = the gradient placed back at the indexed positions (summed where an
    index repeats)."""

    _raw = True
    _num_inputs = 1
    _node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        try:
            out = _get(x, key)
            if not B.is_array(out):
                # NumPy gives a scalar copy when ints pick one element; PyTorch gives a 0-d
                # view, which an Ellipsis makes NumPy give too
                out = x[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
            return out
        except IndexError as e:
            empty = _empty_result(x, key)
            if empty is not None:
                return empty
            raise IndexError(f"index {key!r} is out of bounds for a tensor of shape "
                             f"{tuple(x.shape)}: {e}") from None

    @staticmethod
    def backward(ctx, grad_output):
        return IndexPutAccumulate.apply(grad_output, ctx.shape, ctx.key), None

    jvp = staticmethod(linear_jvp)


class Select(Index):
    """x.select(dim, i): Index under PyTorch's node name."""

    _node_name = "SelectBackward0"


class Slice(Index):
    """x.narrow(dim, start, length): Index under PyTorch's node name."""

    _node_name = "SliceBackward0"


class Take(Index):
    """x.take(index) (on the flattened x): Index under PyTorch's node name."""

    _node_name = "TakeBackward0"


class IndexSelect(Index):
    """x.index_select(dim, index): Index under PyTorch's node name."""

    _node_name = "IndexSelectBackward0"


class IndexPutAccumulate(Function):
    """z = zeros(shape) with g added at x[key];  dz/dg = z's gradient read back at key."""

    _raw = True
    _num_inputs = 1
    _node_name = "IndexPutAccumulateBackward0"

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        xp = B.array_module(g)
        out = xp.zeros(shape, g.dtype)
        if g.size == 0:
            return out  # nothing to place (the key may even be out of range)
        target, k = _target(out, key)
        if is_basic(k) or getattr(getattr(k, "dtype", None), "kind", "") == "b":
            target[k] = g
        else:
            xp.add.at(target, k, g)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return Index.apply(grad_output, ctx.key), None, None

    jvp = staticmethod(linear_jvp)


class IndexPut(Function):
    """z = x with z[key] = v;  dz/dx = the gradient with zeros at key, dz/dv = it read at key."""

    _raw = True
    _num_inputs = 2
    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, key):
        ctx.key = key
        out = x.copy()
        write(out, key, v)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = grad_output.clone()
            gx[ctx.key] = 0
        if ctx.needs_input_grad[1]:
            gv = Index.apply(grad_output, ctx.key)  # summed to v's shape by the engine
        return gx, gv, None

    @staticmethod
    def jvp(ctx, tx, tv, key):
        x, v = ctx.fw_inputs[:2]
        tx = tx if tx is not None else x.new_zeros(x.shape)
        if tv is None:  # a number, or a tensor without tangent: zeros are written at key
            tv = v.new_zeros(v.shape) if hasattr(v, "new_zeros") else 0.0
        return ctx._forward_cls.apply(tx, tv, ctx.key)


class CopySlices(IndexPut):
    """IndexPut through a view or a basic key (ints, slices): PyTorch's node name for it."""

    _node_name = "CopySlices"


def getitem(x, key):
    key = array_key(key, x.dim())
    out = Index.apply(x, key)
    return as_view(out, x) if is_basic(key) else out


def setitem(x, key, value):
    indexput_(x, array_key(key, x._data.ndim), value)


def unbind(x, dim=0):
    from .joining import unbind
    return unbind(x, dim)


def select(x, dim, index):
    if x.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.dim(), "select")
    n = x._data.shape[d]
    i = operator.index(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{list(x.shape)} at dimension {d}")
    return as_view(Select.apply(x, (slice(None),) * d + (i,)), x)


def narrow(x, dim, start, length):
    if x.dim() == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.dim(), "narrow")
    n = x._data.shape[d]
    start, length = operator.index(start), operator.index(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but "
                         f"got {start})")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return as_view(Slice.apply(x, (slice(None),) * d + (slice(start, start + length),)), x)


def _index_array(index, op):
    if not isinstance(index, _tensor.Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._dtype not in (B.int64, B.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index, got "
                           f"{index.dtype}")
    return index._data


def take(x, index):
    if not isinstance(index, _tensor.Tensor) or index._dtype is not B.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{getattr(index, 'dtype', type(index).__name__)}")
    n = x.numel()
    a = index._data
    if a.size and (a.max() >= n or a.min() < -n):
        bad = a.max() if a.max() >= n else a.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         f"elements.")
    return Take.apply(reshape(x, (-1,)), (a,))


def index_select(x, dim, index):
    a = _index_array(index, "index_select")
    if a.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = wrap_dim(dim, x.dim(), "index_select")
    if x.dim() == 0:  # a 0-d tensor is indexed as if it had one element
        return reshape(IndexSelect.apply(reshape(x, (1,)), (a.reshape(-1),)), a.shape)
    return IndexSelect.apply(x, (slice(None),) * d + (a.reshape(-1),))


# inplace imports this module too: bound once, here, rather than by an import on every x[k] = v
from .inplace import indexput_  # noqa: E402
