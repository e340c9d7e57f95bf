"""Elementwise Tensor operators (& | ^ ~ << >> // %) and in-place forms (exp_, clamp_, ...):
the base of ElementwiseMethods."""
from __future__ import annotations

from ..ops import arithmetic as _A
from ..ops import elementwise as _E
from ..ops import exp_log as _X
from ..ops import inplace as _P
from ..ops import logical as _G
from ..ops import minmax as _M
from ..ops import rounding as _R
from ..ops import special as _F
from ..ops import trig as _T


def inplace(t, name, op_cls, *args):
    """``t = op_cls(t, *args)`` written into t, recorded when t or any argument needs grad
    (the inplace module's binary_/unary_ record only for t and one operand)."""
    if _P._records(t, *args):
        return _P._rebase(t, op_cls.apply(_P._snapshot(t), *args), name)
    _P._write(t, op_cls.apply(t, *args), name)
    return t


def _is_tensor(v) -> bool:
    return hasattr(v, "_data")


def _tensor_arg(v, op, name="other"):
    """``v``, which PyTorch requires to be a Tensor (TypeError otherwise)."""
    if not _is_tensor(v):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(v).__name__}; "
                        f"wrap numbers with numtorch.tensor(...)")
    return v


def _input(v, op):
    """The ``input`` of a function form: PyTorch refuses numbers there (TypeError)."""
    return _tensor_arg(v, op, "input")


class OperatorMethods:
    """Operators and in-place forms of the elementwise ops."""

    __slots__ = ()

    # ---- operators --------------------------------------------------------------------------
    def __pow__(self, exponent):
        return (_A.PowTensor if _is_tensor(exponent) else _A.Pow).apply(self, exponent)

    pow = __pow__

    def __rpow__(self, base):
        return _A.RPow.apply(base, self)

    def __and__(self, other):
        return _G.BitwiseAnd.apply(self, other)

    def __rand__(self, other):
        return _G.BitwiseAnd.apply(self, other)

    def __or__(self, other):
        return _G.BitwiseOr.apply(self, other)

    def __ror__(self, other):
        return _G.BitwiseOr.apply(self, other)

    def __xor__(self, other):
        return _G.BitwiseXor.apply(self, other)

    def __rxor__(self, other):
        return _G.BitwiseXor.apply(self, other)

    def __invert__(self):
        if self.dtype.is_floating_point:  # the operator raises TypeError, the function not
            raise TypeError(f"~ (operator.invert) is only implemented on integer and bool "
                            f"tensors, got {self.dtype}; use logical_not() for truth values")
        return _G.BitwiseNot.apply(self)

    def __lshift__(self, other):
        return _G.LeftShift.apply(self, other)

    def __rlshift__(self, other):
        return _G.LeftShift.apply(other, self)

    def __rshift__(self, other):
        return _G.RightShift.apply(self, other)

    def __rrshift__(self, other):
        return _G.RightShift.apply(other, self)

    def __floordiv__(self, other):
        return _R.FloorDivide.apply(self, other)

    def __rfloordiv__(self, other):
        return _R.FloorDivide.apply(other, self)

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return _R.Remainder.apply(other, self)

    def __iand__(self, other):
        return inplace(self, "bitwise_and_", _G.BitwiseAnd, other)

    def __ior__(self, other):
        return inplace(self, "bitwise_or_", _G.BitwiseOr, other)

    def __ixor__(self, other):
        return inplace(self, "bitwise_xor_", _G.BitwiseXor, other)

    def __ilshift__(self, other):
        return inplace(self, "bitwise_left_shift_", _G.LeftShift, other)

    def __irshift__(self, other):
        return inplace(self, "bitwise_right_shift_", _G.RightShift, other)

    def __ifloordiv__(self, other):
        return inplace(self, "floor_divide_", _R.FloorDivide, other)

    def __imod__(self, other):
        return self.remainder_(other)

    # ---- in place ---------------------------------------------------------------------------
    def pow_(self, exponent):
        op = _A.PowTensor if _is_tensor(exponent) else _A.Pow
        return inplace(self, "pow_", op, exponent)

    __ipow__ = pow_

    def abs_(self):
        return inplace(self, "abs_", _E.Abs)

    absolute_ = abs_

    def sign_(self):
        return inplace(self, "sign_", _R.Sign)

    def exp_(self):
        return inplace(self, "exp_", _E.Exp)

    def exp2_(self):
        return inplace(self, "exp2_", _X.Exp2)

    def expm1_(self):
        return inplace(self, "expm1_", _X.Expm1)

    def log_(self):
        return inplace(self, "log_", _E.Log)

    def log2_(self):
        return inplace(self, "log2_", _X.Log2)

    def log10_(self):
        return inplace(self, "log10_", _X.Log10)

    def log1p_(self):
        return inplace(self, "log1p_", _X.Log1p)

    def sqrt_(self):
        return inplace(self, "sqrt_", _E.Sqrt)

    def rsqrt_(self):
        return inplace(self, "rsqrt_", _X.Rsqrt)

    def square_(self):
        return inplace(self, "square_", _A.Pow, 2)

    def reciprocal_(self):
        return inplace(self, "reciprocal_", _X.Reciprocal)

    def logit_(self, eps=None):
        return inplace(self, "logit_", _X.Logit, eps)

    def sin_(self):
        return inplace(self, "sin_", _E.Sin)

    def cos_(self):
        return inplace(self, "cos_", _E.Cos)

    def tan_(self):
        return inplace(self, "tan_", _T.Tan)

    def asin_(self):
        return inplace(self, "asin_", _T.Asin)

    def acos_(self):
        return inplace(self, "acos_", _T.Acos)

    def atan_(self):
        return inplace(self, "atan_", _T.Atan)

    def sinh_(self):
        return inplace(self, "sinh_", _T.Sinh)

    def cosh_(self):
        return inplace(self, "cosh_", _T.Cosh)

    def tanh_(self):
        return inplace(self, "tanh_", _E.Tanh)

    def sigmoid_(self):
        return inplace(self, "sigmoid_", _E.Sigmoid)

    def erf_(self):
        return inplace(self, "erf_", _F.Erf)

    def erfc_(self):
        return inplace(self, "erfc_", _F.Erfc)

    def atan2_(self, other):
        return inplace(self, "atan2_", _T.Atan2, other)

    arctan2_ = atan2_

    def hypot_(self, other):
        return inplace(self, "hypot_", _T.Hypot, other)

    def floor_(self):
        return inplace(self, "floor_", _R.Floor)

    def ceil_(self):
        return inplace(self, "ceil_", _R.Ceil)

    def round_(self, decimals=0):
        if decimals == 0:
            return inplace(self, "round_", _R.Round)
        return inplace(self, "round_", _R.RoundDecimals, decimals)

    def trunc_(self):
        return inplace(self, "trunc_", _R.Trunc)

    fix_ = trunc_

    def frac_(self):
        return inplace(self, "frac_", _R.Frac)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return inplace(self, "nan_to_num_", _R.NanToNum, nan, posinf, neginf)

    def clamp_(self, min=None, max=None):
        if _is_tensor(min) or _is_tensor(max):
            return inplace(self, "clamp_", _M.ClampTensor, min, max)
        return inplace(self, "clamp_", _E.Clamp, min, max)

    clip_ = clamp_

    def clamp_min_(self, min):
        if _is_tensor(min):
            return inplace(self, "clamp_min_", _M.ClampMinTensor, min, None)
        return inplace(self, "clamp_min_", _M.ClampMin, min, None)

    def clamp_max_(self, max):
        if _is_tensor(max):
            return inplace(self, "clamp_max_", _M.ClampMaxTensor, None, max)
        return inplace(self, "clamp_max_", _M.ClampMax, None, max)

    def lerp_(self, end, weight):
        if _is_tensor(weight):
            return inplace(self, "lerp_", _E.LerpTensor, end, weight)
        return inplace(self, "lerp_", _E.Lerp, end, weight)

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return inplace(self, "addcmul_", _A.Addcmul, tensor1, tensor2, value)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return inplace(self, "addcdiv_", _A.Addcdiv, tensor1, tensor2, value)

    def fmod_(self, other):
        op = _R.Fmod if _is_tensor(other) else _R.FmodScalar
        return inplace(self, "fmod_", op, other)

    def remainder_(self, other):
        op = _R.Remainder if _is_tensor(other) else _R.RemainderScalar
        return inplace(self, "remainder_", op, other)

    def floor_divide_(self, other):
        return inplace(self, "floor_divide_", _R.FloorDivide, other)

    def logical_and_(self, other):
        return inplace(self, "logical_and_", _G.LogicalAnd, other)

    def logical_or_(self, other):
        return inplace(self, "logical_or_", _G.LogicalOr, other)

    def logical_xor_(self, other):
        return inplace(self, "logical_xor_", _G.LogicalXor, other)

    def logical_not_(self):
        return inplace(self, "logical_not_", _G.LogicalNot)

    def bitwise_and_(self, other):
        return inplace(self, "bitwise_and_", _G.BitwiseAnd, other)

    def bitwise_or_(self, other):
        return inplace(self, "bitwise_or_", _G.BitwiseOr, other)

    def bitwise_xor_(self, other):
        return inplace(self, "bitwise_xor_", _G.BitwiseXor, other)

    def bitwise_not_(self):
        return inplace(self, "bitwise_not_", _G.BitwiseNot)

    def bitwise_left_shift_(self, other):
        return inplace(self, "bitwise_left_shift_", _G.LeftShift, other)

    def bitwise_right_shift_(self, other):
        return inplace(self, "bitwise_right_shift_", _G.RightShift, other)

    def eq_(self, other):
        return inplace(self, "eq_", _A.Eq, other)

    def ne_(self, other):
        return inplace(self, "ne_", _A.Ne, other)

    def lt_(self, other):
        return inplace(self, "lt_", _A.Lt, other)

    def le_(self, other):
        return inplace(self, "le_", _A.Le, other)

    def gt_(self, other):
        return inplace(self, "gt_", _A.Gt, other)

    def ge_(self, other):
        return inplace(self, "ge_", _A.Ge, other)
