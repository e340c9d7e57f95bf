"""Elementwise math, rounding, clamp, where: Tensor methods and numtorch.X forms.

ElementwiseMethods has two bases: the operators (& | ^ ~ << >> // %) and in-place forms
(exp_, clamp_, ...) in elementwise_ops.py, and the logical, bitwise, classification and
comparison ops in elementwise_logical.py (whose numtorch.X forms are exported from there)."""
from __future__ import annotations

from .. import _backend as B
from ..ops import arithmetic as _A
from ..ops import elementwise as _E
from ..ops import exp_log as _X
from ..ops import minmax as _M
from ..ops import rounding as _R
from ..ops import special as _F
from ..ops import trig as _T
from .elementwise_logical import LogicalMethods
from .elementwise_ops import OperatorMethods, _input, _is_tensor, _tensor_arg

__all__ = ["sign", "exp2", "expm1", "log2", "log10", "log1p", "rsqrt", "square", "reciprocal",
           "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "atan2",
           "arctan2", "sinh", "cosh", "logit", "erf", "erfc", "floor", "ceil", "round",
           "trunc", "fix", "frac", "maximum", "minimum", "clamp", "clip", "clamp_min",
           "clamp_max", "where", "lerp", "addcmul", "addcdiv", "fmod", "remainder",
           "hypot", "floor_divide", "nan_to_num", "absolute", "exp_", "sqrt_", "abs_",
           "neg_"]


class ElementwiseMethods(OperatorMethods, LogicalMethods):
    """Tensor methods for this category; one line each, calling the op Functions."""

    __slots__ = ()

    def sign(self):
        return _R.Sign.apply(self)

    def absolute(self):
        return _E.Abs.apply(self)

    def exp2(self):
        return _X.Exp2.apply(self)

    def expm1(self):
        return _X.Expm1.apply(self)

    def log2(self):
        return _X.Log2.apply(self)

    def log10(self):
        return _X.Log10.apply(self)

    def log1p(self):
        return _X.Log1p.apply(self)

    def rsqrt(self):
        return _X.Rsqrt.apply(self)

    def square(self):
        return _A.Pow.apply(self, 2)

    def reciprocal(self):
        return _X.Reciprocal.apply(self)

    def logit(self, eps=None):
        return _X.Logit.apply(self, eps)

    def tan(self):
        return _T.Tan.apply(self)

    def asin(self):
        return _T.Asin.apply(self)

    def acos(self):
        return _T.Acos.apply(self)

    def atan(self):
        return _T.Atan.apply(self)

    arcsin = asin
    arccos = acos
    arctan = atan

    def atan2(self, other):
        return _T.Atan2.apply(self, _tensor_arg(other, "atan2"))

    arctan2 = atan2

    def sinh(self):
        return _T.Sinh.apply(self)

    def cosh(self):
        return _T.Cosh.apply(self)

    def hypot(self, other):
        return _T.Hypot.apply(self, _tensor_arg(other, "hypot"))

    def erf(self):
        return _F.Erf.apply(self)

    def erfc(self):
        return _F.Erfc.apply(self)

    def floor(self):
        return _R.Floor.apply(self)

    def ceil(self):
        return _R.Ceil.apply(self)

    def round(self, decimals=0):
        return _R.Round.apply(self) if decimals == 0 else _R.RoundDecimals.apply(self, decimals)

    def trunc(self):
        return _R.Trunc.apply(self)

    fix = trunc

    def frac(self):
        return _R.Frac.apply(self)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return _R.NanToNum.apply(self, nan, posinf, neginf)

    def maximum(self, other):
        return _M.Maximum.apply(self, _tensor_arg(other, "maximum"))

    def minimum(self, other):
        return _M.Minimum.apply(self, _tensor_arg(other, "minimum"))

    def clamp(self, min=None, max=None):
        if _is_tensor(min) or _is_tensor(max):
            _clamp_bounds(min, max)
            return _M.ClampTensor.apply(self, min, max)
        return _E.Clamp.apply(self, min, max)

    clip = clamp

    def clamp_min(self, min):
        if _is_tensor(min):
            return _M.ClampMinTensor.apply(self, min, None)
        return _M.ClampMin.apply(self, min, None)

    def clamp_max(self, max):
        if _is_tensor(max):
            return _M.ClampMaxTensor.apply(self, None, max)
        return _M.ClampMax.apply(self, None, max)

    def where(self, condition, y):
        return where(condition, self, y)

    def lerp(self, end, weight):
        if _is_tensor(weight):
            return _E.LerpTensor.apply(self, end, weight)
        return _E.Lerp.apply(self, end, weight)

    def addcmul(self, tensor1, tensor2, *, value=1):
        return _A.Addcmul.apply(self, tensor1, tensor2, value)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return _A.Addcdiv.apply(self, tensor1, tensor2, value)

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is None:
            return _A.Div.apply(self, other)
        return _R.DivRounding.apply(self, other, rounding_mode)

    divide = div

    def true_divide(self, other):
        return _A.Div.apply(self, other)

    def fmod(self, other):
        return (_R.Fmod if _is_tensor(other) else _R.FmodScalar).apply(self, other)

    def remainder(self, other):
        return (_R.Remainder if _is_tensor(other) else _R.RemainderScalar).apply(self, other)

    def floor_divide(self, other):
        return _R.FloorDivide.apply(self, other)


def _clamp_bounds(min, max):
    """PyTorch takes both bounds as tensors or both as numbers, never one of each."""
    for v in (min, max):
        if v is not None and not _is_tensor(v):
            raise TypeError(f"clamp() received an invalid combination of arguments: a tensor "
                            f"bound with a {type(v).__name__} bound; give both as tensors "
                            f"(numtorch.tensor(...)) or both as numbers")


def sign(input):
    return _input(input, "sign").sign()


def absolute(input):
    return _input(input, "absolute").abs()


def exp2(input):
    return _input(input, "exp2").exp2()


def expm1(input):
    return _input(input, "expm1").expm1()


def log2(input):
    return _input(input, "log2").log2()


def log10(input):
    return _input(input, "log10").log10()


def log1p(input):
    return _input(input, "log1p").log1p()


def rsqrt(input):
    return _input(input, "rsqrt").rsqrt()


def square(input):
    return _input(input, "square").square()


def reciprocal(input):
    return _input(input, "reciprocal").reciprocal()


def logit(input, eps=None):
    return _input(input, "logit").logit(eps)


def tan(input):
    return _input(input, "tan").tan()


def asin(input):
    return _input(input, "asin").asin()


def acos(input):
    return _input(input, "acos").acos()


def atan(input):
    return _input(input, "atan").atan()


def atan2(input, other):
    return _input(input, "atan2").atan2(other)


def sinh(input):
    return _input(input, "sinh").sinh()


def cosh(input):
    return _input(input, "cosh").cosh()


def hypot(input, other):
    return _input(input, "hypot").hypot(other)


def erf(input):
    return _input(input, "erf").erf()


def erfc(input):
    return _input(input, "erfc").erfc()


def floor(input):
    return _input(input, "floor").floor()


def ceil(input):
    return _input(input, "ceil").ceil()


def round(input, *, decimals=0):
    return _input(input, "round").round(decimals=decimals)


def trunc(input):
    return _input(input, "trunc").trunc()


def frac(input):
    return _input(input, "frac").frac()


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return _input(input, "nan_to_num").nan_to_num(nan, posinf, neginf)


def maximum(input, other):
    return _input(input, "maximum").maximum(other)


def minimum(input, other):
    return _input(input, "minimum").minimum(other)


def clamp(input, min=None, max=None):
    return _input(input, "clamp").clamp(min, max)


def clamp_min(input, min):
    return _input(input, "clamp_min").clamp_min(min)


def clamp_max(input, max):
    return _input(input, "clamp_max").clamp_max(max)


def where(condition, input=None, other=None):
    """``input`` where ``condition`` else ``other`` (tensors or numbers, broadcast);
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if condition.dtype is not B.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                           f"tensor with dtype {condition.dtype}; compare first, e.g. x > 0")
    return _E.Where.apply(condition._data, input, other)


def lerp(input, end, weight):
    return _input(input, "lerp").lerp(end, weight)


def addcmul(input, tensor1, tensor2, *, value=1):
    return _input(input, "addcmul").addcmul(tensor1, tensor2, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    return _input(input, "addcdiv").addcdiv(tensor1, tensor2, value=value)


def fmod(input, other):
    return _input(input, "fmod").fmod(other)


def remainder(input, other):
    return input.remainder(other) if _is_tensor(input) else _R.Remainder.apply(input, other)


def floor_divide(input, other):
    return _R.FloorDivide.apply(input, other)


def exp_(input):
    return _input(input, "exp_").exp_()


def sqrt_(input):
    return _input(input, "sqrt_").sqrt_()


def abs_(input):
    return _input(input, "abs_").abs_()


def neg_(input):
    return _input(input, "neg_").neg_()


fix = trunc
clip = clamp
arcsin = asin
arccos = acos
arctan = atan
arctan2 = atan2
