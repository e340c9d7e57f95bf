"""Elementwise maximum and minimum, and clamp with tensor bounds (clamp with number bounds is
``Clamp`` in elementwise.py)."""
from __future__ import annotations

from .. import _backend as B
from .._promotion import result_type
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp
from .arithmetic import _cast, broadcasting, operands
from .elementwise import Clamp, Where

__all__ = ["Maximum", "Minimum", "ClampTensor", "ClampMinTensor", "ClampMaxTensor",
           "ClampMin", "ClampMax"]


def _masked(grad_output, mask):
    """grad_output where ``mask`` (a bool tensor), else 0."""
    return Where.apply(mask._data, grad_output, 0.0)


class Maximum(Function):
    """z = max(x, y) (NaN if either is);  dz/dx = 1 where x > y, dz/dy = 1 where y > x,
    each 1/2 where x == y (PyTorch's split of ties)."""

    _raw = True
    _node_name = "MaximumBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = operands(x, y)
        return B.as_array(B.array_module(x).maximum(x, y))

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        g = Where.apply((x == y)._data, grad_output * 0.5, grad_output)
        return (_masked(g, ~(x < y)) if ctx.needs_input_grad[0] else None,
                _masked(g, ~(x > y)) if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)


class Minimum(Function):
    """z = min(x, y) (NaN if either is);  dz/dx = 1 where x < y, dz/dy = 1 where y < x,
    each 1/2 where x == y."""

    _raw = True
    _node_name = "MinimumBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        x, y = operands(x, y)
        return B.as_array(B.array_module(x).minimum(x, y))

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        g = Where.apply((x == y)._data, grad_output * 0.5, grad_output)
        return (_masked(g, ~(x > y)) if ctx.needs_input_grad[0] else None,
                _masked(g, ~(x < y)) if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)


class ClampTensor(Function):
    """z = min(max(x, lo), hi) with tensor bounds (max wins where lo > hi);
    dz/dx = 1 where lo <= x <= hi, dz/dlo = 1 where x < lo < hi, dz/dhi = 1 where x > hi
    or hi < lo."""

    _raw = True
    _node_name = "ClampBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
        if x.dtype.kind == "b":
            raise RuntimeError("clamp is not supported for bool tensors")
        ctx.save_for_backward(x, min, max)
        d = result_type(*(v for v in (x, min, max) if v is not None)).np
        xp = B.array_module(x)
        z = _cast(x, d)
        if min is not None:
            z = xp.maximum(z, _cast(min, d))
        if max is not None:
            z = xp.minimum(z, _cast(max, d))
        return B.as_array(z)

    @staticmethod
    def backward(ctx, grad_output):
        x, lo, hi = ctx.saved_tensors
        need = ctx.needs_input_grad
        gx = glo = ghi = None
        if need[0]:
            inside = x >= lo if lo is not None else None
            if hi is not None:
                inside = x <= hi if inside is None else inside * (x <= hi)
            gx = _masked(grad_output, inside)
        if need[1]:
            below = x < lo if hi is None else (x < lo) * (lo < hi)
            glo = _masked(grad_output, below)
        if len(need) > 2 and need[2]:
            above = x > hi if lo is None else (x > hi) + (hi < lo)
            ghi = _masked(grad_output, above)
        return gx, glo, ghi

    jvp = staticmethod(elementwise_jvp)


class ClampMinTensor(ClampTensor):
    """clamp_min(x, tensor): ClampTensor under PyTorch's node name."""

    _node_name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensor):
    """clamp_max(x, tensor): ClampTensor under PyTorch's node name."""

    _node_name = "ClampMaxBackward1"


class ClampMin(Clamp):
    """clamp_min(x, number): Clamp under PyTorch's node name."""

    _node_name = "ClampMinBackward0"


class ClampMax(Clamp):
    """clamp_max(x, number): Clamp under PyTorch's node name."""

    _node_name = "ClampMaxBackward0"
