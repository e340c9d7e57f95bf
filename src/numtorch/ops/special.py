"""Special functions: erf and erfc, computed to float64 precision (NumPy has neither)."""
from __future__ import annotations

import math

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp
from .elementwise import _floating

__all__ = ["Erf", "Erfc", "erf_array", "erfc_array"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SERIES_TERMS = 80     # enough for |x| < 3 to reach float64 rounding
_ERF_SERIES_MAX = 3.0  # erf from the series below this, from 1 - erfc above
_ERFC_SERIES_MAX = 1.0  # erfc from 1 - erf below this, from the continued fraction above


def _erf_series(x):
    """erf(x) = 2/sqrt(pi) e^(-x^2) sum_k (2x^2)^k x / (1*3*...*(2k+1)).

    Every term is positive, so unlike the Taylor series there is no cancellation."""
    xp = B.array_module(x)
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for k in range(1, _SERIES_TERMS):
        term = term * (2.0 * x2) / (2 * k + 1)
        total = total + term
    return _TWO_OVER_SQRT_PI * xp.exp(-x2) * total


def _erfc_fraction(x):
    """erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) for x >= 1,
    evaluated from the bottom; it converges faster the larger x is."""
    xp = B.array_module(x)
    smallest = float(x.min()) if x.size else math.inf
    depth = 200 if smallest < 1.5 else 100 if smallest < 2.0 else 60
    t = xp.zeros_like(x)
    for k in range(depth, 0, -1):
        t = (0.5 * k) / (x + t)
    return xp.exp(-x * x) / math.sqrt(math.pi) / (x + t)


def _positive_parts(x):
    """(|x| in float64, a float64 output filled with NaN, so NaN inputs stay NaN)."""
    xp = B.array_module(x)
    a = xp.abs(x.astype(xp.float64))
    return a, xp.full(a.shape, math.nan)


def erfc_array(x):
    """erfc of a floating array, in its dtype."""
    xp = B.array_module(x)
    with B.quiet():
        a, out = _positive_parts(x)
        small = a < _ERFC_SERIES_MAX
        large = a >= _ERFC_SERIES_MAX
        out[small] = 1.0 - _erf_series(a[small])
        out[large] = _erfc_fraction(a[large])
        out = xp.where(x < 0, 2.0 - out, out)
    return B.as_array(out.astype(x.dtype))


def erf_array(x):
    """erf of a floating array, in its dtype."""
    xp = B.array_module(x)
    with B.quiet():
        a, out = _positive_parts(x)
        small = a < _ERF_SERIES_MAX
        large = a >= _ERF_SERIES_MAX
        out[small] = _erf_series(a[small])
        out[large] = 1.0 - _erfc_fraction(a[large])
        out = xp.where(x < 0, -out, out)
    return B.as_array(out.astype(x.dtype))


class Erf(Function):
    """z = erf x;  dz/dx = 2/sqrt(pi) e^(-x^2)."""

    _raw = True
    _node_name = "ErfBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_array(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (_TWO_OVER_SQRT_PI * (-(x * x)).exp())

    jvp = staticmethod(elementwise_jvp)


class Erfc(Function):
    """z = erfc x = 1 - erf x;  dz/dx = -2/sqrt(pi) e^(-x^2)."""

    _raw = True
    _node_name = "ErfcBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erfc_array(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (-_TWO_OVER_SQRT_PI * (-(x * x)).exp())

    jvp = staticmethod(elementwise_jvp)
