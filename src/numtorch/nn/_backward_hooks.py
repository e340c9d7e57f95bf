"""Module backward hooks: identity Functions around a module's inputs and outputs whose
backward passes see (and may replace) the gradients flowing through."""
from __future__ import annotations

import warnings

from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["BackwardHookState"]


class _Identity(Function):
    """z = x for each tensor; backward hands the gradients to ``callback``, which may
    replace them."""

    @staticmethod
    def forward(ctx, callback, *tensors):
        ctx.callback = callback
        ctx.needs = tuple(t.requires_grad for t in tensors)
        outputs = tuple(t.view_as(t) for t in tensors)
        ctx.mark_non_differentiable(*[o for o, t in zip(outputs, tensors)
                                      if not t.requires_grad])
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        grads = tuple(g if need else None for g, need in zip(grads, ctx.needs))
        return (None,) + tuple(ctx.callback(grads))

    @staticmethod
    def jvp(ctx, callback, *tangents):
        # forward-mode AD passes straight through (the hooks see only backward's gradients)
        return tuple(t if need else None for t, need in zip(tangents, ctx.needs))


def _wrap(values, callback):
    """Route every tensor in ``values`` (a tensor or a tuple/list) through ``_Identity``;
    returns the new values and how many tensors there were."""
    single = isinstance(values, Tensor)
    seq = (values,) if single else tuple(values)
    positions = [i for i, v in enumerate(seq) if isinstance(v, Tensor)]
    if not positions or not any(seq[i].requires_grad for i in positions):
        return values, 0
    wrapped = _Identity.apply(callback, *[seq[i] for i in positions])
    out = list(seq)
    for i, w in zip(positions, wrapped):
        out[i] = w
    if single:
        return out[0], 1
    return (type(values)(out) if isinstance(values, (tuple, list)) else tuple(out)), len(positions)


class BackwardHookState:
    """One forward call's backward hooks: the pre-hooks run when the output gradients
    arrive, the full hooks once the input gradients are known."""

    def __init__(self, module, args: tuple):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = sum(isinstance(a, Tensor) for a in args)
        self.input_wrapped = False

    def wrap_inputs(self, args: tuple) -> tuple:
        new_args, n = _wrap(args, self._on_input_grads)
        self.input_wrapped = n > 0
        return new_args

    def wrap_outputs(self, output):
        return _wrap(output, self._on_output_grads)[0]

    def _on_output_grads(self, grads: tuple) -> tuple:
        for hook in list(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grads)
            if result is not None:
                grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        self.grad_outputs = grads
        if not self.input_wrapped and self.module._backward_hooks:
            # no input needs a gradient: the hooks run now, with None for every input
            warnings.warn(f"Full backward hook of {type(self.module).__name__}: firing with "
                          f"the gradients of its outputs only, since none of its inputs "
                          f"requires gradients (grad_input is all None)", UserWarning,
                          stacklevel=2)
            self._run_full_hooks((None,) * self.n_inputs)
        return grads

    def _on_input_grads(self, grads: tuple) -> tuple:
        return self._run_full_hooks(grads)

    def _run_full_hooks(self, grad_input: tuple) -> tuple:
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_outputs)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"backward hook returned {len(result)} gradients, but "
                                       f"the module has {len(grad_input)} tensor inputs")
                grad_input = result
        return grad_input
