"""Elementwise ops: copies and casts, abs, exp, log, sqrt, sin, cos, tanh, sigmoid, clamp,
where, lerp."""
from __future__ import annotations

from .. import _backend as B
from .._promotion import get_default_dtype, result_type
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp, linear_jvp
from .arithmetic import broadcasting, operands, scalar_operand

_np = B.np
_ndarray = B.np.ndarray

__all__ = ["Clone", "ToCopy", "Copy", "Fill", "FillNumber", "Abs", "Exp", "Log", "Sqrt", "Sin",
           "Cos", "Tanh", "Sigmoid", "Clamp", "Where", "Lerp", "LerpTensor"]


def _floating(x):
    """Integer inputs of math functions compute in the default float dtype, as in PyTorch."""
    return x if x.dtype.kind == "f" else x.astype(get_default_dtype().np)


class Clone(Function):
    """z = copy of x (in x's memory layout, or row-major for contiguous());  dz/dx = 1."""

    _raw = True
    _num_inputs = 1
    _node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, contiguous=False):
        return x.copy(order="C" if contiguous else "K")

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None

    jvp = staticmethod(linear_jvp)


class ToCopy(Function):
    """z = x converted to another dtype and/or moved to another device;  the gradient is moved
    back here and converted back (by the engine)."""

    _raw = True
    _num_inputs = 1
    _node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype, device=None):
        if device is None:
            return x.astype(dtype.np)
        ctx.source = B.device_of(x)
        return B.to_device(x, device).astype(dtype.np, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        source = ctx.__dict__.get("source")
        return grad_output if source is None else grad_output.to(source), None, None

    jvp = staticmethod(linear_jvp)


class Copy(Function):
    """z = y broadcast to x's shape in x's dtype (x.copy_(y));  dz/dx = 0, dz/dy = 1."""

    _raw = True
    _node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, x, y):
        xp = B.array_module(x)
        return xp.broadcast_to(y, x.shape).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return (grad_output * 0 if ctx.needs_input_grad[0] else None,
                grad_output if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(linear_jvp)


class Fill(Copy):
    """x.fill_(y) for a 0-d tensor y: Copy under PyTorch's node name."""

    _node_name = "FillBackward3"


class FillNumber(Copy):
    """x.fill_(number): Copy under PyTorch's node name."""

    _node_name = "FillBackward2"

    @staticmethod
    def jvp(ctx, tx, value):
        return None  # every element becomes the number: a zero tangent


class Abs(Function):
    """z = |x|;  dz/dx = sign(x)."""

    _raw = True
    _node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise NotImplementedError("abs is not implemented for bool tensors (they are "
                                      "their own absolute value); convert first, e.g. x.int()")
        ctx.save_for_backward(x)
        return B.array_module(x).abs(x)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * ((x > 0).to(grad_output.dtype) - (x < 0).to(grad_output.dtype))

    jvp = staticmethod(elementwise_jvp)


class Exp(Function):
    """z = e**x;  dz/dx = z."""

    _raw = True
    _node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        # as_array: for 0-d inputs NumPy returns a scalar, which could not be saved as an output
        z = B.as_array(B.array_module(x).exp(_floating(x)))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * z

    jvp = staticmethod(elementwise_jvp)


class Log(Function):
    """z = ln x;  dz/dx = 1 / x."""

    _raw = True
    _node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with B.quiet():
            return B.array_module(x).log(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output / x

    jvp = staticmethod(elementwise_jvp)


class Sqrt(Function):
    """z = sqrt(x);  dz/dx = 1 / (2 z)."""

    _raw = True
    _node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        with B.quiet():
            z = B.as_array(B.array_module(x).sqrt(_floating(x)))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output / (2 * z)

    jvp = staticmethod(elementwise_jvp)


class Sin(Function):
    """z = sin x;  dz/dx = cos x."""

    _raw = True
    _node_name = "SinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return B.array_module(x).sin(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * x.cos()

    jvp = staticmethod(elementwise_jvp)


class Cos(Function):
    """z = cos x;  dz/dx = -sin x."""

    _raw = True
    _node_name = "CosBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return B.array_module(x).cos(_floating(x))

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return -grad_output * x.sin()

    jvp = staticmethod(elementwise_jvp)


class Tanh(Function):
    """z = tanh x;  dz/dx = 1 - z**2."""

    _raw = True
    _node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        z = B.as_array(B.array_module(x).tanh(_floating(x)))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * (1 - z * z)

    jvp = staticmethod(elementwise_jvp)


class Sigmoid(Function):
    """z = 1 / (1 + e**-x);  dz/dx = z (1 - z)."""

    _raw = True
    _node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        xp = B.array_module(x)
        x = _floating(x)
        # NOTE: written through exp(-|x|) so that large |x| cannot overflow
        e = xp.exp(-xp.abs(x))
        z = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, = ctx.saved_tensors
        return grad_output * (z * (1 - z))

    jvp = staticmethod(elementwise_jvp)


class Clamp(Function):
    """z = min(max(x, lo), hi);  dz/dx = 1 where lo <= x <= hi, else 0."""

    _raw = True
    _num_inputs = 1
    _node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
        ctx.save_for_backward(x)
        if ctx.needs_input_grad[0]:  # (a call that is not recorded makes no ctx.__dict__)
            ctx.bounds = (min, max)
        kind = x.dtype.kind
        if kind == "f" and (min is None or max is None) and type(x) is _ndarray:
            # one bound on a floating array (ReLU is clamp(min=0)): the ufunc NumPy's clip
            # calls for it, without clip's Python wrapper
            bound = min if max is None else max
            if type(bound) is int or type(bound) is float:
                bound = scalar_operand(bound, x.dtype)
            return _np.maximum(x, bound) if max is None else _np.minimum(x, bound)
        xp = B.array_module(x)
        if kind == "f" and (min is None or max is None):
            return xp.maximum(x, min) if max is None else xp.minimum(x, max)
        if kind == "b":
            raise RuntimeError("clamp is not supported for bool tensors")
        if kind in "iu" and any(isinstance(b, float) for b in (min, max)):
            x = x.astype(get_default_dtype().np)
        if min is not None and max is not None and min > max:
            return xp.full_like(x, max)  # PyTorch: everything becomes max
        return xp.clip(x, min, max)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        lo, hi = ctx.bounds
        mask = x >= lo if lo is not None else None
        if hi is not None:
            mask = x <= hi if mask is None else mask * (x <= hi)
        return grad_output * mask, None, None

    jvp = staticmethod(elementwise_jvp)


class Where(Function):
    """z = a where cond else b;  dz/da = cond, dz/db = not cond."""

    _raw = True
    _node_name = "WhereBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        xp = B.array_module(cond)
        if not hasattr(a, "dtype") and not hasattr(b, "dtype"):
            # two Python numbers: the result takes their dtype (NumPy would pick float64)
            d = result_type(a, b).np
            return xp.where(cond, xp.asarray(a, d), xp.asarray(b, d))
        a, b = operands(a, b)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        cond, = ctx.saved_tensors
        zero = grad_output * 0
        return (None,
                Where.apply(cond, grad_output, zero) if ctx.needs_input_grad[1] else None,
                Where.apply(cond, zero, grad_output) if ctx.needs_input_grad[2] else None)

    jvp = staticmethod(elementwise_jvp)


def _check_lerp(x, y, w=None):
    for name, v in (("end", y), ("weight", w)):
        if hasattr(v, "dtype") and v.dtype != x.dtype:
            raise RuntimeError(f"lerp: expected dtype {x.dtype} for `{name}` but got dtype "
                               f"{v.dtype}; convert it first, e.g. {name}.to(start.dtype)")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"lerp is not implemented for {x.dtype} tensors; convert "
                                  f"them first, e.g. x.float()")


def _lerp(x, y, w):
    """x + w (y - x), written from the nearer end so that w == 1 gives exactly y."""
    xp = B.array_module(x)
    d = y - x
    if not hasattr(w, "dtype"):
        return x + w * d if abs(w) < 0.5 else y - d * (1 - w)
    return xp.where(xp.abs(w) < 0.5, x + w * d, y - d * (1 - w)).astype(x.dtype)


class Lerp(Function):
    """z = x + w (y - x) for a number w;  dz/dx = 1 - w, dz/dy = w."""

    _raw = True
    _num_inputs = 2
    _node_name = "LerpBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y, weight):
        _check_lerp(x, y)
        ctx.weight = weight
        return B.as_array(_lerp(x, y, weight))

    @staticmethod
    def backward(ctx, grad_output):
        w = ctx.weight
        return (grad_output * (1 - w) if ctx.needs_input_grad[0] else None,
                grad_output * w if ctx.needs_input_grad[1] else None, None)

    jvp = staticmethod(elementwise_jvp)


class LerpTensor(Function):
    """z = x + w (y - x) for a tensor w;  dz/dx = 1 - w, dz/dy = w, dz/dw = y - x."""

    _raw = True
    _node_name = "LerpBackward1"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y, weight):
        _check_lerp(x, y, weight)
        ctx.save_for_backward(x, y, weight)
        return B.as_array(_lerp(x, y, weight))

    @staticmethod
    def backward(ctx, grad_output):
        x, y, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (grad_output * (1 - w) if need[0] else None,
                grad_output * w if need[1] else None,
                grad_output * (y - x) if need[2] else None)

    jvp = staticmethod(elementwise_jvp)
