"""Check mode (verify each custom Function's backward numerically on first use) and strict mode."""
from __future__ import annotations

import functools
import os
import sys
import warnings

from .. import _backend as B
from .. import _tensor

__all__ = ["check_functions", "is_check_functions_enabled", "strict_mode", "set_strict_mode",
           "is_strict_mode_enabled", "FunctionCheckError"]

# read by function.py (user Functions only) and engine.py (on the repair path only)
_enabled = False
_strict = False         # strict mode switched on by itself
_strict_on = False      # strict mode in effect: on by itself or through check mode
_busy = False           # a check is running: Functions it calls are not checked again
_checked: set = set()   # (class, signature) pairs whose backward has been verified

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FunctionCheckError(RuntimeError):
    """A custom Function failed a check-mode or strict-mode check."""


def _refresh() -> None:
    global _strict_on
    _strict_on = _strict or _enabled


class _Switch:
    """A context manager and decorator that sets one of this module's flags while active."""

    _flag = ""

    def __init__(self, mode: bool = True) -> None:
        # also usable bare, as @check_functions (then ``mode`` is the decorated function)
        self._fn = mode if callable(mode) else None
        self.mode = True if self._fn is not None else bool(mode)
        if self._fn is not None:
            functools.update_wrapper(self, self._fn)

    def __enter__(self):
        self.prev = globals()[self._flag]
        globals()[self._flag] = self.mode
        _refresh()
        return self

    def __exit__(self, *exc) -> None:
        globals()[self._flag] = self.prev
        _refresh()

    def __call__(self, *args, **kwargs):
        if self._fn is not None:
            with type(self)(self.mode):
                return self._fn(*args, **kwargs)
        fn, = args

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(self.mode):
                return fn(*args, **kwargs)
        return wrapper


class check_functions(_Switch):
    """Verify every custom Function's backward the first time it runs with new input shapes.

    Each user-defined Function, on its first call with a new signature (input shapes and
    dtypes), has its backward (and double backward) compared with float64 central differences
    on a copy of the real inputs; a wrong gradient raises ``FunctionCheckError`` there. It also
    catches forwards that modify an input without ``ctx.mark_dirty``, backwards that modify
    ``grad_output``, and turns on strict mode. Also on for the whole program with the
    environment variable ``NUMTORCH_CHECK_FUNCTIONS=1``.

    Example::

        with numtorch.autograd.check_functions():
            loss = MyFunction.apply(x).sum()   # raises here if MyFunction's backward is wrong
    """

    _flag = "_enabled"


class strict_mode(_Switch):
    """Make the engine's silent repairs of a custom backward's gradients errors.

    A gradient in a broadcast shape (which would be summed down) or of another dtype than its
    input (which would be cast) raises ``FunctionCheckError`` naming the parameter and the fix.
    """

    _flag = "_strict"


def set_strict_mode(mode: bool) -> None:
    """Turn strict mode on or off for the whole program."""
    global _strict
    _strict = bool(mode)
    _refresh()


def is_strict_mode_enabled() -> bool:
    return _strict_on


def is_check_functions_enabled() -> bool:
    return _enabled


# ---- naming a Function's parameters and the place it was applied ------------------------------

def param_name(cls, i: int, kwarg_names=()) -> str:
    """The name of forward's ``i``-th input (counting keyword inputs after positional ones)."""
    from .function import Function, _signature
    try:
        params = list(_signature(cls.forward).parameters.values())
    except (TypeError, ValueError):
        return f"input {i}"
    if cls.setup_context is Function.setup_context:
        params = params[1:]  # forward(ctx, ...)
    npos = len(params)
    for k, p in enumerate(params):
        if p.kind is p.VAR_POSITIONAL:
            if i >= k and i - k < 10**9:
                return f"input {i} ('*{p.name}'[{i - k}])"
        if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD):
            npos = k
            break
    if i < npos and params[i].kind is not params[i].VAR_POSITIONAL:
        return f"input {i} ('{params[i].name}')"
    return f"input {i}"


def describe_input(node, i: int) -> str:
    """``input i ('name')`` of ``node``'s forward, and where it was applied when known."""
    cls = node._forward_cls
    name = param_name(cls, i) if cls is not None and not cls._raw else f"input {i}"
    return name + applied_at(node)


def applied_at(node) -> str:
    where = node.__dict__.get("_applied_at") if hasattr(node, "__dict__") else None
    if type(where) is tuple:  # (file, line) of the caller of apply, recorded for user Functions
        file, line = where
        where = None if file.startswith(_PACKAGE_DIR) else f"{file}:{line}"
    if where is None:
        stack = getattr(node, "_anomaly_trace", None)
        user = [f for f in stack or () if not f.filename.startswith(_PACKAGE_DIR)]
        if user:
            where = f"{user[-1].filename}:{user[-1].lineno}"
    return f", applied at {where}" if where else ""


def _user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the innermost frame outside numtorch."""
    f, level = sys._getframe(2), 2
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_PACKAGE_DIR):
        f, level = f.f_back, level + 1
    return level


def _caller() -> str:
    """file:line of the innermost frame outside numtorch (the user's call to apply)."""
    f = sys._getframe(2)
    while f is not None and os.path.abspath(f.f_code.co_filename).startswith(_PACKAGE_DIR):
        f = f.f_back
    return f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else "<unknown>"


# ---- strict mode: called by engine._validate only when it is about to repair a gradient -------

def strict_shape(node, i: int, g, shape) -> None:
    raise FunctionCheckError(
        f"strict mode: {node.name()} returned a gradient of shape {list(g.shape)} for "
        f"{describe_input(node, i)}, whose shape is {list(shape)}; the engine would sum it "
        f"down. Return the gradient in the input's shape: reduce it in backward with "
        f"grad.sum_to_size({tuple(shape)}) (or .sum(dim, keepdim=True) over the broadcast dims).")


def strict_dtype(node, i: int, g, dtype) -> None:
    raise FunctionCheckError(
        f"strict mode: {node.name()} returned a gradient of dtype {g.dtype} for "
        f"{describe_input(node, i)}, whose dtype is {dtype}; the engine would cast it. Compute "
        f"the gradient in the input's dtype (e.g. grad.to({dtype}), or avoid float64 constants).")


# ---- read-only saved arrays: a raw NumPy write to one fails at that line ---------------------
# Always on for user Functions (check mode adds nothing here); built-in ops do not lock.

# id(array) -> [array, number of nodes holding it, name of the first Function that saved it];
# numtorch's own in-place ops unlock first
_locked: dict = {}
_ndarray = B.np.ndarray


class SavedArray(B.np.ndarray):
    """What ``Tensor.numpy()`` hands out for a tensor a custom Function saved for backward: a
    read-only view whose item assignment names the Function in its error."""

    def __array_finalize__(self, obj) -> None:
        self._saved_by = getattr(obj, "_saved_by", None)

    def __setitem__(self, key, value) -> None:
        if not self.flags.writeable and self._saved_by is not None:
            raise ValueError(
                f"assignment destination is read-only: this array belongs to a tensor that "
                f"{self._saved_by}.forward saved with ctx.save_for_backward, and its backward "
                f"needs the values unchanged. Write to a copy (a = a.copy()), or make the "
                f"change with a numtorch in-place op (the version check then reports it if "
                f"backward still needs the old values). It is writable again once backward "
                f"has run or the graph is gone.")
        super().__setitem__(key, value)


def saved_view(arr):
    """``arr`` as a SavedArray when a custom Function holds it (or its base) read-only."""
    a = arr
    while a is not None:
        entry = _locked.get(id(a))
        if entry is not None and entry[0] is a:
            view = arr.view(SavedArray)
            view._saved_by = entry[2]
            return view
        a = a.base
    return arr


def lock_saved(ctx, saved) -> None:
    """Make the arrays of the tensors ``ctx`` saves read-only until ctx releases them (after
    backward, or when the node is collected)."""
    arrays = []
    for s in saved:
        if s is None or s[0] != "t":
            continue
        arr = s[1]._data
        if type(arr) is not _ndarray:
            continue  # a GPU array (CuPy cannot make one read-only) or a vmap batch
        entry = _locked.get(id(arr))
        if entry is not None and entry[0] is arr:
            entry[1] += 1
        elif arr.flags.writeable:
            arr.setflags(write=False)
            _locked[id(arr)] = [arr, 1, ctx._forward_cls.__name__]
        else:
            continue  # read-only for its own reasons (an expand() view)
        arrays.append(arr)
    if arrays:
        ctx._locked_arrays = arrays


def release_saved(ctx) -> None:
    """ctx dropped its saved tensors, or is being collected: their arrays are writable again
    (when no one else saved them)."""
    arrays = ctx.__dict__.pop("_locked_arrays", None)
    if arrays is None:
        return
    for arr in arrays:
        key = id(arr)
        entry = _locked.get(key)
        if entry is None or entry[0] is not arr:
            continue
        if entry[1] > 1:
            entry[1] -= 1
            continue
        del _locked[key]
        try:
            arr.setflags(write=True)
        except ValueError:
            pass  # its base became read-only meanwhile; leave it


def unlock(arr) -> None:
    """numtorch is about to write ``arr`` in place: make it writable (the version counter
    catches the change, as for any in-place op on a saved tensor)."""
    a = arr
    while a is not None:
        entry = _locked.pop(id(a), None)
        if entry is not None and entry[0] is a:
            _make_writeable(a)
            if a is not arr and 0 not in arr.strides:  # a view made while its base was saved
                _make_writeable(arr)
            return
        a = getattr(a, "base", None)


def _make_writeable(arr) -> None:
    try:
        arr.setflags(write=True)
    except ValueError:
        pass  # its base became read-only meanwhile; leave it


# ---- check mode: called by Function.apply for user Functions while _enabled -------------------

def _key(cls, inputs):
    Tensor = _tensor.Tensor
    parts = [cls]
    for a in inputs:
        if isinstance(a, Tensor):
            parts.append((a._data.shape, a._dtype, a._requires_grad))
        elif isinstance(a, (int, float, bool, str, type(None))):
            parts.append((type(a), a))
        else:
            parts.append(type(a))
    return tuple(parts)


def checked_apply(cls, args: tuple, kwargs: dict):
    """Run ``cls.apply`` for real; on a new signature verify the Function before returning."""
    global _busy
    Tensor = _tensor.Tensor
    inputs = args + tuple(kwargs.values())
    key = _key(cls, inputs)
    if key in _checked:
        _busy = True
        try:
            return cls.apply(*args, **kwargs)
        finally:
            _busy = False
    before = [(a._vc[0], a._data.copy()) if isinstance(a, Tensor) else None for a in inputs]
    _busy = True
    try:
        out = cls.apply(*args, **kwargs)
    finally:
        _busy = False
    outs = out if isinstance(out, tuple) else (out,)
    ctx = next((o._grad_fn for o in outs if isinstance(o, Tensor)
                and o._grad_fn is not None and o._grad_fn._forward_cls is cls), None)
    if ctx is None:
        return out  # nothing was recorded (no_grad, or no input requires grad): no backward
    ctx._applied_at = _caller()
    names = list(kwargs)
    _check_inputs_unchanged(cls, ctx, inputs, before, names, len(args))
    _busy = True
    try:
        from .check_numeric import Checker
        Checker(cls, ctx, args, kwargs, [b[1] if b else None for b in before]).run()
    finally:
        _busy = False
    _checked.add(key)
    return out


def _name(cls, i, names, npos):
    return f"input {i} ('{names[i - npos]}')" if i >= npos else param_name(cls, i)


def _check_inputs_unchanged(cls, ctx, inputs, before, names, npos) -> None:
    dirty = ctx._dirty or ()
    for i, (a, b) in enumerate(zip(inputs, before)):
        if b is None or any(a is d for d in dirty):
            continue
        version, data = b
        if a._vc[0] != version or not B.np.array_equal(a._data, data, equal_nan=True):
            raise FunctionCheckError(
                f"check mode: {cls.__name__}.forward modified {_name(cls, i, names, npos)} "
                f"in place without declaring it{applied_at(ctx)}. Either call "
                f"ctx.mark_dirty(x) and return x, or work on a copy (x = x.clone()).")


_attributes_checked: set = set()  # user Function classes whose ctx attributes were looked at


def warn_tensor_attributes(cls, ctx) -> None:
    """Warn (once per class, on its first recorded call) about tensors that require grad kept
    as ctx attributes instead of being saved."""
    _attributes_checked.add(cls)
    Tensor = _tensor.Tensor
    for attr, v in vars(ctx).items():
        if attr.startswith("_"):
            continue  # numtorch's own bookkeeping (mark_dirty's tensors, ...)
        vals = v if isinstance(v, (tuple, list)) else (v,)
        if any(isinstance(t, Tensor) and t._requires_grad for t in vals):
            warnings.warn(
                f"{cls.__name__}.forward stored a tensor that requires grad as ctx.{attr}"
                f"{applied_at(ctx)}. Use ctx.save_for_backward(...) and ctx.saved_tensors: an "
                f"attribute keeps the graph alive (a leak), escapes the in-place checks, and "
                f"breaks double backward.", UserWarning, stacklevel=_user_stacklevel())


if os.environ.get("NUMTORCH_CHECK_FUNCTIONS", "") not in ("", "0"):
    _enabled = True
    _refresh()
