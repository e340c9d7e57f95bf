"""Logical, bitwise and floating-point-class ops: and/or/xor/not, shifts, isnan and friends.

None of them has a gradient: their results are bool or integer."""
from __future__ import annotations

from .. import _backend as B
from .._promotion import result_type
from ..autograd.function import Function
from .arithmetic import broadcasting, operands

__all__ = ["LogicalAnd", "LogicalOr", "LogicalXor", "LogicalNot", "BitwiseAnd", "BitwiseOr",
           "BitwiseXor", "BitwiseNot", "LeftShift", "RightShift", "IsNan", "IsInf",
           "IsPosInf", "IsNegInf", "IsFinite", "IsClose"]


class _NoGrad(Function):
    """Base for ops whose results never require grad."""

    _raw = True
    _differentiable = False

    @staticmethod
    def backward(ctx, *grad_outputs):
        return None


def _truth(x):
    return x if getattr(x, "dtype", None) is not None and x.dtype.kind == "b" else x != 0


class LogicalAnd(_NoGrad):
    """z = (x != 0) and (y != 0), a bool tensor."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        return B.as_array(B.array_module(x).logical_and(_truth(x), _truth(y)))


class LogicalOr(_NoGrad):
    """z = (x != 0) or (y != 0), a bool tensor."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        return B.as_array(B.array_module(x).logical_or(_truth(x), _truth(y)))


class LogicalXor(_NoGrad):
    """z = (x != 0) xor (y != 0), a bool tensor."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        return B.as_array(B.array_module(x).logical_xor(_truth(x), _truth(y)))


class LogicalNot(_NoGrad):
    """z = (x == 0), a bool tensor."""

    @staticmethod
    def forward(ctx, x):
        return B.as_array(~_truth(x))


def _integral(x, y, op):
    """Promoted operands of a bitwise op; floating ones are refused as in PyTorch."""
    x, y = operands(x, y)
    for v in (x, y):
        if getattr(v, "dtype", None) is not None and v.dtype.kind == "f":
            raise NotImplementedError(f"{op} is only implemented for integer and bool "
                                      f"tensors, got {v.dtype}; use the logical_ ops for "
                                      f"truth values, or convert with .long()")
    if isinstance(y, float) or isinstance(x, float):
        raise RuntimeError(f"{op} is only implemented for integer and bool operands, got a "
                           f"Python float")
    return x, y


class BitwiseAnd(_NoGrad):
    """z = x & y (logical for bool tensors)."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        x, y = _integral(x, y, "bitwise_and")
        return B.as_array(B.array_module(x).bitwise_and(x, y))


class BitwiseOr(_NoGrad):
    """z = x | y (logical for bool tensors)."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        x, y = _integral(x, y, "bitwise_or")
        return B.as_array(B.array_module(x).bitwise_or(x, y))


class BitwiseXor(_NoGrad):
    """z = x ^ y (logical for bool tensors)."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        x, y = _integral(x, y, "bitwise_xor")
        return B.as_array(B.array_module(x).bitwise_xor(x, y))


class BitwiseNot(_NoGrad):
    """z = ~x (logical not for bool tensors)."""

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "f":
            raise NotImplementedError(f"bitwise_not is only implemented for integer and bool "
                                      f"tensors, got {x.dtype}; use logical_not() for truth "
                                      f"values")
        return B.as_array(~x)


def _shift_operands(x, y, op):
    x, y = _integral(x, y, op)
    xp = B.array_module(x if hasattr(x, "dtype") else y)
    dtype = result_type(x, y).np
    if dtype.kind == "b":
        raise NotImplementedError(f"{op} is not implemented for bool tensors; convert them "
                                  f"first, e.g. x.int()")
    x, y = xp.asarray(x, dtype), xp.asarray(y, dtype)
    bits = 8 * dtype.itemsize
    return xp, x, y, (y < 0) | (y >= bits), bits


class LeftShift(_NoGrad):
    """z = x << y, i.e. x * 2**y; 0 when y is negative or at least the width in bits."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        xp, x, y, out, bits = _shift_operands(x, y, "bitwise_left_shift")
        with B.quiet():
            z = xp.left_shift(x, xp.where(out, 0, y))
        return B.as_array(xp.where(out, 0, z).astype(x.dtype))


class RightShift(_NoGrad):
    """z = x >> y, arithmetic (sign-filling) for signed types; the sign fill when y is
    negative or at least the width in bits."""

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        xp, x, y, out, bits = _shift_operands(x, y, "bitwise_right_shift")
        z = xp.right_shift(x, xp.where(out, bits - 1, y))
        if x.dtype.kind == "u":
            z = xp.where(out, 0, z)
        return B.as_array(z.astype(x.dtype))


class IsNan(_NoGrad):
    """z = x is NaN."""

    @staticmethod
    def forward(ctx, x):
        xp = B.array_module(x)
        return B.as_array(xp.isnan(x) if x.dtype.kind == "f" else xp.zeros(x.shape, bool))


class IsInf(_NoGrad):
    """z = x is +inf or -inf."""

    @staticmethod
    def forward(ctx, x):
        xp = B.array_module(x)
        return B.as_array(xp.isinf(x) if x.dtype.kind == "f" else xp.zeros(x.shape, bool))


class IsPosInf(_NoGrad):
    """z = x is +inf."""

    @staticmethod
    def forward(ctx, x):
        xp = B.array_module(x)
        return B.as_array(xp.isposinf(x) if x.dtype.kind == "f"
                          else xp.zeros(x.shape, bool))


class IsNegInf(_NoGrad):
    """z = x is -inf."""

    @staticmethod
    def forward(ctx, x):
        xp = B.array_module(x)
        return B.as_array(xp.isneginf(x) if x.dtype.kind == "f"
                          else xp.zeros(x.shape, bool))


class IsFinite(_NoGrad):
    """z = x is neither NaN nor infinite."""

    @staticmethod
    def forward(ctx, x):
        xp = B.array_module(x)
        return B.as_array(xp.isfinite(x) if x.dtype.kind == "f" else xp.ones(x.shape, bool))


class IsClose(_NoGrad):
    """z = |x - y| <= atol + rtol |y| (inf equal to itself; NaN equal to NaN if equal_nan)."""

    _num_inputs = 2

    @staticmethod
    @broadcasting
    def forward(ctx, x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
        if x.dtype != y.dtype:
            raise RuntimeError(f"isclose: {x.dtype} did not match {y.dtype}; convert one "
                               f"operand first, e.g. y.to(x.dtype)")
        xp = B.array_module(x)
        if x.dtype.kind != "f":
            x, y = x.astype(xp.float64), y.astype(xp.float64)
        with B.quiet():
            return B.as_array(xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))
