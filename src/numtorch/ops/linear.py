"""The fused affine map behind ``F.linear`` for matrix inputs (one node instead of three)."""
from __future__ import annotations

from ..autograd.function import Function

__all__ = ["Addmm"]


class Addmm(Function):
    """Z = X W^T + b for X (N, in), W (out, in), b (out,);
    dZ/dX = G W, dZ/dW = G^T X, dZ/db = sum over rows of G."""

    _raw = True
    _node_name = "AddmmBackward0"  # PyTorch's node for a 2-d linear with bias

    @staticmethod
    def forward(ctx, x, weight, bias):
        if not (x.dtype == weight.dtype == bias.dtype):
            raise RuntimeError(f"linear: input, weight and bias must have the same dtype, but "
                               f"got {x.dtype}, {weight.dtype} and {bias.dtype}; convert the "
                               f"input, e.g. x.to(weight.dtype)")
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, weight if need[0] else None)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (grad_output.mm(weight) if need[0] else None,
                grad_output.t().mm(x) if need[1] else None,
                grad_output.sum(0) if need[2] else None)

    @staticmethod
    def jvp(ctx, tx, tw, tb):
        x, weight, _ = ctx.fw_inputs
        terms = [tx @ weight.T if tx is not None else None,
                 x @ tw.T if tw is not None else None, tb]
        out = None
        for term in terms:
            if term is not None:
                out = term if out is None else out + term
        return out
