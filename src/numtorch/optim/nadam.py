"""``NAdam``: Adam with Nesterov momentum and a momentum-decay schedule."""
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
    update,
    zeros_state,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam: ``mu_t = b1*(1 - 0.5*0.96^(t*momentum_decay))``, ``P_t = prod(mu_1..mu_t)``;
    ``p -= lr*(1-mu_t)/(1-P_t) * g/d + lr*mu_{t+1}/(1-P_t*mu_{t+1}) * m/d`` with
    ``d = sqrt(v/(1-b2^t)) + eps``."""

    def __init__(self, params: Iterable, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_beta(0, betas[0])
        check_beta(1, betas[1])
        check_range("weight_decay value", weight_decay)
        check_range("momentum_decay value", momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One NAdam step; ``closure`` re-evaluates the loss and returns it."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            decay = group["momentum_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = scalar_tensor(0.0)
                    state["mu_product"] = scalar_tensor(1.0)
                    state["exp_avg"] = zeros_state(p)
                    state["exp_avg_sq"] = zeros_state(p)
                step = increment(state["step"])
                if decoupled and wd != 0:
                    update(p, p._data * (1 - lr * wd))
                g = grad_of(p, group["maximize"], 0 if decoupled else wd)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
                # the running product lives in the 0-d state tensor's dtype, as in PyTorch
                mu_t = state["mu_product"]
                mu_t._data *= mu
                mu_t._vc[0] += 1
                mu_product = float(mu_t._data)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                m += (1 - beta1) * (g - m)
                v *= beta2
                v += (1 - beta2) * g * g
                denom = B.array_module(v).sqrt(v / (1 - beta2 ** step)) + eps
                new = p._data - (lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
                new -= (lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
                update(p, new)
        return loss
