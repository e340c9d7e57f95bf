"""``Adagrad``: per-coordinate steps scaled by the root of the summed squared gradients."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import _backend as B
from .optimizer import (
    Optimizer,
    call_closure,
    check_range,
    grad_of,
    increment,
    scalar_tensor,
    update_sub,
    zeros_state,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: ``s += g*g``, ``p -= lr/(1 + (t-1)*lr_decay) * g / (sqrt(s) + eps)``.

    The sums start at ``initial_accumulator_value`` when the optimizer is built."""

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        check_range("learning rate", lr)
        check_range("lr_decay value", lr_decay)
        check_range("weight_decay value", weight_decay)
        check_range("initial_accumulator_value value", initial_accumulator_value)
        check_range("epsilon value", eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group: dict) -> dict:
        state = self.state[p]
        state["step"] = scalar_tensor(0.0)
        state["sum"] = zeros_state(p, group["initial_accumulator_value"])
        return state

    def step(self, closure: Callable | None = None):
        """One Adagrad step; ``closure`` re-evaluates the loss and returns it."""
        loss = call_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                # parameters added by add_param_group get their sums on first use
                state = self.state[p] or self._init_state(p, group)
                step = increment(state["step"])
                g = grad_of(p, group["maximize"], group["weight_decay"])
                clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
                s = state["sum"]._data
                s += g * g
                std = B.array_module(s).sqrt(s) + group["eps"]
                update_sub(p, clr * (g / std))
        return loss
