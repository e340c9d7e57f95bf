"""``RAdam``: Adam with a rectified adaptive learning rate."""
from __future__ import annotations

import math
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
    update,
    update_sub,
    zeros_state,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam: with ``rho_inf = 2/(1-b2) - 1`` and ``rho_t = rho_inf - 2t*b2^t/(1-b2^t)``, the
    step is ``lr * m/(1-b1^t) * r * sqrt(1-b2^t)/(sqrt(v) + eps)`` when ``rho_t > 5`` (``r``
    the rectification term) and ``lr * m/(1-b1^t)`` otherwise."""

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_beta(0, betas[0])
        check_beta(1, betas[1])
        check_range("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One RAdam step; ``closure`` re-evaluates the loss and returns it."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor(0.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                step = increment(state["step"])
                if decoupled and wd != 0:
                    update(p, p._data * (1 - lr * wd))
                g = grad_of(p, group["maximize"], 0 if decoupled else wd)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (1 - beta1) * (g - m)
                v *= beta2
                v += (1 - beta2) * g * g
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                m_hat = m / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive = math.sqrt(bias_correction2) / (B.array_module(v).sqrt(v) + eps)
                    update_sub(p, m_hat * lr * adaptive * rect)
                else:
                    update_sub(p, m_hat * lr)
        return loss
