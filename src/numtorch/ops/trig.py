"""Trigonometric and hyperbolic ops beyond sin/cos/tanh: tan, asin, acos, atan, sinh, cosh,
atan2, hypot."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp
from .arithmetic import broadcasting, operands
from .elementwise import _floating

__all__ = ["Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Atan2", "Hypot"]


class Tan(Function):
    """z = tan x;  dz/dx = 1 + z**2."""

    _raw = True
    _node_name = "TanBackward0"

    @staticmethod
    def forward(ctx, x):
        z = B.as_array(B.array_module(x).tan(_floating(x)))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * (1 + z * z)

    jvp = staticmethod(elementwise_jvp)


class Asin(Function):
    """z = asin x;  dz/dx = 1 / sqrt(1 - x**2)."""

    _raw = True
    _node_name = "AsinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).arcsin(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (1 - x * x).rsqrt()

    jvp = staticmethod(elementwise_jvp)


class Acos(Function):
    """z = acos x;  dz/dx = -1 / sqrt(1 - x**2)."""

    _raw = True
    _node_name = "AcosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).arccos(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return -grad_output * (1 - x * x).rsqrt()

    jvp = staticmethod(elementwise_jvp)


class Atan(Function):
    """z = atan x;  dz/dx = 1 / (1 + x**2)."""

    _raw = True
    _node_name = "AtanBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return B.array_module(x).arctan(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output / (1 + x * x)

    jvp = staticmethod(elementwise_jvp)


class Sinh(Function):
    """z = sinh x;  dz/dx = cosh x."""

    _raw = True
    _node_name = "SinhBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).sinh(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * x.cosh()

    jvp = staticmethod(elementwise_jvp)


class Cosh(Function):
    """z = cosh x;  dz/dx = sinh x."""

    _raw = True
    _node_name = "CoshBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).cosh(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * x.sinh()

    jvp = staticmethod(elementwise_jvp)


class Atan2(Function):
    """z = atan2(x, y), the angle of the point (y, x);  dz/dx = y / (x**2 + y**2),
    dz/dy = -x / (x**2 + y**2)."""

    _raw = True
    _node_name = "Atan2Backward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = operands(x, y, floating=True)
        return B.array_module(x).arctan2(x, y)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        r2 = x * x + y * y
        return (grad_output * y / r2 if ctx.needs_input_grad[0] else None,
                grad_output * -x / r2 if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)


class Hypot(Function):
    """z = sqrt(x**2 + y**2) without overflow;  dz/dx = x / z, dz/dy = y / z."""

    _raw = True
    _node_name = "HypotBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        a, b = operands(x, y)
        if getattr(a, "dtype", getattr(b, "dtype", None)).kind != "f":
            raise NotImplementedError(f"hypot is not implemented for integer or bool tensors "
                                      f"(got {a.dtype}); convert them first, e.g. x.float()")
        z = B.as_array(B.array_module(a).hypot(a, b))
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        x, y, z = ctx.saved_tensors
        return (grad_output * x / z if ctx.needs_input_grad[0] else None,
                grad_output * y / z if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)
