"""``Adadelta``: steps scaled by running averages of squared gradients and squared updates."""
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

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta: ``v = rho*v + (1-rho)*g*g``, ``d = sqrt(u + eps)/sqrt(v + eps) * g``,
    ``u = rho*u + (1-rho)*d*d``, ``p -= lr*d``."""

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        check_range("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_range("epsilon value", eps)
        check_range("weight_decay value", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One Adadelta step; ``closure`` re-evaluates the loss and returns it."""
        loss = call_closure(closure)
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor(0.0)
                    state["square_avg"] = zeros_state(p)
                    state["acc_delta"] = zeros_state(p)
                increment(state["step"])
                g = grad_of(p, group["maximize"], group["weight_decay"])
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                xp = B.array_module(v)
                v *= rho
                v += (1 - rho) * g * g
                delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
                u *= rho
                u += (1 - rho) * delta * delta
                update_sub(p, group["lr"] * delta)
        return loss
