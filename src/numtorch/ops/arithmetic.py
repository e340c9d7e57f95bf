"""Arithmetic and comparison ops: add, sub, mul, div, neg, pow, addcmul, addcdiv, and ==, !=,
<, <=, >, >=."""
from __future__ import annotations

import functools
import math

from .. import _backend as B
from .._promotion import get_default_dtype, result_type
from ..autograd.function import Function
from ..autograd.jvp_rules import elementwise_jvp

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "PowTensor", "RPow", "Addcmul", "Addcdiv",
           "Eq", "Ne", "Lt", "Le", "Gt", "Ge"]


def _cast(v, np_dtype):
    if hasattr(v, "dtype"):
        return v if v.dtype == np_dtype else v.astype(np_dtype)
    if type(v) is int and np_dtype.kind in "iu":
        info = B.np.iinfo(np_dtype)
        if not info.min <= v <= info.max:
            # NOTE: PyTorch wraps an out-of-range Python int around (uint8 + -1 adds 255);
            # NumPy would raise OverflowError instead
            return B.np.asarray(v % (1 << (8 * np_dtype.itemsize))).astype(np_dtype)[()]
    return v


def _kind(v) -> str:
    return v.dtype.kind if hasattr(v, "dtype") else ""


def _is_bool(v) -> bool:
    return type(v) is bool or _kind(v) == "b"


def _negative_int(y) -> bool:
    if hasattr(y, "dtype"):
        return y.dtype.kind in ("i", "u") and bool((y < 0).any())
    return type(y) is int and y < 0


def broadcasting(forward):
    """Decorate an op's forward so that operands whose shapes cannot be broadcast raise
    PyTorch's RuntimeError (NumPy raises ValueError) naming the op and the shapes."""
    @functools.wraps(forward)
    def checked(ctx, *args):
        try:
            return forward(ctx, *args)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            raise broadcast_error(forward.__qualname__.split(".")[0], args) from None
    return checked


def broadcast_error(op: str, args) -> RuntimeError:
    shapes = [tuple(a.shape) for a in args if hasattr(a, "shape")]
    detail = ""
    for dim in range(1, max(len(s) for s in shapes) + 1):
        sizes = {s[-dim] for s in shapes if len(s) >= dim and s[-dim] != 1}
        if len(sizes) > 1:
            a, b = sorted(sizes)[:2]
            detail = (f": sizes {a} and {b} differ at dimension "
                      f"{max(len(s) for s in shapes) - dim} (counted in the broadcast shape)")
            break
    return RuntimeError(f"{op}: shapes {', '.join(str(list(s)) for s in shapes)} cannot be "
                        f"broadcast together{detail}. Sizes must be equal or 1 in each "
                        f"dimension, aligned from the last; use unsqueeze(), reshape() or "
                        f"expand() to line them up")


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


_ndarray = B.np.ndarray
_SCALARS = {}  # (number, NumPy dtype) -> the number as a read-only 0-d array of that dtype


def scalar_operand(v, np_dtype):
    """The Python number ``v`` as a 0-d NumPy array of the floating ``np_dtype``: the value
    NumPy would convert ``v`` to, which its ufuncs and item assignment take for less work
    than a Python number. Cached; ``v`` itself for -0.0, NaN, overflow and a full cache."""
    if v == 0 and type(v) is float and math.copysign(1.0, v) < 0:
        return v  # -0.0 equals 0.0 as a key: it is never cached, nor handed +0.0's array
    a = _SCALARS.get((v, np_dtype))
    if a is None:
        if v != v or len(_SCALARS) >= 1024:
            return v
        with B.quiet():  # (a number too large for the dtype is left to NumPy as it is)
            a = B.np.asarray(v, np_dtype)
        if not B.np.isfinite(a):
            return v
        a.flags.writeable = False
        _SCALARS[(v, np_dtype)] = a
    return a


def fast_operands(x, y):
    """``operands(x, y)`` for the hottest ops, with a number next to a floating NumPy array
    given as ``scalar_operand`` (the same values, computed in the same dtype)."""
    if type(x) is _ndarray:
        t = type(y)
        if t is _ndarray:
            if y.dtype is x.dtype:
                return x, y
        elif (t is float or t is int) and x.dtype.kind == "f":
            return x, scalar_operand(y, x.dtype)
    return operands(x, y)


class Add(Function):
    """z = x + y;  dz/dx = 1, dz/dy = 1."""

    _raw = True
    _node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = fast_operands(x, y)
        try:  # the hottest ops check inline: a try block costs nothing until it raises
            return x + y
        except ValueError:
            raise broadcast_error("Add", (x, y)) from None

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output

    jvp = staticmethod(elementwise_jvp)


class Sub(Function):
    """z = x - y;  dz/dx = 1, dz/dy = -1."""

    _raw = True
    _node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, x, y):
        if _is_bool(x) or _is_bool(y):
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                               "supported. Use the `^` or `logical_xor()` operator instead.")
        x, y = fast_operands(x, y)
        try:
            return x - y
        except ValueError:
            raise broadcast_error("Sub", (x, y)) from None

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, -grad_output if ctx.needs_input_grad[1] else None

    jvp = staticmethod(elementwise_jvp)


class Mul(Function):
    """z = x * y;  dz/dx = y, dz/dy = x."""

    _raw = True
    _node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, y):
        need = ctx.needs_input_grad
        ctx.save_for_backward(y if need[0] else None, x if need[1] else None)
        x, y = fast_operands(x, y)
        try:
            return x * y
        except ValueError:
            raise broadcast_error("Mul", (x, y)) from None

    @staticmethod
    def backward(ctx, grad_output):
        y, x = ctx.saved_tensors
        return (grad_output * y if ctx.needs_input_grad[0] else None,
                grad_output * x if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)


class Div(Function):
    """z = x / y;  dz/dx = 1 / y, dz/dy = -x / y**2."""

    _raw = True
    _node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, y):
        need = ctx.needs_input_grad
        ctx.save_for_backward(x if need[1] else None, y if need[0] or need[1] else None)
        x, y = operands(x, y, floating=True)
        try:
            with B.quiet():
                return x / y
        except ValueError:
            raise broadcast_error("Div", (x, y)) from None

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return (grad_output / y if ctx.needs_input_grad[0] else None,
                -grad_output * x / (y * y) if ctx.needs_input_grad[1] else None)

    jvp = staticmethod(elementwise_jvp)


def _integral(v) -> bool:
    """Whether an operand (array or Python number) is of integer or bool type."""
    return type(v) in (int, bool) or _kind(v) in ("i", "u", "b")


def _three(x, a, b, floating=False):
    """Three operands brought to their common dtype."""
    d = result_type(x, a, b)
    if floating and not d.is_floating_point:
        d = get_default_dtype()
    return _cast(x, d.np), _cast(a, d.np), _cast(b, d.np)


class Addcmul(Function):
    """z = x + value * a * b;  dz/dx = 1, dz/da = value * b, dz/db = value * a."""

    _raw = True
    _num_inputs = 3
    _node_name = "AddcmulBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, a, b, value=1):
        need = ctx.needs_input_grad
        ctx.save_for_backward(b if need[1] else None, a if need[2] else None)
        x, a, b = _three(x, a, b)
        if x.dtype.kind in "iu":
            value = int(value)  # PyTorch converts the value to the integer result type
        ctx.value = value
        return B.as_array(x + value * a * b if value != 1 else x + a * b)

    @staticmethod
    def backward(ctx, grad_output):
        b, a = ctx.saved_tensors
        g = grad_output * ctx.value
        return (grad_output if ctx.needs_input_grad[0] else None,
                g * b if ctx.needs_input_grad[1] else None,
                g * a if ctx.needs_input_grad[2] else None, None)

    jvp = staticmethod(elementwise_jvp)


class Addcdiv(Function):
    """z = x + value * a / b;  dz/dx = 1, dz/da = value / b, dz/db = -value * a / b**2."""

    _raw = True
    _num_inputs = 3
    _node_name = "AddcdivBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, a, b, value=1):
        if _integral(a) and _integral(b):
            raise RuntimeError("Integer division with addcdiv is no longer supported; convert "
                               "tensor1 or tensor2 to a floating dtype, or use "
                               "x + value * a.div(b, rounding_mode='trunc')")
        need = ctx.needs_input_grad
        ctx.save_for_backward(a if need[2] else None, b if need[1] or need[2] else None)
        ctx.value = value
        x, a, b = _three(x, a, b)
        with B.quiet():
            return B.as_array(x + value * (a / b))

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        g = grad_output * ctx.value
        return (grad_output if ctx.needs_input_grad[0] else None,
                g / b if ctx.needs_input_grad[1] else None,
                -g * a / (b * b) if ctx.needs_input_grad[2] else None, None)

    jvp = staticmethod(elementwise_jvp)


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

    jvp = staticmethod(elementwise_jvp)


def _int_pow(x, y):
    """Integer x ** y with some exponents negative: 1 / x**|y| truncated, so 0 unless x is
    1 or -1 (PyTorch's rule for tensor exponents; 0 ** -n gives 0 there too)."""
    xp = B.array_module(y)
    x = xp.asarray(x, y.dtype) if not hasattr(x, "dtype") else x
    negative = y < 0
    z = x ** xp.where(negative, 0, y)
    unit = xp.where(x == -1, 1 - 2 * (y % 2), xp.where(x == 1, 1, 0))
    return B.as_array(xp.where(negative, unit, z).astype(z.dtype))


def _bool_pow(x, y):
    """Powers with bool operands: PyTorch has no bool ** bool kernel for tensors."""
    d = result_type(x, y)
    if d is B.bool_:
        if hasattr(x, "dtype") and hasattr(y, "dtype"):
            raise NotImplementedError("pow is not implemented for two bool tensors; convert "
                                      "one first, e.g. x.int()")
        return B.as_array(_cast(x, B.np.dtype("int64")) ** _cast(y, B.np.dtype("int64"))
                          ).astype(bool)
    x, y = _cast(x, d.np), _cast(y, d.np)
    with B.quiet():
        return B.as_array(x ** y)


class Pow(Function):
    """z = x ** y;  dz/dx = y * x**(y-1), dz/dy = x**y * log(x) (taken as 0 where x == 0 and
    y >= 0, the limit PyTorch uses)."""

    _raw = True
    _node_name = "PowBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        if not hasattr(y, "dtype"):
            ctx._num_inputs = 1  # x ** number: next_functions lists x only, as in PyTorch
        if _is_bool(x) or _is_bool(y):
            return _bool_pow(x, y)
        x, y = operands(x, y)
        if _integral(x) and _negative_int(y):
            if not hasattr(y, "dtype"):
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            return _int_pow(x, y)
        with B.quiet():
            return x ** y

    @staticmethod
    def backward(ctx, grad_output):
        # the zero cases are masked with where (as PyTorch does), so the second derivative
        # is NaN exactly where PyTorch's is
        from .elementwise import Where
        x, y = ctx.saved_tensors
        gx = gy = None
        if ctx.needs_input_grad[0]:
            if isinstance(y, (int, float)):
                gx = grad_output * 0 if y == 0 else grad_output * (y * x ** (y - 1))
            else:  # where y == 0, x**y is 1 for every x: the gradient is 0, even at x == 0
                with B.quiet():
                    gx = Where.apply((y == 0)._data, 0.0, grad_output * (y * x ** (y - 1)))
        if ctx.needs_input_grad[1]:
            limit = (x == 0) * (y >= 0)  # where x**y * log(x) tends to 0
            if hasattr(x, "log"):
                log_x = x.log()
            else:
                log_x = math.log(x) if x > 0 else math.nan if x < 0 else -math.inf
            with B.quiet():
                gy = Where.apply(limit._data, 0.0, grad_output * (x ** y * log_x))
        return gx, gy

    jvp = staticmethod(elementwise_jvp)


class PowTensor(Pow):
    """x ** tensor: Pow under PyTorch's node name."""

    _node_name = "PowBackward1"


class RPow(Pow):
    """number ** tensor: Pow under PyTorch's node name."""

    _node_name = "PowBackward2"


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
        x, y = fast_operands(x, y)
        try:
            return x == y
        except ValueError:
            raise broadcast_error("Eq", (x, y)) from None


class Ne(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = fast_operands(x, y)
        try:
            return x != y
        except ValueError:
            raise broadcast_error("Ne", (x, y)) from None


class Lt(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = fast_operands(x, y)
        try:
            return x < y
        except ValueError:
            raise broadcast_error("Lt", (x, y)) from None


class Le(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = fast_operands(x, y)
        try:
            return x <= y
        except ValueError:
            raise broadcast_error("Le", (x, y)) from None


class Gt(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = fast_operands(x, y)
        try:
            return x > y
        except ValueError:
            raise broadcast_error("Gt", (x, y)) from None


class Ge(_Compare):
    @staticmethod
    def forward(ctx, x, y):
        x, y = fast_operands(x, y)
        try:
            return x >= y
        except ValueError:
            raise broadcast_error("Ge", (x, y)) from None
