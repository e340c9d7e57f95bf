"""Matrix products: mm (2-D only) and matmul (vectors, matrices, broadcast batches)."""
from __future__ import annotations

from ..autograd.function import Function
from ..autograd.jvp_rules import multilinear_jvp
from .arithmetic import operands

__all__ = ["Mm", "MatMul"]


def _check_dtypes(op, x, y):
    if x.dtype != y.dtype:
        raise RuntimeError(f"{op}: expected both operands to have the same dtype, but got "
                           f"{x.dtype} and {y.dtype}; convert one, e.g. b.to(a.dtype)")


class Mm(Function):
    """Z = X @ Y for matrices;  dZ/dX = G @ Y^T, dZ/dY = X^T @ G."""

    _raw = True
    _node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, x, y):
        if x.ndim != 2 or y.ndim != 2:
            which = "self" if x.ndim != 2 else "mat2"
            raise RuntimeError(f"mm: {which} must be a matrix (2-D), got shapes "
                               f"{tuple(x.shape)} and {tuple(y.shape)}; use matmul for "
                               f"vectors and batches")
        if x.shape[1] != y.shape[0]:
            raise RuntimeError(f"mm: mat1 and mat2 shapes cannot be multiplied "
                               f"({x.shape[0]}x{x.shape[1]} and {y.shape[0]}x{y.shape[1]}); "
                               f"the columns of the first must equal the rows of the second")
        _check_dtypes("mm", x, y)
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, y if need[0] else None)
        return x @ y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return (grad_output.mm(y.t()) if ctx.needs_input_grad[0] else None,
                x.t().mm(grad_output) if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(multilinear_jvp)


class MatMul(Function):
    """Z = X @ Y with NumPy's/PyTorch's rules for 1-D and batched operands;
    dZ/dX = G @ Y^T, dZ/dY = X^T @ G (batch dims summed by the engine)."""

    _raw = True
    _node_name = "MatmulBackward0"

    @staticmethod
    def forward(ctx, x, y):
        if not hasattr(x, "ndim") or not hasattr(y, "ndim"):
            raise TypeError("matmul: both operands must be tensors")
        if x.ndim == 0 or y.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, but they "
                               f"have {x.ndim} and {y.ndim}")
        kx = x.shape[-1]
        ky = y.shape[-2] if y.ndim > 1 else y.shape[0]
        if kx != ky:
            raise RuntimeError(f"matmul: shapes {tuple(x.shape)} and {tuple(y.shape)} cannot "
                               f"be multiplied ({kx} != {ky} in the contracted dimension)")
        _check_dtypes("matmul", x, y)
        x, y = operands(x, y)
        ctx.save_for_backward(x, y)
        try:
            return x @ y
        except ValueError:  # NumPy's error for batch dims that do not broadcast
            raise RuntimeError(f"matmul: the batch dims of {tuple(x.shape)} and "
                               f"{tuple(y.shape)} do not broadcast; make them equal or "
                               f"1") from None

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        g = grad_output
        gx = gy = None
        if x.dim() == 1 and y.dim() == 1:
            return g * y, g * x
        if x.dim() == 1:
            if ctx.needs_input_grad[0]:
                gx = (g.unsqueeze(-2) @ y.mT).squeeze(-2)
            if ctx.needs_input_grad[1]:
                gy = x.unsqueeze(-1) @ g.unsqueeze(-2)
            return gx, gy
        if y.dim() == 1:
            if ctx.needs_input_grad[0]:
                gx = g.unsqueeze(-1) @ y.unsqueeze(0)
            if ctx.needs_input_grad[1]:
                gy = (x.mT @ g.unsqueeze(-1)).squeeze(-1)
            return gx, gy
        if ctx.needs_input_grad[0]:
            gx = g @ y.mT
        if ctx.needs_input_grad[1]:
            gy = x.mT @ g
        return gx, gy

    jvp = staticmethod(multilinear_jvp)
