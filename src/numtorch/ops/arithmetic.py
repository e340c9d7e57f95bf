"""Arithmetic and comparison ops: add, sub, mul, div, neg, pow, and ==, !=, <, <=, >, >=."""
from __future__ import annotations

import math

from .. import _backend as B
from .._promotion import get_default_dtype, result_type
from ..autograd.function import Function

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "Eq", "Ne", "Lt", "Le", "Gt", "Ge"]


def _cast(v, np_dtype):
    if hasattr(v, "dtype"):
        return v if v.dtype == np_dtype else v.astype(np_dtype)
    if type(v) is int and np_dtype.kind in "iu":
        info = B.np.iinfo(np_dtype)
        if not info.min <= v <= info.max:
            # NOTE: PyTorch wraps an out-of-range Python int around (uint8 + -1 adds 255);
            # NumPy would raise OverflowError instead
            return B.np.asarray(v % (1 << (8 * np_dtype.itemsize))).astype(np_dtype)
    return v


def _kind(v) -> str:
    return v.dtype.kind if hasattr(v, "dtype") else ""


def _is_bool(v) -> bool:
    return type(v) is bool or _kind(v) == "b"


def _negative_int(y) -> bool:
    if hasattr(y, "dtype"):
        return y.dtype.kind in ("i", "u") and bool((y < 0).any())
    return type(y) is int and y < 0


def operands(x, y, floating: bool = False):
    """Bring two operands (arrays or Python numbers) to the dtype PyTorch computes in."""
    xd = getattr(x, "dtype", None)
    if not floating and xd is not None and (
            getattr(y, "dtype", None) == xd
            or type(y) is float and xd.kind == "f"
            or type(y) is int and (xd.kind == "f" or 0 <= y <= 127)):
        return x, y  # the common cases: nothing to promote
    d = result_type(x, y)
    if floating and not d.is_floating_point:
        d = get_default_dtype()
    return _cast(x, d.np), _cast(y, d.np)


class Add(Function):
    """z = x + y;  dz/dx = 1, dz/dy = 1."""

    _raw = True
    _node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = operands(x, y)
        return x + y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class Sub(Function):
    """z = x - y;  dz/dx = 1, dz/dy = -1."""

    _raw = True
    _node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, x, y):
        if _is_bool(x) or _is_bool(y):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        x, y = operands(x, y)
        return x - y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, -grad_output if ctx.needs_input_grad[1] else None


class Mul(Function):
    """z = x * y;  dz/dx = y, dz/dy = x."""

    _raw = True
    _node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, y):
        need = ctx.needs_input_grad
        ctx.save_for_backward(y if need[0] else None, x if need[1] else None)
        x, y = operands(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad_output):
        y, x = ctx.saved_tensors
        return (grad_output * y if ctx.needs_input_grad[0] else None,
                grad_output * x if ctx.needs_input_grad[1] else None)


class Div(Function):
    """z = x / y;  dz/dx = 1 / y, dz/dy = -x / y**2."""

    _raw = True
    _node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, y):
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, y if need[0] or need[1] else None)
        x, y = operands(x, y, floating=True)
        with B.quiet():
            return x / y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return (grad_output / y if ctx.needs_input_grad[0] else None,
                -grad_output * x / (y * y) if ctx.needs_input_grad[1] else None)


class Neg(Function):
    """z = -x;  dz/dx = -1."""

    _raw = True
    _node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return -x

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output


class Pow(Function):
    """z = x ** y;  dz/dx = y * x**(y-1), dz/dy = x**y * log(x) (taken as 0 where x == 0 and
    y >= 0, the limit PyTorch uses)."""

    _raw = True
    _node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        if not hasattr(y, "dtype"):
            ctx._num_inputs = 1  # x ** number: next_functions lists x only, as in PyTorch
        x, y = operands(x, y)
        if _kind(x) in ("i", "u") and _negative_int(y):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with B.quiet():
            return x ** y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            if isinstance(y, (int, float)):
                gx = grad_output * 0 if y == 0 else grad_output * (y * x ** (y - 1))
            else:
                from .elementwise import Where
                # where y == 0, x**y is 1 for every x and the gradient is 0; the exponent is
                # moved off 0 there so that 0 ** -1 (inf) never meets the factor y == 0
                y_off_zero = Where.apply((y == 0)._data, 1.0, y)
                gx = grad_output * (y * x ** (y_off_zero - 1))
        if ctx.needs_input_grad[1]:
            from .elementwise import Where
            limit = (x == 0) * (y >= 0)  # where x**y * log(x) tends to 0
            if hasattr(x, "log"):
                log_x = Where.apply(limit._data, 1.0, x).log()
            else:
                log_x = math.log(x) if x > 0 else math.nan if x < 0 else 0.0
            gy = grad_output * Where.apply(limit, 0.0, x ** y * log_x)
        return gx, gy


class _Compare(Function):
    """Elementwise comparison: a bool tensor, no gradient."""

    _raw = True
    _differentiable = False

    @staticmethod
    def backward(ctx, grad_output):
        return None, None


class Eq(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = operands(x, y)
        return x == y


class Ne(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = operands(x, y)
        return x != y


class Lt(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = operands(x, y)
        return x < y


class Le(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = operands(x, y)
        return x <= y


class Gt(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = operands(x, y)
        return x > y


class Ge(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = operands(x, y)
        return x >= y
