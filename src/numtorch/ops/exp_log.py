"""Exponentials, logarithms and powers of one operand: exp2, expm1, log2, log10, log1p, rsqrt,
reciprocal, logit."""
from __future__ import annotations

import math

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp
from .elementwise import _floating

__all__ = ["Exp2", "Expm1", "Log2", "Log10", "Log1p", "Rsqrt", "Reciprocal", "Logit"]


class Exp2(Function):
    """z = 2**x;  dz/dx = z ln 2."""

    _raw = True
    _node_name = "Exp2Backward0"

    @staticmethod
    def forward(ctx, x):
        with B.quiet():
            z = B.as_array(B.array_module(x).exp2(_floating(x)))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * (z * math.log(2.0))

    jvp = staticmethod(elementwise_jvp)


class Expm1(Function):
    """z = e**x - 1 (accurate near 0);  dz/dx = z + 1."""

    _raw = True
    _node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, x):
        with B.quiet():
            z = B.as_array(B.array_module(x).expm1(_floating(x)))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * (z + 1)

    jvp = staticmethod(elementwise_jvp)


class Log2(Function):
    """z = log2 x;  dz/dx = 1 / (x ln 2)."""

    _raw = True
    _node_name = "Log2Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).log2(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output / (x * math.log(2.0))

    jvp = staticmethod(elementwise_jvp)


class Log10(Function):
    """z = log10 x;  dz/dx = 1 / (x ln 10)."""

    _raw = True
    _node_name = "Log10Backward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).log10(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output / (x * math.log(10.0))

    jvp = staticmethod(elementwise_jvp)


class Log1p(Function):
    """z = ln(1 + x) (accurate near 0);  dz/dx = 1 / (1 + x)."""

    _raw = True
    _node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).log1p(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output / (x + 1)

    jvp = staticmethod(elementwise_jvp)


class Rsqrt(Function):
    """z = 1 / sqrt(x);  dz/dx = -z**3 / 2."""

    _raw = True
    _node_name = "RsqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        xp = B.array_module(x)
        x = _floating(x)
        with B.quiet():
            z = B.as_array((1 / xp.sqrt(x)).astype(x.dtype))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * (-0.5 * z * z * z)

    jvp = staticmethod(elementwise_jvp)


class Reciprocal(Function):
    """z = 1 / x;  dz/dx = -z**2."""

    _raw = True
    _node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, x):
        x = _floating(x)
        with B.quiet():
            z = B.as_array((1 / x).astype(x.dtype))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * -(z * z)

    jvp = staticmethod(elementwise_jvp)


class Logit(Function):
    """z = ln(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given;
    dz/dx = 1 / (x (1 - x)), and 0 outside [eps, 1 - eps]."""

    _raw = True
    _num_inputs = 1
    _node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps=None):
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        ctx.eps = eps
        x = _floating(x)
        if eps is not None:
            x = xp.clip(x, eps, 1 - eps).astype(x.dtype)
        with B.quiet():
            return B.as_array(xp.log(x / (1 - x)).astype(x.dtype))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        g = grad_output / (x * (1 - x))
        eps = ctx.eps
        if eps is None:
            return g, None
        from .elementwise import Where
        outside = (x < eps) + (x > 1 - eps)
        return Where.apply(outside._data, 0.0, g), None

    jvp = staticmethod(elementwise_jvp)
