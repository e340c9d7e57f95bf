"""Rounding: floor, ceil, trunc, round, frac, sign, nan_to_num, and division with rounding
(div with rounding_mode, //, fmod, remainder).

Rounding and sign are piecewise constant: their gradient is zero, as in PyTorch."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp
from .arithmetic import _integral, _is_bool, broadcasting, operands

__all__ = ["Floor", "Ceil", "Trunc", "Round", "RoundDecimals", "Frac", "Sign", "NanToNum",
           "DivRounding", "FloorDivide", "Fmod", "FmodScalar", "Remainder", "RemainderScalar"]


def _refuse_bool(x, op):
    if x.dtype.kind == "b":
        raise NotImplementedError(f"{op} is not implemented for bool tensors; convert the "
                                  f"tensor first, e.g. x.float()")


def _rounded(x, routine: str, op: str):
    """``xp.<routine>(x)`` for floating x; integer inputs are already whole: a copy."""
    _refuse_bool(x, op)
    if x.dtype.kind != "f":
        return x.copy()
    return B.as_array(getattr(B.array_module(x), routine)(x))


class _Rounding(Function):
    """z = a rounding of x;  dz/dx = 0."""

    _raw = True

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 0

    jvp = staticmethod(elementwise_jvp)


class Floor(_Rounding):
    """z = floor x;  dz/dx = 0."""

    _node_name = "FloorBackward0"

    @staticmethod
    def forward(ctx, x):
        return _rounded(x, "floor", "floor")


class Ceil(_Rounding):
    """z = ceil x;  dz/dx = 0."""

    _node_name = "CeilBackward0"

    @staticmethod
    def forward(ctx, x):
        return _rounded(x, "ceil", "ceil")


class Trunc(_Rounding):
    """z = x rounded toward zero;  dz/dx = 0."""

    _node_name = "TruncBackward0"

    @staticmethod
    def forward(ctx, x):
        return _rounded(x, "trunc", "trunc")


class Round(_Rounding):
    """z = x rounded to the nearest integer, halves to even;  dz/dx = 0."""

    _node_name = "RoundBackward0"

    @staticmethod
    def forward(ctx, x):
        return _rounded(x, "rint", "round")


class RoundDecimals(Function):
    """z = x rounded to ``decimals`` decimal places, halves to even;  dz/dx = 0."""

    _raw = True
    _num_inputs = 1
    _node_name = "RoundBackward1"

    @staticmethod
    def forward(ctx, x, decimals):
        if x.dtype.kind != "f":
            raise NotImplementedError(f"round(decimals={decimals}) is not implemented for "
                                      f"{x.dtype} tensors; convert the tensor first, e.g. "
                                      f"x.float()")
        xp = B.array_module(x)
        # scale in x's own precision, as PyTorch does, so float32 results match its rounding
        if decimals >= 0:
            scale = x.dtype.type(10.0 ** decimals)
            return B.as_array(xp.rint(x * scale) / scale)
        scale = x.dtype.type(10.0 ** -decimals)
        return B.as_array(xp.rint(x / scale) * scale)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 0, None

    jvp = staticmethod(elementwise_jvp)


class Frac(Function):
    """z = x - trunc(x);  dz/dx = 1."""

    _raw = True
    _node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            raise NotImplementedError(f"frac is not implemented for {x.dtype} tensors "
                                      f"(their fractional part is 0); convert first, e.g. "
                                      f"x.float()")
        with B.quiet():
            return B.as_array(x - B.array_module(x).trunc(x))

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output

    jvp = staticmethod(elementwise_jvp)


class Sign(Function):
    """z = -1, 0 or 1 by the sign of x (0 for NaN, as in PyTorch);  dz/dx = 0."""

    _raw = True
    _node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            return x.copy()
        if x.dtype.kind == "u":
            return (x > 0).astype(x.dtype)
        return B.as_array((x > 0).astype(x.dtype) - (x < 0).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 0

    jvp = staticmethod(elementwise_jvp)


class NanToNum(Function):
    """z = x with NaN, +inf and -inf replaced by numbers;  dz/dx = 1 where x is finite,
    else 0."""

    _raw = True
    _num_inputs = 1
    _node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.save_for_backward(x)
        if x.dtype.kind != "f":
            return x.copy()
        return B.as_array(B.array_module(x).nan_to_num(x, nan=nan, posinf=posinf,
                                                       neginf=neginf))

    @staticmethod
    def backward(ctx, grad_output):
        from .elementwise import Where
        x, = ctx.saved_tensors
        return Where.apply(x.isfinite()._data, grad_output, 0.0), None, None, None

    jvp = staticmethod(elementwise_jvp)


def _refuse_bools(x, y, op):
    """PyTorch has no division kernels for bool results."""
    if _is_bool(x) and _is_bool(y):
        raise NotImplementedError(f"{op} is not implemented for bool operands; convert them "
                                  f"first, e.g. x.int()")


def _check_int_divisor(x, y):
    """Integer division by zero raises in PyTorch (NumPy would return 0 with a warning)."""
    if _integral(x) and _integral(y) and not B.np.all(y != 0):
        raise RuntimeError("ZeroDivisionError: integer division by zero (convert to a floating "
                           "dtype to get inf/NaN instead)")


def _floor_divide(x, y):
    """Python's floor division, as PyTorch computes it for floats: (x - fmod(x, y)) / y
    corrected to the floor."""
    _refuse_bools(x, y, "floor_divide")
    x, y = operands(x, y)
    _check_int_divisor(x, y)
    with B.quiet():
        return B.as_array(B.array_module(x if hasattr(x, "dtype") else y).floor_divide(x, y))


class DivRounding(Function):
    """z = x / y rounded toward zero ('trunc') or down ('floor');  dz/dx = dz/dy = 0."""

    _raw = True
    _num_inputs = 2
    _node_name = "DivBackward2"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y, rounding_mode):
        if rounding_mode == "floor":
            return _floor_divide(x, y)
        if rounding_mode != "trunc":
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
        _refuse_bools(x, y, "div")
        x, y = operands(x, y)
        _check_int_divisor(x, y)
        xp = B.array_module(x if hasattr(x, "dtype") else y)
        with B.quiet():
            if _integral(x) and _integral(y):
                q = xp.floor_divide(x, y)
                return B.as_array(q + ((q < 0) & (q * y != x)))  # floor -> toward zero
            return B.as_array(xp.trunc(xp.true_divide(x, y)))

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 0, grad_output * 0 if ctx.needs_input_grad[1] else None, None

    jvp = staticmethod(elementwise_jvp)


class FloorDivide(Function):
    """z = floor(x / y) (``//``).  PyTorch defines no derivative: backward raises."""

    _raw = True
    _node_name = "FloorDivideBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        return _floor_divide(x, y)

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError("the derivative for 'floor_divide' is not implemented (as in "
                           "PyTorch); use div(x, y, rounding_mode='floor') for a zero "
                           "gradient, or detach the operands")

    @staticmethod
    def jvp(ctx, *tangents):
        raise NotImplementedError(
            "forward-mode AD through floor_divide (//) is not supported (as in PyTorch); use "
            "div(x, y, rounding_mode='floor') for a zero tangent, or unpack_dual(x).primal")


class Fmod(Function):
    """z = x - trunc(x / y) * y (C's fmod: the sign of x);  dz/dx = 1,
    dz/dy = -trunc(x / y)."""

    _raw = True
    _node_name = "FmodBackward1"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        _refuse_bools(x, y, "fmod")
        x, y = operands(x, y)
        _check_int_divisor(x, y)
        with B.quiet():
            return B.as_array(B.array_module(x).fmod(x, y))

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return (grad_output,
                -grad_output * (x / y).trunc() if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)


class FmodScalar(Fmod):
    """fmod with a Python-number divisor: Fmod under PyTorch's node name."""

    _num_inputs = 1
    _node_name = "FmodBackward0"


class Remainder(Function):
    """z = x - floor(x / y) * y (Python's %: the sign of y);  dz/dx = 1,
    dz/dy = -floor(x / y)."""

    _raw = True
    _node_name = "RemainderBackward1"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        _refuse_bools(x, y, "remainder")
        x, y = operands(x, y)
        _check_int_divisor(x, y)
        with B.quiet():
            return B.as_array(B.array_module(x if hasattr(x, "dtype") else y).remainder(x, y))

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return (grad_output if ctx.needs_input_grad[0] else None,
                -grad_output * (x / y).floor() if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)


class RemainderScalar(Remainder):
    """remainder with a Python-number divisor: Remainder under PyTorch's node name."""

    _num_inputs = 1
    _node_name = "RemainderBackward0"
