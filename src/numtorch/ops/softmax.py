"""Softmax-like ops: softmax and log_softmax (fused, numerically stable), and glu."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ._util import wrap_dim
from .activation import float_only
from .joining import cat

__all__ = ["Softmax", "LogSoftmax", "Glu"]


def _axis(x, dim, op):
    """The NumPy axis of ``dim`` (None for a 0-d array, whose only 'dim' is 0 or -1)."""
    d = wrap_dim(dim, x.ndim, op)
    return d if x.ndim else None


def _shifted(x, axis):
    """x - max(x) along axis: exp of it cannot overflow (empty slices are left alone)."""
    xp = B.array_module(x)
    return x - xp.max(x, axis=axis, keepdims=True, initial=-xp.inf)


class Softmax(Function):
    """z = e**x / sum(e**x) along dim;  dx = z (g - sum(g z)) along dim."""

    _raw = True
    _num_inputs = 1
    _node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        float_only(x, "softmax")
        axis = _axis(x, dim, "softmax")
        xp = B.array_module(x)
        with B.quiet():  # rows holding inf or only -inf give NaN, as in PyTorch
            e = xp.exp(_shifted(x, axis))
            z = B.as_array(e / e.sum(axis=axis, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return z * (grad_output - (grad_output * z).sum(ctx.dim, keepdim=True)), None

    @staticmethod
    def jvp(ctx, t, dim):
        z, = ctx.saved_tensors
        return z * (t - (t * z).sum(ctx.dim, keepdim=True))


class LogSoftmax(Function):
    """z = x - log(sum(e**x)) along dim;  dx = g - e**z sum(g) along dim."""

    _raw = True
    _num_inputs = 1
    _node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        float_only(x, "log_softmax")
        axis = _axis(x, dim, "log_softmax")
        xp = B.array_module(x)
        with B.quiet():
            # NOTE: the log-sum-exp trick: shifting by the max keeps exp finite and the
            # result accurate for large inputs
            s = _shifted(x, axis)
            z = B.as_array(s - xp.log(xp.exp(s).sum(axis=axis, keepdims=True)))
        ctx.dim = dim
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output - z.exp() * grad_output.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def jvp(ctx, t, dim):
        z, = ctx.saved_tensors
        return t - (z.exp() * t).sum(ctx.dim, keepdim=True)


def _halves(dim, half):
    """Index keys selecting the first and the second half of ``dim``."""
    lead = (slice(None),) * dim
    return lead + (slice(0, half),), lead + (slice(half, None),)


class Glu(Function):
    """z = a sigmoid(b) with (a, b) the halves of x along dim;
    da = g sigmoid(b), db = g a sigmoid(b) (1 - sigmoid(b))."""

    _raw = True
    _num_inputs = 1
    _node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim=-1):
        if x.ndim == 0:
            raise RuntimeError("glu: a 0-d tensor has no dimension to halve; give it at least "
                               "one dimension of even size")
        d = wrap_dim(dim, x.ndim, "glu")
        n = x.shape[d]
        if n % 2:
            raise RuntimeError(f"glu: the halved dimension must have an even size, but "
                               f"dimension {d} of shape {list(x.shape)} has size {n}")
        float_only(x, "glu")
        xp = B.array_module(x)
        first, second = _halves(d, n // 2)
        ctx.save_for_backward(x)
        ctx.keys, ctx.dim = (first, second), d
        b = x[second]
        e = xp.exp(-xp.abs(b))  # sigmoid through e**-|b|: no overflow for either sign
        s = xp.where(b >= 0, 1 / (1 + e), e / (1 + e))
        return (x[first] * s).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        first, second = ctx.keys
        a, s = x[first], x[second].sigmoid()
        return cat([grad_output * s, grad_output * a * s * (1 - s)], ctx.dim), None

    @staticmethod
    def jvp(ctx, t, *_):
        x, = ctx.saved_tensors
        first, second = ctx.keys
        a, s = x[first], x[second].sigmoid()
        return t[first] * s + a * s * (1 - s) * t[second]
