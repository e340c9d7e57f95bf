"""Graph nodes: the ``grad_fn`` base class, leaf accumulation (AccumulateGrad), hook handles."""
from __future__ import annotations

import itertools

__all__ = ["Node", "AccumulateGrad", "RemovableHandle"]

_sequence = itertools.count()


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_key")
    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self._key = next(self._ids)

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks: dict | None, fn) -> tuple[dict, RemovableHandle]:
    if not callable(fn):
        raise TypeError(f"a hook must be callable, got {type(fn).__name__}")
    hooks = {} if hooks is None else hooks
    handle = RemovableHandle(hooks)
    hooks[handle._key] = fn
    return hooks, handle


class Node:
    """A recorded operation: what ``tensor.grad_fn`` is.

    ``_edges`` has one entry per input of the operation: None (no gradient flows there) or
    ``(next_node, input_nr, shape, dtype)`` where shape and dtype describe that input, so the
    engine can check and reduce what backward returns.
    """

    __slots__ = ("_edges", "_seq", "__weakref__")

    # rarely set, so class-level defaults instead of slots
    _hooks = None          # post hooks: fn(grad_inputs, grad_outputs)
    _pre_hooks = None      # pre hooks: fn(grad_outputs)
    _tensor_pre_hooks = None   # {output_nr: {key: fn(grad)}} from Tensor.register_hook
    _retained = None       # {output_nr: weakref to a tensor that called retain_grad()}
    _num_inputs = None     # built-in ops: how many leading arguments are tensor operands
    _hooked = False        # set by _set: one of the above was set, so the engine checks them

    def name(self) -> str:
        """The node's type name, e.g. ``MulBackward0`` or ``MyReLUBackward``."""
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        """``(node, input_nr)`` per tensor input; node is None where no gradient flows."""
        edges = self._edges[:self._num_inputs]
        return tuple((None, 0) if e is None else (e[0], e[1]) for e in edges
                     if e is not _NOT_A_TENSOR)

    def register_hook(self, fn):
        """Call ``fn(grad_inputs, grad_outputs)`` after this node's backward; may return new
        grad_inputs."""
        hooks, handle = add_hook(self._hooks, fn)
        self._set("_hooks", hooks)
        return handle

    def register_prehook(self, fn):
        """Call ``fn(grad_outputs)`` before this node's backward; may return new grad_outputs."""
        hooks, handle = add_hook(self._pre_hooks, fn)
        self._set("_pre_hooks", hooks)
        return handle

    def _set(self, name, value):
        """Set a hook attribute (hooks, retained gradients) on the node."""
        object.__setattr__(self, name, value)
        object.__setattr__(self, "_hooked", True)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


# marks an argument that was not a tensor (no entry in next_functions)
_NOT_A_TENSOR = ("not a tensor",)


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: adds the gradient that reaches it into ``.grad``."""

    __slots__ = ("variable", "__dict__")

    def __init__(self, variable):
        self.variable = variable
        self._edges = ()
        # leaves run as soon as they are ready, as in PyTorch
        self._seq = float("inf")

    def name(self) -> str:
        return "AccumulateGrad"


def hook_result(fn, r, old):
    """Check a hook's replacement gradients: one per slot, none where there was None."""
    r = list(r) if isinstance(r, (tuple, list)) else [r]
    if len(r) != len(old):
        raise RuntimeError(
            f"hook '{getattr(fn, '__name__', fn)}' has returned an incorrect number of values "
            f"(got {len(r)}, but expected {len(old)}): return one gradient (or None) per "
            f"entry of the tuple it received")
    for i, (new, prev) in enumerate(zip(r, old)):
        if prev is None and new is not None:
            raise RuntimeError(
                f"hook '{getattr(fn, '__name__', fn)}' returned a gradient at position {i} "
                f"where there was None (no gradient flows there); a hook can't replace a None "
                f"gradient with a tensor")
    return r


def run_post_hooks(node, results, grads):
    """Post hooks see one gradient per tensor input (non-tensor arguments have no slot)."""
    slots = [i for i, e in enumerate(node._edges) if e is not _NOT_A_TENSOR]
    grad_inputs = [results[i] for i in slots]
    for fn in tuple(node._hooks.values()):
        r = fn(tuple(grad_inputs), grads)
        if r is not None:
            grad_inputs = hook_result(fn, r, grad_inputs)
    results = list(results)
    for i, g in zip(slots, grad_inputs):
        results[i] = g
    return results
