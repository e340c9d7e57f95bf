"""``Adamax``: Adam with the infinity norm in place of the second moment."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import _backend as B
from .optimizer import (
    Optimizer,
    call_closure,
    check_beta,
    check_range,
    grad_of,
    increment,
    scalar_tensor,
    update_sub,
    zeros_state,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax: ``m = b1*m + (1-b1)*g``, ``u = max(b2*u, |g| + eps)``,
    ``p -= lr/(1-b1^t) * m/u``."""

    def __init__(self, params: Iterable, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_beta(0, betas[0])
        check_beta(1, betas[1])
        check_range("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One Adamax step; ``closure`` re-evaluates the loss and returns it."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor(0.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_inf"] = zeros_state(p)
                step = increment(state["step"])
                g = grad_of(p, group["maximize"], group["weight_decay"])
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                xp = B.array_module(m)
                m += (1 - beta1) * (g - m)
                u *= beta2
                xp.maximum(u, xp.abs(g) + eps, out=u)
                update_sub(p, (lr / (1 - beta1 ** step)) * (m / u))
        return loss
