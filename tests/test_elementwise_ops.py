"""Elementwise ops beyond what op_db expresses: erf accuracy, tie and bound gradients,
operators with Python numbers, in-place forms, bool results, and broadcasting properties."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import numtorch as nt
from conftest import require_torch

torch = require_torch()


def same(ours, theirs, rtol=1e-12, atol=0.0):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol, equal_nan=True)


def pair(values, dtype="float64", requires_grad=False):
    a = np.array(values, dtype=dtype)
    return (nt.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


# ---- erf and erfc -------------------------------------------------------------------------------

def test_erf_erfc_float64_accuracy_against_math_module():
    xs = np.concatenate([np.linspace(-9, 9, 3001), [0.0, 1e-300, 1e-8, 0.99999, 1.00001,
                                                     2.99999, 3.00001, 26.5, 27.3]])
    erf = nt.erf(nt.tensor(xs)).numpy()
    erfc = nt.erfc(nt.tensor(xs)).numpy()
    ref_erf = np.array([math.erf(v) for v in xs])
    ref_erfc = np.array([math.erfc(v) for v in xs])
    tiny = np.finfo(np.float64).tiny
    assert np.max(np.abs(erf - ref_erf) / np.maximum(np.abs(ref_erf), tiny)) < 4e-15
    assert np.max(np.abs(erfc - ref_erfc) / np.maximum(ref_erfc, tiny)) < 1e-14


def test_erf_special_values_match_torch():
    ours, theirs = pair([math.nan, math.inf, -math.inf, 0.0, 40.0, -40.0])
    same(nt.erf(ours), torch.erf(theirs))
    same(nt.erfc(ours), torch.erfc(theirs))


# ---- gradients on ties, bounds and special points ----------------------------------------------

@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_and_nan_split_the_gradient_as_torch(name):
    x_vals = [1.0, 2.0, 3.0, math.nan, 1.0]
    y_vals = [1.0, 3.0, 2.0, 1.0, math.nan]
    (x, tx), (y, ty) = pair(x_vals, requires_grad=True), pair(y_vals, requires_grad=True)
    getattr(nt, name)(x, y).sum().backward()
    getattr(torch, name)(tx, ty).sum().backward()
    same(x.grad, tx.grad)
    same(y.grad, ty.grad)


def test_clamp_tensor_bounds_gradients_with_crossing_and_nan():
    xv = [1.0, 2.0, 3.0, math.nan, -5.0, 0.5]
    lov = [1.0, 3.0, 2.0, 1.0, 0.0, 1.0]
    hiv = [1.5, 2.5, 1.0, 2.0, 1.0, 0.0]
    (x, tx), (lo, tlo), (hi, thi) = (pair(v, requires_grad=True) for v in (xv, lov, hiv))
    same(nt.clamp(x, lo, hi), torch.clamp(tx, tlo, thi))
    nt.clamp(x, lo, hi).sum().backward()
    torch.clamp(tx, tlo, thi).sum().backward()
    for ours, theirs in ((x, tx), (lo, tlo), (hi, thi)):
        same(ours.grad, theirs.grad)


def test_clamp_refuses_a_tensor_bound_mixed_with_a_number():
    with pytest.raises(TypeError):
        torch.ones(3).clamp(min=torch.zeros(3), max=0.5)
    with pytest.raises(TypeError):
        nt.ones(3).clamp(min=nt.zeros(3), max=0.5)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign"])
def test_piecewise_constant_ops_have_zero_gradient(name):
    x, tx = pair([-1.5, -0.2, 0.0, 0.7, 2.5], requires_grad=True)
    getattr(x, name)().sum().backward()
    getattr(tx, name)().sum().backward()
    same(x.grad, tx.grad)
    assert not x.grad.numpy().any()


def test_floor_divide_has_no_derivative_like_torch():
    x, tx = pair([3.0, -7.5], requires_grad=True)
    with pytest.raises(RuntimeError):
        (tx // 2).sum().backward()
    with pytest.raises(RuntimeError):
        (x // 2).sum().backward()


def test_div_rounding_modes_have_zero_gradient():
    for mode in ("floor", "trunc"):
        x, tx = pair([3.0, -7.5], requires_grad=True)
        y, ty = pair([2.0, 2.0], requires_grad=True)
        nt.div(x, y, rounding_mode=mode).sum().backward()
        torch.div(tx, ty, rounding_mode=mode).sum().backward()
        same(x.grad, tx.grad)
        same(y.grad, ty.grad)


def test_div_unknown_rounding_mode_raises_like_torch():
    with pytest.raises(RuntimeError):
        torch.ones(2).div(2, rounding_mode="round")
    with pytest.raises(RuntimeError):
        nt.ones(2).div(2, rounding_mode="round")


# ---- shapes that do not broadcast ----------------------------------------------------------------

MISMATCH = {
    "add": lambda lib, x, y: x + y, "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y, "div": lambda lib, x, y: x / y,
    "pow": lambda lib, x, y: x ** y, "eq": lambda lib, x, y: x == y,
    "lt": lambda lib, x, y: x < y, "ge": lambda lib, x, y: x >= y,
    "maximum": lambda lib, x, y: lib.maximum(x, y), "fmod": lambda lib, x, y: x.fmod(y),
    "remainder": lambda lib, x, y: x % y, "floor_divide": lambda lib, x, y: x // y,
    "atan2": lambda lib, x, y: lib.atan2(x, y), "and": lambda lib, x, y: x.long() & y.long(),
    "addcmul": lambda lib, x, y: x.addcmul(y, y), "lerp": lambda lib, x, y: x.lerp(y, 0.5),
    "where": lambda lib, x, y: lib.where(x > 0, x, y), "isclose": lambda lib, x, y:
    lib.isclose(x, y), "div_floor": lambda lib, x, y: x.div(y, rounding_mode="floor"),
}


@pytest.mark.parametrize("name", sorted(MISMATCH))
def test_shapes_that_do_not_broadcast_raise_runtime_error(name):
    fn = MISMATCH[name]
    with pytest.raises(RuntimeError):
        fn(torch, torch.ones(2, 3), torch.ones(4, 1, 2))
    with pytest.raises(RuntimeError, match=r"\[2, 3\].*\[4, 1, 2\]"):
        fn(nt, nt.ones(2, 3), nt.ones(4, 1, 2))


# ---- operators and Python numbers --------------------------------------------------------------

OPERATORS = [
    ("x & 6", lambda x: x & 6), ("6 | x", lambda x: 6 | x), ("x ^ True", lambda x: x ^ True),
    ("~x", lambda x: ~x), ("x << 2", lambda x: x << 2), ("1 << x.abs()", lambda x: 1 << x.abs()),
    ("x >> 1", lambda x: x >> 1), ("x // 3", lambda x: x // 3), ("-7 // x", lambda x: -7 // x),
    ("x % -3", lambda x: x % -3), ("7 % x", lambda x: 7 % x), ("x // 2.5", lambda x: x // 2.5),
    ("x % 2.5", lambda x: x % 2.5), ("x > 1", lambda x: x > 1),
]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("desc,fn", OPERATORS, ids=[d for d, _ in OPERATORS])
def test_operators_match_torch(desc, fn, dtype):
    values = [1, 3, 5, 2] if dtype in ("uint8", "bool") else [-5, 3, 7, -2]
    ours, theirs = pair(values, dtype)
    try:
        expected = fn(theirs)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        with pytest.raises(type(e)):
            fn(ours)
        return
    same(fn(ours), expected, rtol=0)


def test_bitwise_ops_refuse_floats_like_torch():
    x, tx = pair([1.0, 2.0], "float32")
    for fn in (lambda a: a & a, lambda a: a | 1, lambda a: ~a, lambda a: a << 1):
        with pytest.raises(Exception) as theirs:
            fn(tx)
        with pytest.raises(theirs.type):
            fn(x)


def test_where_dtypes_of_numbers():
    for a, b in ((1.0, 2), (1, 2), (True, False), (1, 2.5)):
        cond = [True, False, True]
        same(nt.where(nt.tensor(cond), a, b), torch.where(torch.tensor(cond), a, b))
    same(nt.where(nt.tensor([True, False]), nt.tensor([1, 2]), 0.5),
         torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 0.5))


def test_where_condition_only_is_nonzero():
    cond = [[True, False], [False, True]]
    if not hasattr(nt.Tensor, "nonzero"):
        pytest.skip("nonzero belongs to another category and is not there yet")
    ours = nt.where(nt.tensor(cond))
    theirs = torch.where(torch.tensor(cond))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        same(o, t, rtol=0)


def test_equal_and_allclose_return_python_bools():
    x, tx = pair([1.0, math.nan])
    assert nt.equal(x, x) is torch.equal(tx, tx) is False
    y, ty = pair([1.0, 2.0])
    assert nt.equal(y, y) is True and torch.equal(ty, ty) is True
    assert nt.equal(y, nt.tensor([1.0])) is torch.equal(ty, torch.tensor([1.0]))
    assert nt.allclose(y, y + 1e-9) is True
    assert nt.allclose(x, x, equal_nan=True) is torch.allclose(tx, tx, equal_nan=True)
    assert nt.allclose(y, y + 1) is torch.allclose(ty, ty + 1) is False


# ---- in-place forms ------------------------------------------------------------------------------

INPLACE = [
    ("abs_", ()), ("sign_", ()), ("exp_", ()), ("exp2_", ()), ("expm1_", ()), ("log_", ()),
    ("log2_", ()), ("log10_", ()), ("log1p_", ()), ("sqrt_", ()), ("rsqrt_", ()),
    ("square_", ()), ("reciprocal_", ()), ("sin_", ()), ("cos_", ()), ("tan_", ()),
    ("asin_", ()), ("acos_", ()), ("atan_", ()), ("sinh_", ()), ("cosh_", ()), ("tanh_", ()),
    ("sigmoid_", ()), ("logit_", ()), ("erf_", ()), ("erfc_", ()), ("floor_", ()),
    ("ceil_", ()), ("round_", ()), ("trunc_", ()), ("frac_", ()), ("nan_to_num_", ()),
    ("clamp_min_", (0.3,)), ("clamp_max_", (0.6,)), ("fmod_", (0.3,)),
    ("remainder_", (0.3,)), ("atan2_", ("other",)), ("hypot_", ("other",)),
    ("lerp_", ("other", 0.3)), ("lerp_", ("other", "other")), ("clamp_", ("low", "other")),
    ("addcmul_", ("other", "other")), ("addcdiv_", ("other", "other")),
]


@pytest.mark.parametrize("name,args", INPLACE, ids=[f"{n}{len(a)}" for n, a in INPLACE])
def test_inplace_forms_match_torch_values_and_gradients(name, args):
    rng = np.random.default_rng(0)
    base = rng.uniform(0.1, 0.9, size=(2, 3))
    other = rng.uniform(0.2, 0.8, size=(3,))
    low = rng.uniform(0.0, 0.3, size=(2, 1))
    results = []
    for lib in (nt, torch):
        x = lib.tensor(base, requires_grad=True)
        o = lib.tensor(other, requires_grad=True)
        lo = lib.tensor(low, requires_grad=True)
        real = [o if a == "other" else lo if a == "low" else a for a in args]
        y = x * 1
        out = getattr(y, name)(*real)
        assert out is y
        out.sum().backward()
        results.append((y, x.grad, o.grad, lo.grad))
    for ours, theirs in zip(*results):
        if theirs is None:
            assert ours is None or not ours.numpy().any()
        else:
            same(ours, theirs)


def test_inplace_float_result_into_int_tensor_raises_like_torch():
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).exp_()
    with pytest.raises(RuntimeError):
        nt.tensor([1, 2]).exp_()


def test_inplace_on_leaf_requiring_grad_raises():
    with pytest.raises(RuntimeError):
        torch.ones(2, requires_grad=True).clamp_(torch.zeros(2), torch.ones(2))
    with pytest.raises(RuntimeError):
        nt.ones(2, requires_grad=True).clamp_(nt.zeros(2), nt.ones(2))


def test_augmented_bitwise_assignment():
    x, tx = pair([5, 6, 7], "int64")
    x &= 3
    tx &= 3
    x |= 8
    tx |= 8
    x <<= 1
    tx <<= 1
    x //= 3
    tx //= 3
    x %= 4
    tx %= 4
    same(x, tx, rtol=0)


# ---- broadcasting properties ---------------------------------------------------------------------

BINARY = {
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "atan2": lambda lib, x, y: lib.atan2(x, y),
    "fmod": lambda lib, x, y: lib.fmod(x, y),
    "remainder": lambda lib, x, y: lib.remainder(x, y),
    "hypot": lambda lib, x, y: lib.hypot(x, y),
    "lerp": lambda lib, x, y: lib.lerp(x, y, y),
    "clamp": lambda lib, x, y: lib.clamp(x, y, y + 1),
}


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_broadcasting_values_and_gradient_shapes_match_torch(shapes, name, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, size=shapes.input_shapes[0])
    b = rng.uniform(0.5, 2.0, size=shapes.input_shapes[1])
    fn = BINARY[name]
    grads = []
    for lib in (nt, torch):
        x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = fn(lib, x, y)
        out.sum().backward()
        grads.append((out, x.grad, y.grad))
    for ours, theirs in zip(*grads):
        same(ours, theirs)


# ---- every dtype ---------------------------------------------------------------------------------

UNARY_NAMES = ["abs", "neg", "sign", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
               "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "asin", "acos",
               "atan", "sinh", "cosh", "tanh", "sigmoid", "logit", "erf", "erfc", "floor",
               "ceil", "round", "trunc", "frac", "isnan", "isinf", "isfinite", "isposinf",
               "isneginf", "nan_to_num", "logical_not", "bitwise_not"]
BINARY_NAMES = ["maximum", "minimum", "atan2", "hypot", "fmod", "remainder", "floor_divide",
                "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
                "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "eq", "ne", "lt",
                "le", "gt", "ge", "isclose", "add", "sub", "mul", "div", "pow"]
ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
              "float64"]


def _outcome(lib, name, *args):
    """``lib.<name>(*args)`` with NumPy arrays as tensors, or the exception it raised."""
    args = [lib.from_numpy(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
    try:
        return getattr(lib, name)(*args), None
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return None, e


def _check(desc, ours, theirs, tol):
    (r, e), (tr, te) = ours, theirs
    if te is not None or e is not None:
        assert te is not None and isinstance(e, type(te)), \
            f"{desc}: ours {e!r}, torch {te!r}"
        return
    assert str(r.dtype).split(".")[-1] == str(tr.dtype).split(".")[-1], \
        f"{desc}: dtype {r.dtype} != torch's {tr.dtype}"
    np.testing.assert_allclose(r.numpy().astype(np.float64), tr.numpy().astype(np.float64),
                               rtol=tol, atol=tol, equal_nan=True, err_msg=desc)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_function_forms_over_every_dtype_match_torch(dtype):
    rng = np.random.default_rng(1)
    v = rng.uniform(-4, 4, 6)
    if dtype == "bool":
        a = v > 0
    elif dtype == "uint8":
        a = np.abs(np.rint(v)).astype(dtype)
    else:
        a = v.astype(dtype) if dtype.startswith("float") else np.rint(v).astype(dtype)
    b = np.roll(a, 1)
    tol = 2e-3 if dtype == "float16" else 1e-5
    for name in UNARY_NAMES:
        _check(f"{name}({dtype})", _outcome(nt, name, a), _outcome(torch, name, a), tol)
    for name in BINARY_NAMES:
        for other in (b, 2, 1.5, True):
            _check(f"{name}({dtype}, {type(other).__name__})", _outcome(nt, name, a, other),
                   _outcome(torch, name, a, other), tol)
