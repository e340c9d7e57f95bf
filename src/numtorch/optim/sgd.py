"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .._tensor import Tensor
from .optimizer import Optimizer, call_closure, check_range, grad_of, update_sub

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent.

    With momentum ``m``: ``b = g`` on the first step, then ``b = m*b + (1-dampening)*g``;
    the step uses ``g + m*b`` (Nesterov) or ``b``; ``p -= lr * step``.
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None):
        check_range("learning rate", lr)
        check_range("momentum value", momentum)
        check_range("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """One SGD step; ``closure`` re-evaluates the loss and returns it."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = grad_of(p, group["maximize"], group["weight_decay"])
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._make(g.copy())
                        state["momentum_buffer"] = buf
                    else:
                        buf._data *= momentum
                        buf._data += (1 - group["dampening"]) * g
                        buf._vc[0] += 1
                    g = g + momentum * buf._data if group["nesterov"] else buf._data
                update_sub(p, lr * g)
        return loss
