"""``RMSprop``: scaling by a running average of squared gradients (centered, momentum)."""
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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: ``v = alpha*v + (1-alpha)*g*g``; ``avg = sqrt(v - gbar^2) + eps`` when centered
    (``gbar`` the running mean gradient) else ``sqrt(v) + eps``; with momentum
    ``b = momentum*b + g/avg`` and ``p -= lr*b``, else ``p -= lr*g/avg``."""

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_range("momentum value", momentum)
        check_range("weight_decay value", weight_decay)
        check_range("alpha value", alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One RMSprop step; ``closure`` re-evaluates the loss and returns it."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor(0.0)
                    state["square_avg"] = zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_state(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_state(p)
                increment(state["step"])
                g = grad_of(p, group["maximize"], group["weight_decay"])
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                xp = B.array_module(v)
                if group["centered"]:
                    gbar = state["grad_avg"]._data
                    gbar += (1 - alpha) * (g - gbar)
                    avg = xp.sqrt(v - gbar * gbar) + eps
                else:
                    avg = xp.sqrt(v) + eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += g / avg
                    update_sub(p, lr * buf)
                else:
                    update_sub(p, lr * (g / avg))
        return loss
