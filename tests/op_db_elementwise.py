"""op_db entries for the elementwise ops (see op_db.py for the framework)."""
from __future__ import annotations

import numpy as np

from op_db import (
    ALL,
    FLOATS,
    Const,
    OpInfo,
    Sample,
    binary_samples,
    pow_samples,
    rpow_samples,
    unary_samples,
)

NAN, INF = float("nan"), float("inf")


def _values(make, *values):
    return np.array(values, make.dtype)


def math_samples(make):
    """unary_samples plus an empty tensor."""
    return unary_samples(make) + [Sample((make(2, 0),), "empty")]


def _unary(name, expr, domain=(-2.0, 2.0), dtypes=ALL, samples=math_samples, **kw):
    return OpInfo(name, expr, samples, domain=domain, dtypes=dtypes, **kw)


def special_samples(make):
    """Integers, zeros, infinities and NaN, where rounding and classification are defined."""
    if make.dtype.kind != "f":
        return [Sample((_values(make, -3, 0, 2, 7),), "integers")]
    return [Sample((_values(make, -2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 3.7, -3.7),),
                   "halves and zero", fd=False),
            Sample((_values(make, NAN, INF, -INF, 1.0, -0.0),), "nan and inf", fd=False)]


def rounding_samples(make):
    return math_samples(make) + special_samples(make)


def logit_eps_samples(make):
    return [Sample((make(3, 4), 0.1), "eps 0.1"),
            Sample((make(), 0.25), "0-d, eps 0.25"),
            Sample((_values(make, 0.05, 0.1, 0.5, 0.95, 1.5, -0.5), 0.1), "outside eps",
                   fd=False)]


def round_decimals_samples(make):
    return [Sample((make(3, 4, low=-50, high=50), 2), "2 decimals"),
            Sample((make(5, low=-500, high=500), -2), "-2 decimals"),
            Sample((_values(make, 1.005, 2.675, -0.125, 1234.5678), 2), "near halves",
                   fd=False),
            Sample((make(3, 4, noncontig=True), 1), "non-contiguous")]


def nan_to_num_samples(make):
    special = _values(make, NAN, INF, -INF, 1.5, -2.0) if make.dtype.kind == "f" \
        else _values(make, 1, -2, 3)
    return [Sample((make(3, 4), 0.0, None, None), "finite"),
            Sample((special, 0.0, None, None), "defaults", fd=False),
            Sample((special, 1.0, 2.0, -3.0), "given values", fd=False)]


def tensor_binary_samples(make):
    """binary_samples without Python numbers, plus ties and an empty pair."""
    x = make(3, 4)
    return [s for s in binary_samples(make) if "python" not in s.desc] + [
        Sample((x, x.copy()), "ties", fd=False),
        Sample((make(0, 3), make(3)), "empty")]


def python_number_samples(make):
    """Only the samples with a Python number: for ops PyTorch refuses them in."""
    return [s for s in binary_samples(make) if "python" in s.desc]


def divisor_samples(make):
    """Divisors away from 0 with both signs, for fmod, remainder and floor division."""
    def divisor(*shape):
        return make(*shape, low=0.5, high=2.5) * np.where(make(*shape, low=-1, high=1) < 0,
                                                          -1, 1).astype(make.dtype)
    return [
        Sample((make(3, 4, low=-6, high=6), divisor(3, 4)), "same shape"),
        Sample((make(3, 1, low=-6, high=6), divisor(1, 4)), "broadcast"),
        Sample((make(low=-6, high=6), divisor(3)), "0-d dividend"),
        Sample((make(3, 4, low=-6, high=6, noncontig=True), divisor(4)), "non-contiguous"),
        Sample((make(2, 3, low=-6, high=6), 1.5), "python number"),
        Sample((make(2, 3, low=-6, high=6), -2), "negative python int"),
    ]


def const_divisor_samples(make):
    """divisor_samples as constants (floor division has no derivative)."""
    def const(a):
        return Const(a) if isinstance(a, np.ndarray) else a
    return [Sample(tuple(const(a) for a in s.args), s.desc) for s in divisor_samples(make)]


def mismatch_errors(make):
    return [Sample((make(3), make(4)), "shapes that do not broadcast")]


def zero_divisor_errors(make):
    return [Sample((Const(np.array([1, 2])), Const(np.array([1, 0]))), "integer zero"),
            Sample((make(2, 3), make(2)), "shapes that do not broadcast")]


def clamp_tensor_samples(make):
    lo = make(3, 4, low=-1.0, high=0.0)
    return [
        Sample((make(3, 4), lo, lo + 1), "both bounds"),
        Sample((make(3, 4), make(4, low=-1.0, high=0.0), None), "min only, broadcast"),
        Sample((make(3, 4), None, make(3, 1, low=0.0, high=1.0)), "max only, broadcast"),
        Sample((make(3, 4), lo + 1, lo), "min > max", fd=False),
        Sample((make(), make(3, low=-1, high=0), make(3, low=0, high=1)), "0-d input"),
        Sample((_values(make, -1, 0, 1), _values(make, -1, 0, 2), _values(make, 1, 0, 1)),
               "on the bounds", fd=False),
    ]


def clamp_one_samples(make):
    return [Sample((make(3, 4), make(4, low=-1, high=1)), "tensor bound"),
            Sample((make(3, 4), 0.5), "number bound"),
            Sample((make(), make(low=-1, high=1)), "0-d"),
            Sample((make(3, 4, noncontig=True), -1), "non-contiguous, int bound")]


def where_samples(make):
    cond = Const(make.rng.uniform(size=(3, 4)) > 0.5)
    return [
        Sample((cond, make(3, 4), make(3, 4)), "tensors"),
        Sample((cond, make(4), make(3, 1)), "broadcast"),
        Sample((cond, make(3, 4), 1.5), "tensor, number"),
        Sample((cond, -1, make(3, 4)), "int, tensor"),
        Sample((cond, 1.0, 2), "two numbers"),
        Sample((Const(np.array(True)), make(2, 3, noncontig=True), make()), "0-d condition"),
    ]


def where_errors(make):
    return [Sample((Const(np.ones(3)), make(3), make(3)), "float condition"),
            Sample((Const(np.ones(3, bool)), make(4), make(3)), "shapes that do not broadcast")]


def lerp_samples(make):
    return [
        Sample((make(3, 4), make(3, 4), 0.3), "number weight"),
        Sample((make(3, 4), make(4), 0.75), "weight above 1/2, broadcast"),
        Sample((make(3, 4), make(3, 4), make(3, 4, low=-0.5, high=1.5)), "tensor weight"),
        Sample((make(3, 1), make(1, 4), make(4)), "tensor weight, broadcast"),
        Sample((make(), make(), make()), "0-d"),
        Sample((make(2, 3, noncontig=True), make(2, 3), 1.0), "weight 1"),
    ]


def lerp_errors(make):
    return [Sample((make(3), make(3, dtype="float64"), 0.5), "mixed dtypes"),
            Sample((make(3), make(2), make(3)), "shapes that do not broadcast")]


def addc_samples(make):
    return [
        Sample((make(3, 4), make(3, 4), make(3, 4, low=0.5, high=2), 1), "value 1"),
        Sample((make(3, 4), make(4), make(3, 1, low=0.5, high=2), 2), "broadcast, value 2"),
        Sample((make(), make(3), make(3, low=-2, high=-0.5), -0.5), "0-d, value -0.5"),
        Sample((make(3, 4, noncontig=True), make(3, 4), make(3, 4, low=0.5, high=2), 1),
               "non-contiguous"),
    ]


def addcdiv_errors(make):
    ints = Const(np.array([1, 2, 3]))
    return [Sample((make(3), ints, ints, 1), "integer division")]


def bool_pair(make):
    rng = make.rng
    return (Const(rng.uniform(size=(3, 4)) > 0.5), Const(rng.uniform(size=(4,)) > 0.5))


def logical_samples(make):
    zeros = make(3, 4)
    zeros[0] = 0
    return [Sample((zeros, make(3, 4)), "with zeros"),
            Sample((make(3, 1), make(1, 4)), "broadcast"),
            Sample((make(), make(3)), "0-d"),
            Sample(bool_pair(make), "bool")]


def bitwise_samples(make):
    return [Sample((make(3, 4, low=-8, high=8), make(3, 4, low=-8, high=8)), "same shape"),
            Sample((make(3, 1, low=-8, high=8), make(4, low=-8, high=8)), "broadcast"),
            Sample((make(3, 4, low=-8, high=8), 6), "python int"),
            Sample((make(low=-8, high=8), make(3, low=-8, high=8)), "0-d"),
            Sample(bool_pair(make), "bool"),
            Sample((bool_pair(make)[0], 1), "bool, python int")]


def shift_samples(make):
    return [Sample((make(3, 4, low=-20, high=20), make(3, 4, low=0, high=6)), "same shape"),
            Sample((make(3, 4, low=-20, high=20), 3), "python int"),
            Sample((make(3, 1, low=-20, high=20), make(4, low=0, high=6)), "broadcast"),
            Sample((make(4, low=-20, high=20), 70), "past the width")]


def unary_bitwise_samples(make):
    return [Sample((make(3, 4, low=-8, high=8),), "values"),
            Sample((make(),), "0-d"),
            Sample((bool_pair(make)[0],), "bool")]


def isclose_samples(make):
    x = make(3, 4)
    near = x + np.asarray(1e-6, make.dtype)
    special = _values(make, NAN, INF, -INF, 1.0) if make.dtype.kind == "f" \
        else _values(make, 1, 2, 3, 4)
    return [Sample((x, near), "near"),
            Sample((x, make(3, 4)), "far"),
            Sample((make(3, 1), make(4)), "broadcast"),
            Sample((special, special.copy()), "special values")]


def isclose_errors(make):
    return [Sample((make(3), make(3, dtype="float64")), "mixed dtypes")]


def _compare(name, fn, samples=None, **kw):
    from op_db import compare_samples
    return OpInfo(name, fn, samples or compare_samples, dtypes=ALL, differentiable=False, **kw)


def _no_grad(name, fn, samples, dtypes=ALL, **kw):
    return OpInfo(name, fn, samples, dtypes=dtypes, differentiable=False, **kw)


OPS = [
    # ---- one operand: exponentials, logarithms, powers ----
    _unary("sign", lambda lib, x: x.sign(), samples=rounding_samples),
    _unary("exp2", lambda lib, x: lib.exp2(x)),
    _unary("expm1", lambda lib, x: x.expm1()),
    _unary("log2", lambda lib, x: x.log2(), domain=(0.2, 3.0)),
    _unary("log10", lambda lib, x: lib.log10(x), domain=(0.2, 3.0)),
    _unary("log1p", lambda lib, x: x.log1p(), domain=(-0.5, 2.0)),
    _unary("rsqrt", lambda lib, x: x.rsqrt(), domain=(0.5, 3.0)),
    _unary("square", lambda lib, x: lib.square(x)),
    _unary("reciprocal", lambda lib, x: x.reciprocal(), domain=(0.5, 2.0)),
    _unary("logit", lambda lib, x: x.logit(), domain=(0.05, 0.95)),
    OpInfo("logit_eps", lambda lib, x, eps: lib.logit(x, eps), logit_eps_samples,
           domain=(0.05, 0.95)),
    _unary("erf", lambda lib, x: x.erf(), domain=(-3.0, 3.0)),
    _unary("erf_tails", lambda lib, x: lib.erf(x), domain=(2.5, 6.0)),
    _unary("erfc", lambda lib, x: lib.erfc(x), domain=(-3.0, 3.0)),
    _unary("erfc_tail", lambda lib, x: x.erfc(), domain=(0.8, 8.0),
           tol={"float32": (1e-5, 1e-30), "float64": (1e-12, 1e-300), "int64": (0, 0)}),
    # ---- trigonometric and hyperbolic ----
    _unary("tan", lambda lib, x: x.tan(), domain=(-1.2, 1.2)),
    _unary("asin", lambda lib, x: lib.asin(x), domain=(-0.9, 0.9)),
    _unary("acos", lambda lib, x: x.acos(), domain=(-0.9, 0.9)),
    _unary("atan", lambda lib, x: lib.arctan(x), domain=(-3.0, 3.0)),
    _unary("sinh", lambda lib, x: x.sinh()),
    _unary("cosh", lambda lib, x: lib.cosh(x)),
    OpInfo("atan2", lambda lib, x, y: lib.atan2(x, y), tensor_binary_samples, dtypes=ALL,
           domain=(0.3, 2.0)),
    OpInfo("atan2_numbers", lambda lib, x, y: lib.atan2(x, y), lambda make: [],
           errors=python_number_samples),
    OpInfo("hypot", lambda lib, x, y: x.hypot(y), tensor_binary_samples, domain=(0.3, 2.0),
           errors=mismatch_errors),
    # ---- rounding ----
    _unary("floor", lambda lib, x: x.floor(), samples=rounding_samples),
    _unary("ceil", lambda lib, x: lib.ceil(x), samples=rounding_samples),
    _unary("round", lambda lib, x: x.round(), samples=rounding_samples),
    _unary("trunc", lambda lib, x: lib.trunc(x), samples=rounding_samples),
    _unary("frac", lambda lib, x: x.frac(), samples=rounding_samples,
           errors=lambda make: [Sample((Const(np.array([1, 2])),), "integer")]),
    OpInfo("round_decimals", lambda lib, x, d: lib.round(x, decimals=d),
           round_decimals_samples),
    OpInfo("nan_to_num", lambda lib, x, nan, pos, neg: x.nan_to_num(nan, pos, neg),
           nan_to_num_samples, dtypes=ALL),
    # ---- two operands ----
    # op_db's pow entries skip the node names; PowBackward1 and PowBackward2 are checked here
    OpInfo("pow_tensor_named", lambda lib, x, y: lib.pow(x, y), pow_samples, domain=(0.5, 2.0)),
    OpInfo("rpow_named", lambda lib, s, x: s ** x, rpow_samples),
    OpInfo("maximum", lambda lib, x, y: lib.maximum(x, y), tensor_binary_samples, dtypes=ALL,
           errors=python_number_samples),
    OpInfo("minimum", lambda lib, x, y: x.minimum(y), tensor_binary_samples, dtypes=ALL,
           errors=mismatch_errors),
    OpInfo("fmod", lambda lib, x, y: x.fmod(y), divisor_samples, dtypes=ALL,
           errors=zero_divisor_errors),
    OpInfo("remainder", lambda lib, x, y: lib.remainder(x, y), divisor_samples, dtypes=ALL,
           errors=zero_divisor_errors),
    OpInfo("mod_operator", lambda lib, x, y: x % y, divisor_samples, dtypes=ALL),
    # PyTorch has no derivative for number % tensor
    _no_grad("rmod_operator", lambda lib, x, y: 5.5 % y.detach(),
             lambda make: divisor_samples(make)[:4]),
    _no_grad("floor_divide", lambda lib, x, y: x // y, const_divisor_samples,
             errors=zero_divisor_errors),
    _no_grad("floor_divide_function", lambda lib, x, y: lib.floor_divide(x, y),
             const_divisor_samples),
    OpInfo("div_floor", lambda lib, x, y: lib.div(x, y, rounding_mode="floor"),
           divisor_samples, dtypes=ALL),
    OpInfo("div_trunc", lambda lib, x, y: x.div(y, rounding_mode="trunc"), divisor_samples,
           dtypes=ALL),
    OpInfo("lerp", lambda lib, x, y, w: lib.lerp(x, y, w), lerp_samples, errors=lerp_errors),
    OpInfo("addcmul", lambda lib, x, a, b, v: lib.addcmul(x, a, b, value=v), addc_samples,
           dtypes=ALL),
    OpInfo("addcdiv", lambda lib, x, a, b, v: x.addcdiv(a, b, value=v), addc_samples,
           errors=addcdiv_errors),
    # ---- clamp and where ----
    OpInfo("clamp_tensor", lambda lib, x, lo, hi: lib.clamp(x, lo, hi), clamp_tensor_samples,
           dtypes=ALL, errors=lambda make: [Sample((make(3), make(2), None), "mismatch")]),
    OpInfo("clip_tensor", lambda lib, x, lo, hi: x.clip(min=lo, max=hi),
           clamp_tensor_samples),
    OpInfo("clamp_min", lambda lib, x, v: x.clamp_min(v), clamp_one_samples, dtypes=ALL),
    OpInfo("clamp_max", lambda lib, x, v: lib.clamp_max(x, v), clamp_one_samples,
           dtypes=ALL),
    OpInfo("where", lambda lib, c, x, y: lib.where(c, x, y), where_samples, dtypes=ALL,
           errors=where_errors, same_name=False),
    OpInfo("Tensor.where", lambda lib, c, x, y: x.where(c, y),
           lambda make: where_samples(make)[:3], dtypes=ALL),
    # ---- logical, bitwise, classification, comparison ----
    _no_grad("logical_and", lambda lib, x, y: lib.logical_and(x, y), logical_samples,
             errors=mismatch_errors),
    _no_grad("logical_or", lambda lib, x, y: x.logical_or(y), logical_samples),
    _no_grad("logical_xor", lambda lib, x, y: lib.logical_xor(x, y), logical_samples),
    _no_grad("logical_not", lambda lib, x: x.logical_not(), rounding_samples),
    _no_grad("bitwise_and", lambda lib, x, y: x & y, bitwise_samples),
    _no_grad("bitwise_or", lambda lib, x, y: lib.bitwise_or(x, y), bitwise_samples),
    _no_grad("bitwise_xor", lambda lib, x, y: x ^ y, bitwise_samples),
    _no_grad("rand_operator", lambda lib, x, y: 6 & x, bitwise_samples),
    _no_grad("bitwise_not", lambda lib, x: ~x, unary_bitwise_samples),
    _no_grad("left_shift", lambda lib, x, y: x << y, shift_samples, dtypes=("int64",)),
    _no_grad("right_shift", lambda lib, x, y: lib.bitwise_right_shift(x, y), shift_samples,
             dtypes=("int64",)),
    _no_grad("isnan", lambda lib, x: x.isnan(), rounding_samples),
    _no_grad("isinf", lambda lib, x: lib.isinf(x), rounding_samples),
    _no_grad("isfinite", lambda lib, x: x.isfinite(), rounding_samples),
    _no_grad("isposinf", lambda lib, x: lib.isposinf(x), rounding_samples),
    _no_grad("isneginf", lambda lib, x: x.isneginf(), rounding_samples),
    _compare("greater", lambda lib, x, y: lib.greater(x, y), errors=mismatch_errors),
    _compare("greater_equal", lambda lib, x, y: x.greater_equal(y)),
    _compare("less", lambda lib, x, y: x.less(y)),
    _compare("less_equal", lambda lib, x, y: lib.less_equal(x, y)),
    _compare("not_equal", lambda lib, x, y: x.not_equal(y)),
    _compare("isclose", lambda lib, x, y: lib.isclose(x, y), isclose_samples,
             errors=isclose_errors),
    _compare("isclose_equal_nan", lambda lib, x, y: x.isclose(y, rtol=0.1, equal_nan=True),
             isclose_samples),
    _compare("equal", lambda lib, x, y: lib.tensor(lib.equal(x, y)), isclose_samples),
    _compare("allclose", lambda lib, x, y: lib.tensor(x.allclose(y, atol=1e-5)),
             isclose_samples),
    # ---- in place, on a non-leaf copy ----
    _unary("exp_", lambda lib, x: (x * 1).exp_(), dtypes=FLOATS),
    _unary("sqrt_", lambda lib, x: lib.sqrt_(x * 1), domain=(0.2, 3.0), dtypes=FLOATS),
    _unary("floor_", lambda lib, x: (x * 1).floor_(), dtypes=FLOATS),
    _unary("erf_", lambda lib, x: (x * 1).erf_(), dtypes=FLOATS),
    OpInfo("clamp_tensor_", lambda lib, x, lo, hi: (x * 1).clamp_(lo, hi),
           lambda make: [s for s in clamp_tensor_samples(make) if s.desc != "0-d input"],
           same_name=False),
    OpInfo("lerp_", lambda lib, x, y, w: (x * 1).lerp_(y, w),
           lambda make: lerp_samples(make)[:2] + lerp_samples(make)[4:]),
    OpInfo("addcmul_", lambda lib, x, a, b, v: (x * 1).addcmul_(a, b, value=v),
           lambda make: [s for s in addc_samples(make) if s.args[0].ndim == 2]),
    OpInfo("atan2_", lambda lib, x, y: (x * 1).atan2_(y),
           lambda make: [s for s in tensor_binary_samples(make)
                         if s.args[0].shape == np.broadcast_shapes(s.args[0].shape,
                                                                   s.args[1].shape)],
           domain=(0.3, 2.0)),
]
