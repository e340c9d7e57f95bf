"""Piecewise activation ops: the relu family, hardtanh, threshold, hard sigmoid/swish and the
shrinks. Smooth ones live in ops/activation_smooth.py, softmax-like ones in ops/softmax.py."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp
from .elementwise import Where

__all__ = ["float_only", "Relu", "LeakyRelu", "LeakyReluInplace", "Rrelu", "RreluInplace",
           "Prelu", "Hardtanh", "Threshold", "ThresholdInplace", "Hardsigmoid", "Hardswish",
           "Softshrink", "Hardshrink"]


def float_only(x, op: str):
    """PyTorch has no integer or bool kernel for most activations: refuse them the same way."""
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"{op}: not implemented for {B.dtype_of(x).name} tensors; convert the input "
            f"to a floating dtype first, e.g. x.float()")


class Relu(Function):
    """z = max(x, 0);  dz/dx = 1 where z > 0, else 0."""

    _raw = True
    _node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError("relu: bool tensors are not supported; convert with .float()")
        # maximum keeps NaN as NaN, as PyTorch does; as_array keeps a 0-d result an array so
        # it is saved as this node's output
        z = B.as_array(B.array_module(x).maximum(x, 0))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return ThresholdBackward.apply(grad_output, z, 0)

    jvp = staticmethod(elementwise_jvp)


class ThresholdBackward(Function):
    """The backward of relu and threshold: g * (x > threshold) in one pass, with no float copy
    of the mask. Linear in g (d/dg is the same mask); the mask is piecewise constant in x, so x
    gets no gradient."""

    _raw = True
    _num_inputs = 2
    _node_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, threshold):
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        # NumPy multiplies by the bool mask in one pass (the engine sums a broadcast result)
        return B.as_array(B.array_module(g).multiply(g, x > threshold, dtype=g.dtype))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return ThresholdBackward.apply(grad_output, x, ctx.threshold), None, None

    @staticmethod
    def jvp(ctx, tg, tx, tthreshold):
        if tg is None:
            return None
        x, = ctx.saved_tensors
        return ThresholdBackward.apply(tg, x, ctx.threshold)


class LeakyRelu(Function):
    """z = x if x > 0 else slope * x;  dz/dx = 1 if x > 0 else slope."""

    _raw = True
    _num_inputs = 1
    _node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        float_only(x, "leaky_relu")
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return B.array_module(x).where(x > 0, x, x * negative_slope).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return Where.apply(x > 0, grad_output, grad_output * ctx.slope), None

    jvp = staticmethod(elementwise_jvp)


class LeakyReluInplace(LeakyRelu):
    """leaky_relu_: LeakyRelu under PyTorch's in-place node name."""

    _node_name = "LeakyReluBackward1"


class Rrelu(Function):
    """z = x if x > 0 else slope * x, with one slope or a drawn slope per element;
    dz/dx = 1 if x > 0 else slope."""

    _raw = True
    _num_inputs = 1
    _node_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        float_only(x, "rrelu")
        ctx.save_for_backward(x, slope if hasattr(slope, "shape") else None)
        ctx.slope = slope
        return B.array_module(x).where(x > 0, x, x * slope).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, noise = ctx.saved_tensors
        slope = ctx.slope if noise is None else noise
        return Where.apply(x > 0, grad_output, grad_output * slope), None

    jvp = staticmethod(elementwise_jvp)


class RreluInplace(Rrelu):
    """rrelu_: Rrelu under PyTorch's in-place node name."""

    _node_name = "RreluWithNoiseBackward1"


class Prelu(Function):
    """z = x if x > 0 else w x, with one learned slope per channel (dim 1) or one for all;
    dz/dx = 1 or w, dz/dw = x where x <= 0 (summed over all but the channel dim)."""

    _raw = True
    _node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, weight):
        float_only(x, "prelu")
        if weight.ndim > 1:
            raise RuntimeError(f"prelu: the weight must be a number or a 1-d tensor (one slope "
                               f"per channel), got shape {list(weight.shape)}")
        if weight.dtype != x.dtype:
            raise RuntimeError(f"prelu: the input ({B.dtype_of(x).name}) and the weight "
                               f"({B.dtype_of(weight).name}) must have the same dtype")
        channels = x.shape[1] if x.ndim >= 2 else 1
        if weight.size != 1:
            if x.ndim == 0:
                raise RuntimeError("prelu: a 0-d input takes a single slope, not one per "
                                   "channel")
            if weight.size != channels:
                raise RuntimeError(f"prelu: the weight has {weight.size} slopes but the input "
                                   f"of shape {list(x.shape)} has {channels} channels (dim 1)")
        # the slopes broadcast along dim 1: (C,) becomes (C, 1, ..., 1)
        ctx.wshape = (() if weight.size == 1 else (channels,) + (1,) * (x.ndim - 2))
        ctx.save_for_backward(x, weight)
        w = weight.reshape(ctx.wshape)
        return B.array_module(x).where(x > 0, x, w * x).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = Where.apply(x > 0, grad_output, grad_output * weight.reshape(ctx.wshape))
        if ctx.needs_input_grad[1]:
            per_entry = grad_output * x * (x <= 0)
            if weight.numel() == 1:
                grad_w = per_entry.sum().reshape(weight.shape)
            else:
                grad_w = per_entry.sum((0,) + tuple(range(2, x.dim())))
        return grad_x, grad_w

    @staticmethod
    def jvp(ctx, tx, tw):
        x, weight = ctx.saved_tensors
        out = None
        if tx is not None:
            out = Where.apply(x > 0, tx, tx * weight.reshape(ctx.wshape))
        if tw is not None:
            term = x * (x <= 0) * tw.reshape(ctx.wshape)
            out = term if out is None else out + term
        return out


class Hardtanh(Function):
    """z = min(max(x, lo), hi);  dz/dx = 1 where lo < x < hi, else 0 (relu6 is lo=0, hi=6)."""

    _raw = True
    _num_inputs = 1
    _node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, min_val=-1.0, max_val=1.0):
        if x.dtype.kind == "b":
            raise RuntimeError("hardtanh: bool tensors are not supported; convert with .float()")
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        return B.array_module(x).clip(x, min_val, max_val).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        lo, hi = ctx.bounds
        return grad_output * (x > lo) * (x < hi), None, None

    jvp = staticmethod(elementwise_jvp)


class Threshold(Function):
    """z = x if x > threshold else value;  dz/dx = 1 where x > threshold, else 0."""

    _raw = True
    _num_inputs = 1
    _node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        if x.dtype.kind in "iu":
            # PyTorch converts both numbers to the input's integer dtype (truncating)
            threshold, value = int(threshold), int(value)
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return B.array_module(x).where(x > threshold, x, value).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return ThresholdBackward.apply(grad_output, x, ctx.threshold), None, None

    jvp = staticmethod(elementwise_jvp)


class ThresholdInplace(Threshold):
    """threshold_: Threshold under PyTorch's in-place node name."""

    _node_name = "ThresholdBackward1"


_ONE_SIXTH_F32 = float(B.np.float32(1 / 6))


class Hardsigmoid(Function):
    """z = min(max(x + 3, 0), 6) / 6;  dz/dx = 1/6 where -3 < x < 3, else 0."""

    _raw = True
    _node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        float_only(x, "hardsigmoid")
        ctx.save_for_backward(x)
        return (B.array_module(x).clip(x + 3, 0, 6) / 6).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        # NOTE: PyTorch multiplies by 1/6 rounded to float32, even for float64 tensors
        return grad_output * (x > -3) * (x < 3) * _ONE_SIXTH_F32

    jvp = staticmethod(elementwise_jvp)


class Hardswish(Function):
    """z = x min(max(x + 3, 0), 6) / 6;  dz/dx = 0 (x <= -3), x/3 + 1/2 (-3 < x < 3), 1."""

    _raw = True
    _node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        float_only(x, "hardswish")
        ctx.save_for_backward(x)
        return (x * B.array_module(x).clip(x + 3, 0, 6) / 6).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        middle = (x / 3 + 0.5) * (x > -3) * (x < 3)
        return grad_output * (middle + (x >= 3))

    jvp = staticmethod(elementwise_jvp)


class Softshrink(Function):
    """z = x - l (x > l), x + l (x < -l), else 0;  dz/dx = 1 where |x| > l, else 0."""

    _raw = True
    _num_inputs = 1
    _node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd=0.5):
        float_only(x, "softshrink")
        if not lambd >= 0:
            raise RuntimeError(f"softshrink: lambda must be at least 0, but found {lambd}")
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (x.abs() > ctx.lambd), None

    jvp = staticmethod(elementwise_jvp)


class Hardshrink(Function):
    """z = x where |x| > l, else 0;  dz/dx = 1 where |x| > l, else 0."""

    _raw = True
    _num_inputs = 1
    _node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd=0.5):
        float_only(x, "hardshrink")
        xp = B.array_module(x)
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        return xp.where(xp.abs(x) > lambd, x, 0).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (x.abs() > ctx.lambd), None

    jvp = staticmethod(elementwise_jvp)
