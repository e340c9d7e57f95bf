"""``Optimizer``: parameter groups, per-parameter state, zero_grad, state_dict and step hooks."""
from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from .. import _backend as B
from .._promotion import get_default_dtype
from .._tensor import Tensor
from ..autograd.check_mode import _locked, unlock
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import RemovableHandle, add_hook

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that each parameter group must give itself."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _wrap_step(step):
    """Run the step pre/post hooks around a subclass's ``step`` and note that it was called
    (learning-rate schedulers warn when they step before the optimizer)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in list((self._step_pre_hooks or {}).values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"an optimizer step pre-hook must return None or a tuple "
                                       f"(new_args, new_kwargs), but got {result!r}")
                args, kwargs = result
        self._opt_called = True
        out = step(self, *args, **kwargs)
        for hook in list((self._step_post_hooks or {}).values()):
            hook(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups, each with a ``'params'`` entry and optional per-group options).
        defaults: the default options, used where a group does not give its own.
    """

    _step_pre_hooks: dict | None = None
    _step_post_hooks: dict | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _wrap_step(step)

    def __init__(self, params: Iterable, defaults: dict[str, Any]):
        self.defaults = defaults
        self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError(f"params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {params.type()}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        blocks = []
        for i, group in enumerate(self.param_groups):
            lines = [f"Parameter Group {i}"]
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
            blocks.append("\n".join(lines))
        return self.__class__.__name__ + " (\n" + "\n\n".join(blocks) + "\n)"

    # ---- groups -----------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (a dict with ``'params'`` and optional options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = None
        if params and isinstance(params[0], tuple):
            names = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if self.param_groups and ("param_names" in self.param_groups[0]) != (names is not None):
            kind = "with" if names is not None else "without"
            raise ValueError(f"all optimizer param groups should be with/without names. cannot "
                             f"add param group {kind} names to the optimizer")
        group = dict(param_group)
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; make each parameter appear once",
                          UserWarning, stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ---- gradients and steps ----------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    g = p._grad
                    if g._grad_fn is not None:
                        g = g.detach()
                        p._grad = g
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (subclasses implement it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement step(closure)")

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before each step; it may return new
        ``(args, kwargs)``."""
        self._step_pre_hooks, handle = add_hook(self._step_pre_hooks, hook)
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after each step."""
        self._step_post_hooks, handle = add_hook(self._step_post_hooks, hook)
        return handle

    # ---- state dicts ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, the
        parameters numbered in group order across all groups, as in PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a dict from ``state_dict()``: options and state for the same parameter layout.
        Floating-point state is cast to its parameter's dtype ('step' keeps its own)."""
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(groups)})")
        for g, sg in zip(groups, saved_groups):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group ({len(sg['params'])} "
                                 f"parameters saved, {len(g['params'])} here)")
        id_map = {old: p for g, sg in zip(groups, saved_groups)
                  for old, p in zip(sg["params"], g["params"])}
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast_state(param, v, None)
            else:
                state[k] = v
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            ng = dict(sg)
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups


def _cast_state(param: Tensor, value, key):
    if isinstance(value, Tensor):
        if key == "step":
            return value  # a 0-d CPU tensor on every device, as in PyTorch
        if not param.is_floating_point() or not value.is_floating_point():
            return value.to(device=param.device)
        return value.to(dtype=param.dtype, device=param.device)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        return type(value)(_cast_state(param, v, key) for v in value)
    return value


# ---- helpers shared by the optimizers ---------------------------------------------------------
def scalar_tensor(value: float) -> Tensor:
    """A 0-d state entry (``step``, ``mu_product``) in PyTorch's scalar dtype: float64 when that
    is the default dtype, float32 otherwise."""
    d = B.float64 if get_default_dtype() is B.float64 else B.float32
    return Tensor._make(B.np.array(value, dtype=d.np))


def increment(t: Tensor) -> float:
    """Add one to a 0-d ``step`` tensor in place; return its new value as a float."""
    t._data += 1
    t._vc[0] += 1
    return float(t._data)


def zeros_state(p: Tensor, value: float = 0.0) -> Tensor:
    """A state buffer shaped and typed like ``p``, on ``p``'s device, filled with ``value``."""
    xp = B.array_module(p._data)
    return Tensor._make(xp.full(p._data.shape, value, dtype=p._data.dtype))


def grad_of(p: Tensor, maximize: bool, weight_decay: float = 0.0):
    """The parameter's gradient array, negated for ``maximize``, plus L2 weight decay."""
    g = p._grad._data
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * p._data
    return g


def update(p: Tensor, new) -> None:
    """Write ``new`` into the parameter's memory (identity and views kept) and bump its version."""
    if _locked:
        unlock(p._data)  # a custom Function saved it: the version check reports stale use
    p._data[...] = new
    p._vc[0] += 1


def update_sub(p: Tensor, step) -> None:
    """``p -= step`` in the parameter's own memory (no array for the new value), version bumped;
    the same float operations as writing ``p - step``."""
    if _locked:
        unlock(p._data)
    data = p._data
    B.array_module(data).subtract(data, step, out=data, casting="unsafe")
    p._vc[0] += 1


def call_closure(closure):
    """Evaluate a step's closure with gradients enabled."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def check_range(name: str, value: float, low: float = 0.0) -> None:
    """ValueError ``Invalid <name>: <value>`` unless ``low <= value``."""
    if not low <= value:
        raise ValueError(f"Invalid {name}: {value}")


def check_beta(index: int, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"Invalid beta parameter at index {index}: {value}")
