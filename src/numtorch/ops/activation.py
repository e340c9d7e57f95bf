"""Activation ops: relu."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function

__all__ = ["Relu"]


class Relu(Function):
    """z = max(x, 0);  dz/dx = 1 where z > 0, else 0."""

    _raw = True
    _node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError("relu: bool tensors are not supported; convert with .float()")
        # maximum keeps NaN as NaN, as PyTorch does; as_array keeps a 0-d result an array so
        # it is saved as this node's output
        z = B.as_array(B.array_module(x).maximum(x, 0))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * (z > 0)
