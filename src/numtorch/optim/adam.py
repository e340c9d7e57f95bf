"""``Adam``: adaptive moment estimation, with amsgrad and L2 or decoupled weight decay."""
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

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam: ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g*g``,
    ``p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)`` (``max`` of all ``v`` with amsgrad).

    ``decoupled_weight_decay=True`` (AdamW) scales ``p`` by ``1 - lr*weight_decay`` instead of
    adding ``weight_decay*p`` to the gradient.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_beta(0, betas[0])
        check_beta(1, betas[1])
        check_range("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One Adam step; ``closure`` re-evaluates the loss and returns it."""
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
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = zeros_state(p)
                step = increment(state["step"])
                if decoupled and wd != 0:
                    update(p, p._data * (1 - lr * wd))
                g = grad_of(p, group["maximize"], 0 if decoupled else wd)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (1 - beta1) * (g - m)
                v *= beta2
                v += (1 - beta2) * g * g
                xp = B.array_module(v)
                if group["amsgrad"]:
                    vmax = state["max_exp_avg_sq"]._data
                    xp.maximum(vmax, v, out=vmax)
                    v = vmax
                bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
                denom = xp.sqrt(v) / bias_correction2_sqrt + eps
                update_sub(p, (lr / (1 - beta1 ** step)) * m / denom)
        return loss
