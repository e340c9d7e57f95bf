"""Logical, bitwise, classification and comparison ops: Tensor methods and numtorch.X forms
(the operators & | ^ ~ << >> are in elementwise_ops.py)."""
from __future__ import annotations

from ..ops import arithmetic as _A
from ..ops import logical as _G
from .elementwise_ops import _input, _tensor_arg

__all__ = ["logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
           "isnan", "isinf", "isfinite", "isposinf", "isneginf", "greater",
           "greater_equal", "less", "less_equal", "not_equal", "equal", "isclose",
           "allclose"]


class LogicalMethods:
    """Tensor methods for the logical, bitwise, classification and comparison ops."""

    __slots__ = ()

    def logical_and(self, other):
        return _G.LogicalAnd.apply(self, _tensor_arg(other, "logical_and"))

    def logical_or(self, other):
        return _G.LogicalOr.apply(self, _tensor_arg(other, "logical_or"))

    def logical_xor(self, other):
        return _G.LogicalXor.apply(self, _tensor_arg(other, "logical_xor"))

    def logical_not(self):
        return _G.LogicalNot.apply(self)

    def bitwise_and(self, other):
        return _G.BitwiseAnd.apply(self, other)

    def bitwise_or(self, other):
        return _G.BitwiseOr.apply(self, other)

    def bitwise_xor(self, other):
        return _G.BitwiseXor.apply(self, other)

    def bitwise_not(self):
        return _G.BitwiseNot.apply(self)

    def bitwise_left_shift(self, other):
        return _G.LeftShift.apply(self, other)

    def bitwise_right_shift(self, other):
        return _G.RightShift.apply(self, other)

    def isnan(self):
        return _G.IsNan.apply(self)

    def isinf(self):
        return _G.IsInf.apply(self)

    def isfinite(self):
        return _G.IsFinite.apply(self)

    def isposinf(self):
        return _G.IsPosInf.apply(self)

    def isneginf(self):
        return _G.IsNegInf.apply(self)

    def greater(self, other):
        return _A.Gt.apply(self, other)

    def greater_equal(self, other):
        return _A.Ge.apply(self, other)

    def less(self, other):
        return _A.Lt.apply(self, other)

    def less_equal(self, other):
        return _A.Le.apply(self, other)

    def not_equal(self, other):
        return _A.Ne.apply(self, other)

    def equal(self, other) -> bool:
        return equal(self, other)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _G.IsClose.apply(self, _tensor_arg(other, "isclose"), rtol, atol, equal_nan)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return bool(self.isclose(other, rtol, atol, equal_nan)._data.all())


def logical_and(input, other):
    return _input(input, "logical_and").logical_and(other)


def logical_or(input, other):
    return _input(input, "logical_or").logical_or(other)


def logical_xor(input, other):
    return _input(input, "logical_xor").logical_xor(other)


def logical_not(input):
    return _input(input, "logical_not").logical_not()


def bitwise_and(input, other):
    return _G.BitwiseAnd.apply(input, other)


def bitwise_or(input, other):
    return _G.BitwiseOr.apply(input, other)


def bitwise_xor(input, other):
    return _G.BitwiseXor.apply(input, other)


def bitwise_not(input):
    return _input(input, "bitwise_not").bitwise_not()


def bitwise_left_shift(input, other):
    return _G.LeftShift.apply(input, other)


def bitwise_right_shift(input, other):
    return _G.RightShift.apply(input, other)


def isnan(input):
    return _input(input, "isnan").isnan()


def isinf(input):
    return _input(input, "isinf").isinf()


def isfinite(input):
    return _input(input, "isfinite").isfinite()


def isposinf(input):
    return _input(input, "isposinf").isposinf()


def isneginf(input):
    return _input(input, "isneginf").isneginf()


def greater(input, other):
    return _input(input, "greater").greater(other)


def greater_equal(input, other):
    return _input(input, "greater_equal").greater_equal(other)


def less(input, other):
    return _input(input, "less").less(other)


def less_equal(input, other):
    return _input(input, "less_equal").less_equal(other)


def not_equal(input, other):
    return _input(input, "not_equal").not_equal(other)


def equal(input, other) -> bool:
    """Whether both tensors have the same shape and elements (NaN is never equal)."""
    _tensor_arg(other, "equal")
    a, b = input._data, other._data
    return a.shape == b.shape and bool((a == b).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _input(input, "isclose").isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return _input(input, "allclose").allclose(other, rtol, atol, equal_nan)
