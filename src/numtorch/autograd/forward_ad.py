"""Forward-mode AD: dual levels, dual tensors (a primal carrying a tangent), and the dual path
of ``Function.apply`` that pushes tangents through each op's ``jvp``.

How it works. A tensor's tangent lives in ``Tensor._fw_grad`` (a class-level None until set, so
tensors made outside a dual level pay nothing). While a level is active the module flag
``_enabled`` is True and ``Function.apply`` hands every call to :func:`dual_apply`: it runs the
op's forward as usual (with forward AD switched off inside it, as PyTorch does for custom
Functions), then calls the Function's ``jvp`` with the input tangents and attaches the results
to the outputs. Leaving the level drops every tangent made in it.

The ``jvp`` convention:

* user Functions (``_raw = False``): PyTorch's. ``jvp(ctx, *grad_inputs)`` gets one tangent per
  forward input: a Tensor for tensor inputs (zeros where the input has no tangent, or None
  after ``ctx.set_materialize_grads(False)``), None for other arguments. ``ctx.saved_tensors``
  holds what forward gave ``ctx.save_for_forward``. It returns one tangent per output.
* built-in ops (``_raw = True``): ``jvp(ctx, *tangents)`` gets one entry per positional
  argument: the input's tangent as a Tensor, or None (no tangent, or not a tensor; zeros are
  never materialized). ``ctx`` holds what forward saved for backward (forward saves for every
  input that has a tangent: ``ctx.needs_input_grad`` is True there) and its attributes. It
  returns the output tangent(s) as Tensors written with Tensor ops, so a tangent is itself
  differentiable by reverse mode; None stands for a zero tangent; a tangent in a broadcast
  shape is expanded to the output's shape. ``ctx.fw_inputs`` / ``ctx.fw_kwargs`` /
  ``ctx.fw_output`` give the primal arguments and the output(s) during the call, for rules
  that need a value forward did not save. Families of ops share one rule from
  ``jvp_rules.py`` (elementwise ops reuse their backward: a diagonal Jacobian is symmetric;
  linear ops apply themselves to the tangents; multilinear ops sum one term per input).
* a built-in op without ``jvp`` falls back on the double-vjp trick: its backward is linear in
  the output gradient ``u``, so ``J t = d/du <J^T u, t>``, one extra backward and one
  double backward per call (slower, but exact).
"""
from __future__ import annotations

import weakref
from typing import NamedTuple

from .. import _backend as B
from .. import _tensor
from .grad_mode import _state
from .jvp_rules import _jvp_by_double_vjp, _tensor_module

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]

# True while a dual level is active: Function.apply's one check on its hot path
_enabled = False
_level = -1          # the active level (PyTorch numbers the first one 0), -1 for none
_duals = []          # weak references to the tensors given a tangent at the active level


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the primal (a view without tangent) and the tangent
    (None when the tensor has none at this level)."""

    primal: object
    tangent: object


def enter_dual_level() -> int:
    """Start a forward-mode AD level and return its number; prefer ``with dual_level():``."""
    global _enabled, _level
    if _level >= 0:
        raise RuntimeError(
            "Nested forward mode AD is not supported at the moment: a dual level is already "
            "active. Exit it (leave the `with dual_level():` block) before entering another.")
    _level = 0
    _enabled = True
    return _level


def exit_dual_level(*, level: int | None = None) -> None:
    """End the active forward-mode AD level; every tangent made in it is dropped."""
    global _enabled, _level
    if level is None:
        level = _level
    if level < 0:
        raise RuntimeError("exit_dual_level: no dual level is active (dual level must be a "
                           "positive number); call enter_dual_level() first.")
    if level != _level:
        raise RuntimeError(
            f"exit_dual_level: trying to exit forward AD level {level}, which is not the last "
            f"one that was created (level {_level}); exit levels in reverse order.")
    for ref in _duals:
        t = ref()
        if t is not None:
            t.__dict__.pop("_fw_grad", None)
    _duals.clear()
    _level = -1
    _enabled = False


class dual_level:
    """Context manager (or decorator) for a forward-mode AD level; ``__enter__`` returns it.

    Example::

        with forward_ad.dual_level():
            x = forward_ad.make_dual(primal, tangent)
            y = x.sin()
            jvp = forward_ad.unpack_dual(y).tangent   # cos(primal) * tangent
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with dual_level():
                return fn(*args, **kwargs)
        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = getattr(fn, "__doc__", None)
        return wrapper


def _check_level(level, fn):
    if level is not None and level != _level:
        raise RuntimeError(f"{fn}: invalid level {level} given; the active dual level is "
                           f"{_level} (pass level=None to use it).")


def _set_tangent(t, tangent) -> None:
    t._fw_grad = tangent
    _duals.append(weakref.ref(t))
    if len(_duals) % 4096 == 0:  # a long level: forget the tensors that are gone
        _duals[:] = [r for r in _duals if r() is not None]


def _plain_view(t):
    """A view of ``t`` with its history (differentiable) but with forward AD off."""
    global _enabled
    prev, _enabled = _enabled, False
    try:
        return t.view_as(t)
    finally:
        _enabled = prev


def make_dual(tensor, tangent, *, level: int | None = None):
    """A view of ``tensor`` that carries ``tangent`` at the active dual level.

    Args:
        tensor: the primal, a floating-point tensor (it may require grad).
        tangent: a floating-point tensor of the same shape: the direction to differentiate in.
        level: the dual level (default: the active one).

    Returns:
        The dual tensor; ops on it propagate tangents, read with :func:`unpack_dual`.
    """
    Tensor = _tensor.Tensor
    if _level < 0:
        raise RuntimeError(
            "make_dual: trying to create a dual Tensor for forward AD but no level exists; "
            "enter one first: `with numtorch.autograd.forward_ad.dual_level(): ...`")
    _check_level(level, "make_dual")
    for name, t in (("tensor", tensor), ("tangent", tangent)):
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dual: {name} must be a Tensor, got {type(t).__name__}")
    if not tensor._dtype.is_floating_point:
        raise ValueError(f"make_dual: expected primal to be floating point, but got: "
                         f"{tensor.dtype}; convert it first, e.g. x.double()")
    if not tangent._dtype.is_floating_point:
        raise ValueError(f"make_dual: expected tangent to be floating point, but got: "
                         f"{tangent.dtype}; convert it first, e.g. t.double()")
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError(
            f"make_dual: trying to set a forward gradient that has a different size than that "
            f"of the original Tensor, this is not supported. Tensor is of size "
            f"{list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}.")
    if tensor._fw_grad is not None:
        raise RuntimeError(
            f"make_dual: making a dual Tensor based on a Tensor that already has a forward "
            f"gradient at the same level {_level} is not supported; use "
            f"unpack_dual(x).primal to get the tensor without its tangent.")
    dual = _plain_view(tensor)
    _set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a tensor: a view without tangent, and its tangent at the level
    (None when it has none, or outside a dual level)."""
    if not isinstance(tensor, _tensor.Tensor):
        raise TypeError(f"unpack_dual: argument 'dual' must be Tensor, not "
                        f"{type(tensor).__name__}")
    if not _enabled:  # no level, or inside a custom Function's forward (tangents hidden)
        return UnpackedDualTensor(tensor, None)
    _check_level(level, "unpack_dual")
    tangent = tensor._fw_grad
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(_plain_view(tensor), tangent)


# ---- the dual path of Function.apply -------------------------------------------------------

def dual_apply(cls, ctx, args, kwargs, inputs, record, setup_style):
    """``cls.apply`` while a dual level is active: forward, then the tangents through jvp."""
    global _enabled
    Tensor = _tensor.Tensor
    tangents = [a._fw_grad if isinstance(a, Tensor) else None for a in inputs]
    dual = cls._differentiable and any(t is not None for t in tangents)
    if not dual and cls._raw:  # nothing to push through, and a raw forward calls no ops
        return _forward(cls, ctx, args, kwargs, inputs, record, setup_style)
    if dual and cls._raw:
        # forward saves what jvp (and backward) need for every input that has a tangent
        need = ctx.needs_input_grad if record else ()
        ctx.needs_input_grad = tuple(
            (i < len(need) and need[i]) or t is not None for i, t in enumerate(tangents))
    _enabled = False
    try:
        out = _forward(cls, ctx, args, kwargs, inputs, record, setup_style)
        if not dual:
            return out
        if cls._raw:
            out_tangents = _builtin_jvp(cls, ctx, args, kwargs, out, tangents)
        else:
            out_tangents = _user_jvp(cls, ctx, inputs, out, tangents)
    finally:
        _enabled = True
    outs = out if isinstance(out, tuple) else (out,)
    non_diff = ctx._non_diff or ()
    for i, (o, t) in enumerate(zip(outs, out_tangents)):
        if (t is None or not isinstance(o, Tensor) or not o._dtype.is_floating_point
                or any(o is n for n in non_diff)):
            continue
        _set_tangent(o, _fit(cls, i, o, t))
    if record and ctx._saved:
        _keep_output_tangents(ctx, outs)
    return out


def _keep_output_tangents(ctx, outs):
    """Outputs saved for backward are stored by their data (no output -> node -> output
    cycle), which would lose their tangents; at a dual level they are saved as the tensors
    themselves, so a backward run inside the level (forward-over-reverse) sees the tangents."""
    saved = list(ctx._saved)
    for k, s in enumerate(saved):
        if s is not None and s[0] == "o":
            o = outs[s[4]]
            if o._fw_grad is not None:
                saved[k] = ("t", o, s[3])
    ctx._saved = tuple(saved)


_function_helpers = None
_function_module = None  # autograd.function (its transform_rule changes while transforms run)


def _bind_function_helpers():
    """function.py imports this module, so its helpers are looked up on first use."""
    global _function_helpers
    global _function_module
    from . import function
    from .function import _record, _wrap_arrays
    _function_helpers = (_record, _wrap_arrays)
    _function_module = function
    return _function_helpers


def _forward(cls, ctx, args, kwargs, inputs, record, setup_style):
    """The rest of ``Function.apply`` after its bookkeeping (kept in step with it)."""
    _record, _wrap_arrays = _function_helpers or _bind_function_helpers()
    Tensor = _tensor.Tensor
    if cls._raw:
        ctx._inputs = args
        out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args],
                          **kwargs)
        ctx._inputs = None
        out = _wrap_arrays(out)
        return _record(ctx, args, out, raw=True) if record else out
    ctx._inputs = None
    forward = cls.forward
    rule = _function_module.transform_rule
    if rule is not None:  # inside numtorch.func transforms: vmap rules, PyTorch's refusals
        forward = rule(cls, setup_style, args, kwargs) or forward
    prev = _state.enabled
    _state.enabled = False
    try:
        if setup_style:
            out = forward(*args, **kwargs)
            cls.setup_context(ctx, inputs, out)
        else:
            out = forward(ctx, *args, **kwargs)
    finally:
        _state.enabled = prev
    if not record:
        for t in ctx._dirty or ():
            t._vc[0] += 1
        return out
    return _record(ctx, inputs, out, raw=False)


def _fit(cls, i, o, t):
    """A jvp's tangent for output ``o``: checked, in o's dtype, expanded to o's shape."""
    Tensor = _tensor.Tensor
    if not isinstance(t, Tensor):
        raise RuntimeError(f"{cls.__name__}.jvp: expected a Tensor or None for the tangent of "
                           f"output {i}, got {type(t).__name__}")
    if t._data.shape != o._data.shape:
        if cls._raw and _broadcasts(t._data.shape, o._data.shape):
            t = t.expand(o._data.shape)
        else:
            raise RuntimeError(
                f"{cls.__name__}.jvp: trying to set a forward gradient that has a different "
                f"size than that of the original Tensor, this is not supported. Output {i} is "
                f"of size {list(o.shape)} while the returned tangent is of size "
                f"{list(t.shape)}.")
    if cls._raw and t._dtype is not o._dtype:
        t = t.to(o._dtype)
    return t


def _broadcasts(shape, target) -> bool:
    if len(shape) > len(target):
        return False
    return all(s == 1 or s == g for s, g in zip(shape[::-1], target[::-1]))


def _n_outputs(out) -> int:
    return len(out) if isinstance(out, tuple) else 1


def _builtin_jvp(cls, ctx, args, kwargs, out, tangents):
    n = _n_outputs(out)
    if cls.jvp is _base_jvp():
        result = _jvp_by_double_vjp(cls, ctx, args, out, tangents)
    else:
        ctx.fw_inputs, ctx.fw_kwargs, ctx.fw_output = args, kwargs, out
        try:
            result = cls.jvp(ctx, *tangents)
        finally:
            ctx.fw_inputs = ctx.fw_kwargs = ctx.fw_output = None
    if n == 1 and not isinstance(result, tuple):
        return (result,)
    return result


def _user_jvp(cls, ctx, inputs, out, tangents):
    Tensor = _tensor.Tensor
    if cls.jvp is _base_jvp():
        raise NotImplementedError(
            f"{cls.__name__} is used with forward-mode AD (an input carries a tangent) but "
            f"defines no jvp. Add a @staticmethod jvp(ctx, *grad_inputs) returning the tangent "
            f"of each output, and keep what it needs with ctx.save_for_forward(...) in forward.")
    if ctx._materialize:
        zeros = _tensor_module().zeros_like
        tangents = [zeros(a) if t is None and isinstance(a, Tensor) else t
                    for a, t in zip(inputs, tangents)]
    saved = ctx._saved
    ctx._saved = ctx.__dict__.get("_fw_saved", ())
    try:
        result = cls.jvp(ctx, *tangents)
    finally:
        ctx._saved = saved
    n = _n_outputs(out)
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != n:
        raise RuntimeError(
            f"{cls.__name__}.jvp returned an invalid number of forward gradients (expected "
            f"{n} but got {len(result)}): return one tangent (or None) per output of forward.")
    outs = out if isinstance(out, tuple) else (out,)
    for i, (o, r) in enumerate(zip(outs, result)):
        if r is not None and ctx._non_diff and any(o is n for n in ctx._non_diff):
            raise RuntimeError(
                f"{cls.__name__}.jvp returned a tangent at position {i}, but that output was "
                f"marked non-differentiable (ctx.mark_non_differentiable); return None there.")
    for d in ctx._dirty or ():
        i = next((k for k, a in enumerate(inputs) if a is d), None)
        if i is None or tangents[i] is None:
            continue
        if not any(r is tangents[i] for r in result):
            raise RuntimeError(
                f"{cls.__name__}: an in-place custom Function is not modifying the forward "
                f"mode gradients in place. Forward modifies input {i} in place (mark_dirty), "
                f"so jvp must modify that input's tangent in place and return it.")
    return result


def _base_jvp():
    from .function import Function
    return Function.jvp


def write_tangent(t, result) -> None:
    """An in-place op wrote ``result``'s values into ``t``: ``t``'s tangent becomes result's.

    The new values go into t's existing tangent in place where it can take them, so tangents
    that are views of it (or that it is a view of) see the change, as in PyTorch."""
    new, old = result._fw_grad, t._fw_grad
    if new is None and old is None:
        return
    if new is None:
        new = _tensor_module().zeros_like(t)
    if old is not None and B.writeable(old._data) and old._data.shape == t._data.shape:
        B.np.copyto(old._data, new._data, casting="unsafe")
        old._vc[0] += 1
    else:
        _set_tangent(t, new if new._dtype is t._dtype else new.to(t._dtype))
