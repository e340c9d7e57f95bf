"""Smooth activation ops: elu (and selu, celu), gelu, silu, mish, softplus, logsigmoid."""
from __future__ import annotations

import math

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp
from .activation import float_only
from .elementwise import Where
from .special import Erf, erf_array

__all__ = ["Elu", "EluInplace", "Celu", "CeluInplace", "Gelu", "Silu", "Mish", "Softplus",
           "LogSigmoid", "SELU_ALPHA", "SELU_SCALE"]

# the constants of SELU (Klambauer et al., 2017)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class Elu(Function):
    """z = scale x if x > 0 else scale alpha (e**(s x) - 1);  dz/dx = scale, or
    scale alpha s e**(s x) (s: input_scale; elu, selu and celu are all this op)."""

    _raw = True
    _num_inputs = 1
    _node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha=1.0, scale=1.0, input_scale=1.0):
        float_only(x, "elu")
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        ctx.coefs = (alpha, scale, input_scale)
        # expm1 on min(x, 0) only: accurate near 0 and no overflow in the unused branch
        negative = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
        return xp.where(x > 0, x * scale, negative).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        alpha, scale, input_scale = ctx.coefs
        # clamp(max=0): the exponential of the unused branch must stay finite, or its zero
        # gradient would turn into 0 * inf = NaN in double backward
        slope = (x.clamp(max=0) * input_scale).exp() * (alpha * scale * input_scale)
        return Where.apply(x > 0, grad_output * scale, grad_output * slope), None, None, None

    jvp = staticmethod(elementwise_jvp)


class EluInplace(Elu):
    """elu_ / selu_: Elu under PyTorch's in-place node name."""

    _node_name = "EluBackward1"


class Celu(Elu):
    """celu: Elu with input_scale = 1 / alpha, under its own node name."""

    _node_name = "CeluBackward0"


class CeluInplace(Elu):
    """celu_: Elu under PyTorch's in-place celu node name."""

    _node_name = "CeluBackward1"


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_CUBIC = 0.044715


class Gelu(Function):
    """z = x Phi(x) (Phi: the normal CDF, or its tanh approximation);
    dz/dx = Phi(x) + x phi(x)."""

    _raw = True
    _num_inputs = 1
    _node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise RuntimeError(f"gelu: approximate must be 'none' or 'tanh', got "
                               f"{approximate!r}")
        float_only(x, "gelu")
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            with B.quiet():  # -inf gives NaN (-inf * 0), as in PyTorch
                inner = _SQRT_2_OVER_PI * (x + _TANH_CUBIC * x * x * x)
                return (0.5 * x * (1 + xp.tanh(inner))).astype(x.dtype)
        # in PyTorch's order: x (1 + erf) overflows to inf before the halving, as there
        with B.quiet():
            return (x * (1 + erf_array(x * _SQRT_HALF)) * 0.5).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = ((x + _TANH_CUBIC * x * x * x) * _SQRT_2_OVER_PI).tanh()
            d_inner = (1 + 3 * _TANH_CUBIC * x * x) * _SQRT_2_OVER_PI
            return grad_output * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner), None
        cdf = 0.5 * (1 + Erf.apply(x * _SQRT_HALF))
        # the normal density is exactly 0 beyond |x| = 40 (e**-800 underflows); clamping
        # first keeps x * x from overflowing for huge x
        near = x.clamp(-40.0, 40.0)
        pdf = (-0.5 * near * near).exp() * _INV_SQRT_2PI
        return grad_output * (cdf + x * pdf), None

    jvp = staticmethod(elementwise_jvp)


class Silu(Function):
    """z = x sigmoid(x);  dz/dx = s (1 + x (1 - s)) with s = sigmoid(x)."""

    _raw = True
    _node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        float_only(x, "silu")
        ctx.save_for_backward(x)
        with B.quiet():  # exp(-x) may overflow to inf for very negative x: z is then -0
            return (x / (1 + B.array_module(x).exp(-x))).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        s = x.sigmoid()
        return grad_output * (s * (1 + x * (1 - s)))

    jvp = staticmethod(elementwise_jvp)


class Mish(Function):
    """z = x tanh(softplus(x));  dz/dx = t + x sigmoid(x) (1 - t**2) with t = tanh(softplus(x))."""

    _raw = True
    _node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        float_only(x, "mish")
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        with B.quiet():  # exp(x) overflows to inf for large x, and tanh(inf) = 1 is right
            return (x * xp.tanh(xp.log1p(xp.exp(x)))).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        t = Softplus.apply(x, 1.0, 20.0).tanh()
        return grad_output * (t + x * x.sigmoid() * (1 - t * t))

    jvp = staticmethod(elementwise_jvp)


class Softplus(Function):
    """z = log(1 + e**(b x)) / b (z = x once b x > threshold);  dz/dx = sigmoid(b x) (or 1)."""

    _raw = True
    _num_inputs = 1
    _node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        float_only(x, "softplus")
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        ctx.options = (beta, threshold)
        bx = x * beta
        with B.quiet():  # exp overflows only where the linear branch is taken
            return xp.where(bx > threshold, x, xp.log1p(xp.exp(bx)) / beta).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        beta, threshold = ctx.options
        bx = x * beta
        return Where.apply(bx > threshold, grad_output, grad_output * bx.sigmoid()), None, None

    jvp = staticmethod(elementwise_jvp)


class LogSigmoid(Function):
    """z = log(sigmoid(x)) = min(x, 0) - log(1 + e**-|x|);  dz/dx = sigmoid(-x)."""

    _raw = True
    _node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        float_only(x, "log_sigmoid")
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        # NOTE: written through e**-|x| so that neither sign of a large |x| overflows
        return (xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (-x).sigmoid()

    jvp = staticmethod(elementwise_jvp)
