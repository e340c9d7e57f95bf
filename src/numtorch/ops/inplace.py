"""In-place ops: checks, the version bump, and rebasing a tensor's history onto the new op."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from ..autograd import forward_ad as _fw
from ..autograd.check_mode import _locked, unlock
from ..autograd.grad_mode import _state

__all__ = ["binary_", "unary_", "fill_", "copy_", "indexput_", "apply_"]


def _records(t, *others) -> bool:
    """Whether this in-place op must be recorded for backward (and is allowed at all)."""
    if not _state.enabled:
        return False
    Tensor = _tensor.Tensor
    if not t._requires_grad:
        for o in others:
            if isinstance(o, Tensor) and o._requires_grad:
                break
        else:
            return False
    if t._grad_fn is None and t._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. Wrap "
            "the update in `with numtorch.no_grad():` (as optimizers do), or work on a copy: "
            "x = x.clone()")
    base = t._base
    if base is not None and t.__dict__.get("_multi_view"):
        raise RuntimeError(
            "a view that is one of several outputs of one function (split, chunk, unbind) is "
            "being modified in place, which autograd does not allow. Use the out-of-place form, "
            "or index the tensor instead (x[i], x.narrow(...)), which gives a single view.")
    if base is not None and base._grad_fn is None and base._requires_grad and t._requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with numtorch.no_grad():`, or clone the leaf first.")
    return True


def _snapshot(t):
    """A copy of ``t`` with its history, so the op saves the value before it is overwritten."""
    if t._view_version is not None and t._view_version != t._vc[0] and t._requires_grad:
        refresh_view(t)  # the base changed in place since this view was made
    s = _tensor.Tensor._make(t._data.copy(), t._requires_grad)
    s._grad_fn, s._output_nr = t._grad_fn, t._output_nr
    s._accum_ref = t._accum_ref
    if t._fw_grad is not None:  # forward-mode AD: the op reads the old tangent too, and
        _fw._set_tangent(s, t._fw_grad.clone())  # t's is about to be overwritten in place
    return s


def _dual(*tensors) -> bool:
    """Whether a write must carry tangents (a dual level is active and one has a tangent)."""
    Tensor = _tensor.Tensor
    return _fw._enabled and any(isinstance(x, Tensor) and x._fw_grad is not None
                                for x in tensors)


def _write(t, result, op):
    """Store ``result``'s values in ``t``; PyTorch refuses results of a higher category."""
    if _locked:
        unlock(t._data)  # check mode made it read-only while saved; numtorch may still write
    if not B.writeable(t._data):
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor "
            f"refers to a single memory location (it was made by expand()). Call .clone() "
            f"before writing to it.")
    if result._dtype.category > t._dtype.category:
        raise RuntimeError(
            f"{op}: result type {result._dtype._legacy[:-6]} can't be cast to the desired "
            f"output type {t._dtype._legacy[:-6]}; make the tensor {result.dtype} first "
            f"(x = x.to({result.dtype})) or use the out-of-place form")
    if result._data.shape != t._data.shape:
        raise RuntimeError(f"{op}: output with shape {list(t.shape)} doesn't match the "
                           f"broadcast shape {list(result.shape)}")
    B.array_module(t._data).copyto(t._data, result._data, casting="unsafe")
    t._vc[0] += 1
    if _fw._enabled:
        _fw.write_tangent(t, result)


def _rebase(t, result, op):
    """Write ``result`` into ``t`` and make it ``t``'s history."""
    base = t._base
    if base is not None and (t._requires_grad or not base._requires_grad):
        return _rebase_view(t, base, result, op)
    _write(t, result, op)
    t._grad_fn, t._output_nr, t._requires_grad = result._grad_fn, result._output_nr, True
    return t


def _rebase_view(t, base, result, op):
    """``t`` is a view of ``base``: record ``base[positions of t] = result`` as the base's new
    history (an IndexPut), and make ``t`` the base read back at those positions."""
    from .indexing import CopySlices, Index
    key = _view_key(t._data, base._data)
    if key is None:
        raise RuntimeError(
            f"{op}: unsupported operation: more than one element of the written-to tensor "
            f"refers to a single memory location. Call .clone() before writing to it.")
    new_base = CopySlices.apply(base, result, key)
    _write(t, result, op)  # the values land in the base's memory; the counter is shared
    base._grad_fn, base._output_nr, base._requires_grad = new_base._grad_fn, 0, True
    t._grad_fn, t._output_nr, t._requires_grad = Index.apply(base, key)._grad_fn, 0, True
    t._view_version = t._vc[0]
    return t


def refresh_view(t):
    """The base of view ``t`` changed in place after ``t`` was made: read ``t``'s history
    again from the base's new one, as PyTorch regenerates such views."""
    from .indexing import Index
    base = t._base
    t._view_version = t._vc[0]
    if base._requires_grad:
        key = _view_key(t._data, base._data)
        if key is not None:
            prev, _state.enabled = _state.enabled, True  # backward may run under no_grad
            try:
                fn = Index.apply(base, key)._grad_fn
            finally:
                _state.enabled = prev
            t._grad_fn, t._output_nr, t._requires_grad = fn, 0, True


def _byte_offsets(a):
    """Each element's byte offset from the start of array ``a``."""
    np = B.np
    off = np.zeros(a.shape, np.int64)
    for k, (n, stride) in enumerate(zip(a.shape, a.strides)):
        off = off + (np.arange(n, dtype=np.int64) * stride).reshape((n,) + (1,) * (a.ndim - k - 1))
    return off


def _view_key(view, base):
    """Where the elements of array ``view`` sit in array ``base``, whose memory it shares: a
    tuple of index arrays of view's shape. None when elements share memory (expanded)."""
    np = B.np
    if any(s == 0 and n > 1 for n, s in zip(view.shape, view.strides)):
        return None
    start = B.data_ptr(view) - B.data_ptr(base)
    in_view = _byte_offsets(view) + start
    if base.flags.c_contiguous:
        return np.unravel_index(in_view // base.itemsize, base.shape)
    # a strided base: find each offset among the base's (sorted) element offsets
    in_base = _byte_offsets(base).ravel()
    order = np.argsort(in_base, kind="stable")
    in_base = in_base[order]
    if in_base.size > 1 and (np.diff(in_base) == 0).any():
        return None
    pos = np.searchsorted(in_base, in_view.ravel())
    if pos.size and (pos.max() >= in_base.size or (in_base[pos] != in_view.ravel()).any()):
        return None  # not inside base: an internal error, reported as unsupported
    return np.unravel_index(order[pos].reshape(view.shape), base.shape)


def binary_(t, other, op_cls):
    """``t op= other``: in place, through ``op_cls`` (Add, Sub, Mul, Div, Pow)."""
    name = op_cls.__name__.lower() + "_"
    if _records(t, other):
        return _rebase(t, op_cls.apply(_snapshot(t), other), name)
    if _into(t, other, op_cls):
        return t
    _write(t, op_cls.apply(t, other), name)
    return t


# ops whose in-place form may write straight into the tensor (NumPy ufunc names)
_UFUNCS = {"Add": "add", "Sub": "subtract", "Mul": "multiply"}


def _into(t, other, op_cls) -> bool:
    """``t op= other`` for a floating tensor and an operand of its dtype and shape (or a Python
    number), written by the ufunc straight into t's memory: no temporary result and no copy
    (optimizers and gradient accumulation). False, doing nothing, for every other case."""
    ufunc = _UFUNCS.get(op_cls.__name__)
    if ufunc is None or _fw._enabled or not t._dtype.is_floating_point:
        return False
    data = t._data
    if type(data) is not B.np.ndarray and not B.is_gpu_array(data):
        return False  # (numtorch.func's batched arrays take the general path)
    if isinstance(other, _tensor.Tensor):
        other = other._data
        if other.dtype != data.dtype or other.shape != data.shape or type(other) is not type(data):
            return False  # (another dtype, a broadcast, or another device)
    elif type(other) not in (int, float):
        return False
    if _locked:
        unlock(data)
    if not B.writeable(data):
        return False
    getattr(B.array_module(data), ufunc)(data, other, out=data)
    t._vc[0] += 1
    return True


def unary_(t, op_cls, *args):
    """``t = op(t, *args)`` in place (neg_, clamp_, relu_)."""
    name = op_cls.__name__.lower() + "_"
    if _records(t):
        return _rebase(t, op_cls.apply(_snapshot(t), *args), name)
    _write(t, op_cls.apply(t, *args), name)
    return t


def fill_(t, value):
    """Set every element to ``value`` (a number or a 0-d tensor)."""
    if isinstance(value, _tensor.Tensor) and value.dim() != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                           f"with {value.dim()} dimensions.")
    if _records(t, value):
        from .elementwise import Fill, FillNumber
        op = Fill if isinstance(value, _tensor.Tensor) else FillNumber
        return _rebase(t, op.apply(t, value), "fill_")  # saves nothing of t
    if _dual(t, value):
        from .elementwise import Fill, FillNumber
        op = Fill if isinstance(value, _tensor.Tensor) else FillNumber
        _write(t, op.apply(t, value), "fill_")
        return t
    if _locked:
        unlock(t._data)
    t._data[...] = (value._data if isinstance(value, _tensor.Tensor)
                    else B.fit_number(value, t._dtype))
    t._vc[0] += 1
    return t


def copy_(t, src):
    """Copy ``src``'s values (broadcast, converted to t's dtype) into ``t``."""
    if not isinstance(src, _tensor.Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    try:
        fits = B.np.broadcast_shapes(src._data.shape, t._data.shape) == t._data.shape
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"copy_: the source of shape {list(src.shape)} cannot be broadcast "
                           f"to the destination's shape {list(t.shape)}")
    if type(src._data) is not type(t._data):
        src = src.to(t.device)  # copy_ moves between devices (differentiably)
    if _records(t, src):
        from .elementwise import Copy
        return _rebase(t, Copy.apply(t, src), "copy_")
    if _dual(t, src):
        from .elementwise import Copy
        _write(t, Copy.apply(t, src), "copy_")
        return t
    if _locked:
        unlock(t._data)
    B.array_module(t._data).copyto(t._data, B.to_device(src._data, t.device),
                                   casting="unsafe")
    t._vc[0] += 1
    return t


def indexput_(t, key, value):
    """``t[key] = value``: in place, differentiable in both ``t`` and ``value``."""
    if _state.enabled and _records(t, value):
        op = CopySlices if is_basic(key) else IndexPut
        return _rebase(t, op.apply(t, value, key), "index_put_")
    if _fw._enabled and _dual(t, value):
        op = CopySlices if is_basic(key) else IndexPut
        _write(t, op.apply(t, value, key), "index_put_")
        return t
    data = t._data
    if isinstance(value, _tensor.Tensor):
        v = value._data
    elif (type(value) is float or type(value) is int) and type(data) is _ndarray \
            and data.dtype.kind == "f":
        v = scalar_operand(value, data.dtype)  # (NumPy writes a 0-d array faster than a number)
    else:
        v = B.fit_number(value, t._dtype)
    if _locked and (type(data) is not _ndarray or id(data) in _locked or data.base is not None):
        unlock(data)  # (a fresh array that no custom Function saved needs no unlocking)
    try:
        write(data, key, v)
    except ValueError as e:
        raise RuntimeError(
            f"index_put_: the value of shape {list(getattr(v, 'shape', ()))} cannot be "
            f"assigned to the indexed part of a tensor of shape {list(t.shape)} ({e}); the "
            f"value must broadcast to the indexed shape") from None
    t._vc[0] += 1
    return t


def apply_(t, name, fn, *others):
    """``t = fn(t)`` in place for an out-of-place op ``fn`` (scatter_, masked_fill_, ...);
    ``others`` are the tensor arguments fn also reads."""
    if _records(t, *others):
        return _rebase(t, fn(_snapshot(t)), name)
    _write(t, fn(t), name)
    return t


# indexing imports this module too: bound once, here, rather than by an import on every x[k] = v
from .arithmetic import scalar_operand  # noqa: E402
from .indexing import CopySlices, IndexPut, is_basic, write  # noqa: E402

_ndarray = B.np.ndarray
