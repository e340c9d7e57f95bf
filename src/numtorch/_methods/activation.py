"""Activations and softmax-like ops: Tensor methods and numtorch.X forms."""
from __future__ import annotations

from ..ops import activation as _A
from ..ops import activation_smooth as _SM
from ..ops import inplace as _P
from ..ops import softmax as _S

__all__ = ["relu_", "selu", "selu_", "celu", "celu_", "threshold", "threshold_", "hardshrink",
           "softmax", "log_softmax", "rrelu", "rrelu_", "prelu"]


class ActivationMethods:
    """Tensor methods for this category; one line each, calling the op Functions."""

    __slots__ = ()

    def softmax(self, dim, dtype=None):
        return _S.Softmax.apply(self if dtype is None else self.to(dtype), dim)

    def log_softmax(self, dim, dtype=None):
        return _S.LogSoftmax.apply(self if dtype is None else self.to(dtype), dim)

    def hardshrink(self, lambd=0.5):
        return _A.Hardshrink.apply(self, lambd)

    def prelu(self, weight):
        return _A.Prelu.apply(self, weight)


def relu_(input):
    return input.relu_()


def selu(input):
    return _SM.Elu.apply(input, _SM.SELU_ALPHA, _SM.SELU_SCALE, 1.0)


def selu_(input):
    return _P.unary_(input, _SM.EluInplace, _SM.SELU_ALPHA, _SM.SELU_SCALE, 1.0)


def celu(input, alpha=1.0):
    return _SM.Celu.apply(input, alpha, 1.0, 1.0 / alpha)


def celu_(input, alpha=1.0):
    return _P.unary_(input, _SM.CeluInplace, alpha, 1.0, 1.0 / alpha)


def threshold(input, threshold, value):
    return _A.Threshold.apply(input, threshold, value)


def threshold_(input, threshold, value):
    return _P.unary_(input, _A.ThresholdInplace, threshold, value)


def hardshrink(input, lambd=0.5):
    return _A.Hardshrink.apply(input, lambd)


def prelu(input, weight):
    return _A.Prelu.apply(input, weight)


def softmax(input, dim, dtype=None):
    return input.softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    return input.log_softmax(dim, dtype)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """Randomized leaky ReLU: in training, each negative entry gets its own slope drawn
    uniformly from [lower, upper); otherwise the slope is (lower + upper) / 2."""
    return _A.Rrelu.apply(input, _rrelu_slope(input, lower, upper, training, generator))


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    slope = _rrelu_slope(input, lower, upper, training, generator)
    return _P.unary_(input, _A.RreluInplace, slope)


def _rrelu_slope(input, lower, upper, training, generator):
    if not training:
        return (lower + upper) / 2
    from .._creation import rand
    u = rand(input.shape, dtype=input.dtype, generator=generator)._data
    return lower + (upper - lower) * u
