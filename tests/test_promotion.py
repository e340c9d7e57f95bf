"""Type promotion (numtorch._promotion and the arithmetic that uses it) against PyTorch's."""

from __future__ import annotations

import contextlib
import itertools
import operator
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numtorch as nt
from conftest import require_torch

torch = require_torch()

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
KINDS = ("dim", "zero")  # a tensor with dimensions, a 0-d tensor
ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
COMPARE = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
           ">": operator.gt, ">=": operator.ge}
OPS = {**ARITH, **COMPARE}
INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def dt(module, name):
    return getattr(module, name)


def torch_name(d) -> str:
    """``torch.float32`` and ``numtorch.float32`` both become ``float32``."""
    return str(d).rsplit(".", 1)[-1]


def make_pair(name: str, kind: str, values):
    """The same tensor in numtorch and in torch: ``values`` (a list) or its first element."""
    data = values if kind == "dim" else values[0]
    return nt.tensor(data, dtype=dt(nt, name)), torch.tensor(data, dtype=dt(torch, name))


def outcome(fn, *args):
    """(dtype name, values as float64) or (exception type, None), quietly."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = fn(*args)
    except Exception as e:  # noqa: BLE001 - the type is what gets compared
        return type(e), None
    values = r.numpy() if isinstance(r, torch.Tensor) else np.asarray(r._data)
    return torch_name(r.dtype), values.astype(np.float64)


def assert_same(ours, theirs, context):
    """Same dtype and values (float16 computed by PyTorch in float32 may differ by an ulp), or
    the same exception type."""
    assert ours[0] == theirs[0], f"{context}: numtorch gives {ours[0]}, torch {theirs[0]}"
    if theirs[1] is None:
        return
    assert ours[1].shape == theirs[1].shape, context
    tol = 2e-3 if ours[0] == "float16" else 1e-6
    np.testing.assert_allclose(ours[1], theirs[1], rtol=tol, atol=tol, equal_nan=True,
                               err_msg=context)


def bool_subtraction(op, *specs) -> bool:
    """Whether ``op`` is a subtraction with a bool operand (a dtype name or an operand spec)."""
    return op in ("-", "-=") and any(s == "bool" or is_bool(s) for s in specs)


def is_bool(spec) -> bool:
    return isinstance(spec, tuple) and (spec[0] == "bool" or spec[0] == "scalar"
                                        and isinstance(spec[1], bool))


# ---- the tables -------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", list(itertools.product(DTYPES, repeat=2)))
def test_promote_types_table(a, b):
    ours = nt.promote_types(dt(nt, a), dt(nt, b))
    assert ours is dt(nt, torch_name(torch.promote_types(dt(torch, a), dt(torch, b))))


@pytest.mark.parametrize("a, b", list(itertools.product(DTYPES, repeat=2)))
def test_can_cast_table(a, b):
    assert nt.can_cast(dt(nt, a), dt(nt, b)) == torch.can_cast(dt(torch, a), dt(torch, b))


SCALARS = (True, False, 3, -2, 0, 2.5, -0.5)


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("scalar", SCALARS)
def test_result_type_with_python_scalar(name, kind, scalar):
    ours, theirs = make_pair(name, kind, [1, 0])
    assert torch_name(nt.result_type(ours, scalar)) == torch_name(
        torch.result_type(theirs, scalar))
    assert torch_name(nt.result_type(scalar, ours)) == torch_name(
        torch.result_type(scalar, theirs))


@pytest.mark.parametrize("a, b", list(itertools.product(DTYPES, repeat=2)))
@pytest.mark.parametrize("kinds", list(itertools.product(KINDS, repeat=2)))
def test_result_type_between_tensors(a, b, kinds):
    x, tx = make_pair(a, kinds[0], [1, 0])
    y, ty = make_pair(b, kinds[1], [1, 0])
    assert torch_name(nt.result_type(x, y)) == torch_name(torch.result_type(tx, ty))


def test_result_type_of_two_numbers():
    for a, b in itertools.product(SCALARS, repeat=2):
        assert torch_name(nt.result_type(a, b)) == torch_name(torch.result_type(a, b)), (a, b)


# ---- properties over dtype pairs × {dim tensor, 0-d tensor, Python scalar} × ops ---------------
def small_values(name):
    """Values every dtype holds exactly (so the comparison tests promotion, not rounding)."""
    if name == "bool":
        return st.lists(st.booleans(), min_size=1, max_size=4)
    if name.startswith("float"):
        return st.lists(st.sampled_from([0.0, 1.0, -2.0, 0.5, 3.25, -0.125, 7.0]),
                        min_size=1, max_size=4)
    if name == "uint8":
        return st.lists(st.integers(0, 9), min_size=1, max_size=4)
    return st.lists(st.integers(-9, 9), min_size=1, max_size=4)


@st.composite
def operand(draw, allow_scalar=True):
    """("scalar", value) or (dtype name, kind, values)."""
    if allow_scalar and draw(st.integers(0, 2)) == 0:
        # Python numbers that fit every integer dtype the other operand could have
        return ("scalar", draw(st.one_of(st.booleans(), st.integers(0, 9),
                                         st.sampled_from([0.5, -1.25, 2.0, 0.0]))))
    name = draw(st.sampled_from(DTYPES))
    return (name, draw(st.sampled_from(KINDS)), draw(small_values(name)))


def materialise(spec, lengths):
    if spec[0] == "scalar":
        return spec[1], spec[1]
    name, kind, values = spec
    values = (values * lengths)[:lengths]  # operands of equal length broadcast
    return make_pair(name, kind, values)


@SETTINGS
@given(a=operand(), b=operand(), op=st.sampled_from(sorted(OPS)))
def test_binary_op_dtype_and_values_match_torch(a, b, op):
    if a[0] == b[0] == "scalar":
        a = ("float32", "dim", [1.0])
    n = max(len(s[2]) for s in (a, b) if s[0] != "scalar")
    x, tx = materialise(a, n)
    y, ty = materialise(b, n)
    if bool_subtraction(op, a, b):
        return  # see test_subtraction_with_any_bool_operand_raises
    fn = OPS[op]
    assert_same(outcome(fn, x, y), outcome(fn, tx, ty), f"{a} {op} {b}")


@SETTINGS
@given(a=operand(allow_scalar=False), b=operand(), op=st.sampled_from(sorted(INPLACE)))
def test_inplace_op_keeps_dtype_or_raises_like_torch(a, b, op):
    n = max(len(s[2]) for s in (a, b) if s[0] != "scalar")
    a = (a[0], "dim", a[2])  # in place needs the destination to have the broadcast shape
    x, tx = materialise(a, n)
    y, ty = materialise(b, n)
    if bool_subtraction(op, a, b):
        return  # see test_subtraction_with_any_bool_operand_raises
    fn = INPLACE[op]
    ours, theirs = outcome(fn, x, y), outcome(fn, tx, ty)
    assert_same(ours, theirs, f"{a} {op} {b}")
    if theirs[1] is not None:
        assert x.dtype is dt(nt, a[0])  # in place never changes the dtype


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("scalar", SCALARS)
def test_every_dtype_with_python_scalar_both_sides(name, kind, op, scalar):
    if bool_subtraction(op, name, ("scalar", scalar)):
        return
    if name == "uint8" and scalar < 0 and not isinstance(scalar, float):
        return  # out of uint8's range: see test_out_of_range_python_int
    x, tx = make_pair(name, kind, [1, 0, 5])
    fn = OPS[op]
    assert_same(outcome(fn, x, scalar), outcome(fn, tx, scalar), f"{name}/{kind} {op} {scalar}")
    assert_same(outcome(fn, scalar, x), outcome(fn, scalar, tx), f"{scalar} {op} {name}/{kind}")


@pytest.mark.parametrize("a, b", list(itertools.product(DTYPES, repeat=2)))
def test_every_dtype_pair_dim_and_zero_dim(a, b):
    for ka, kb in itertools.product(KINDS, repeat=2):
        x, tx = make_pair(a, ka, [1, 0, 3])
        y, ty = make_pair(b, kb, [2, 1, 1])
        for op, fn in OPS.items():
            if bool_subtraction(op, a, b):
                continue
            assert_same(outcome(fn, x, y), outcome(fn, tx, ty), f"{a}/{ka} {op} {b}/{kb}")


# ---- the rules, spelled out -------------------------------------------------------------------
def test_the_documented_rules():
    i64 = nt.tensor([1, 2])
    assert (i64 + 1.5).dtype is nt.float32  # int + Python float -> default float
    assert (i64 / 2).dtype is nt.float32  # true division of ints -> default float
    f32, f64 = nt.ones(2), nt.ones(2, dtype=nt.float64)
    assert (f32 + f64).dtype is nt.float64
    assert (f32 + nt.tensor(1.0, dtype=nt.float64)).dtype is nt.float32  # 0-d: no upcast
    with np.errstate(over="ignore"):
        assert (f32 + 1e300).dtype is nt.float32  # Python float: no upcast
    i8 = nt.tensor([1], dtype=nt.int8)
    assert (i8 + 100).dtype is nt.int8  # Python int: no widening within a category
    assert (i8 + nt.tensor(5)).dtype is nt.int8  # 0-d int64 does not widen int8
    assert (i8 + nt.tensor(0.5, dtype=nt.float64)).dtype is nt.float64  # higher category
    assert (i8 < 2.5).dtype is nt.bool


def test_numpy_scalars_count_as_python_numbers():
    # NOTE: np.bool_ is left out: PyTorch 2.13 promotes ``int16 tensor + np.True_`` to float32
    for scalar in (np.float64(1.5), np.int64(3), np.float32(0.5), np.int8(2)):
        for name in ("int16", "float16", "bool", "uint8"):
            x, tx = make_pair(name, "dim", [1, 0])
            assert_same(outcome(operator.add, x, scalar), outcome(operator.add, tx, scalar),
                        f"{name} + {scalar!r}")
            assert torch_name(nt.result_type(x, scalar)) == torch_name(
                torch.result_type(tx, scalar))


@contextlib.contextmanager
def default_dtype(name):
    nt.set_default_dtype(dt(nt, name))
    torch.set_default_dtype(dt(torch, name))
    try:
        yield
    finally:
        nt.set_default_dtype(nt.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", ["float64", "float32"])
def test_default_dtype_drives_python_floats(name):
    with default_dtype(name):
        for make in (lambda m: m.tensor([1, 2]) + 1.5, lambda m: m.tensor([1, 2]) / 2,
                     lambda m: m.tensor([True]) * 0.5, lambda m: m.tensor([1.5]),
                     lambda m: m.tensor(2) + 0.25):
            assert_same(outcome(make, nt), outcome(make, torch), name)
        assert nt.get_default_dtype() is dt(nt, torch_name(torch.get_default_dtype()))


def test_set_default_dtype_refuses_integers():
    with pytest.raises(TypeError):
        torch.set_default_dtype(torch.int64)
    with pytest.raises(TypeError):
        nt.set_default_dtype(nt.int64)
    assert nt.get_default_dtype() is nt.float32


def test_integer_alpha_rules():
    cases = [
        lambda m: m.tensor([1]).add(m.tensor([2]), alpha=2),
        lambda m: m.tensor([1]).add(m.tensor([2]), alpha=0.5),
        lambda m: m.tensor([1]).sub(3, alpha=0.5),
        lambda m: m.tensor([1]).add(m.tensor([2.0]), alpha=0.5),
        lambda m: m.tensor([1.0]).sub(m.tensor([2]), alpha=0.5),
        lambda m: m.tensor([1]).add(m.tensor([2]), alpha=True),
        lambda m: m.tensor([True]).add(True, alpha=True),
        lambda m: m.tensor([1]).add_(m.tensor([2]), alpha=0.5),
        lambda m: m.ones(2).sub_(m.ones(2), alpha=3),
    ]
    for i, case in enumerate(cases):
        assert_same(outcome(case, nt), outcome(case, torch), f"case {i}")


# ---- bool subtraction and out-of-range Python ints --------------------------------------
@pytest.mark.parametrize("make", [
    lambda m: m.tensor([1.0]) - m.tensor([True]),
    lambda m: m.tensor([True]) - m.tensor([2]),
    lambda m: m.tensor([True]) - True,
    lambda m: m.tensor([3]) - True,
    lambda m: m.tensor([2.0]).sub_(m.tensor([True])),
])
def test_subtraction_with_any_bool_operand_raises(make):
    with pytest.raises(RuntimeError):
        make(torch)
    with pytest.raises(RuntimeError):
        make(nt)


@pytest.mark.parametrize("name, values, op, scalar", [
    ("uint8", [1, 2], "+", -1),
    ("uint8", [3, 2], "*", -1),
    ("int8", [1, 2], "+", 1000),
    ("int16", [1, 2], "*", 70000),
    ("int64", [1, 2], "+", 2**63),
    ("uint8", [255, 2], "==", -1),  # PyTorch compares with -1 converted to uint8: 255
    ("int8", [1, 2], "<", 1000),  # ... and with 1000 converted to int8: -24
])
def test_out_of_range_python_int(name, values, op, scalar):
    x, tx = make_pair(name, "dim", values)
    assert_same(outcome(OPS[op], x, scalar), outcome(OPS[op], tx, scalar),
                f"{name} {op} {scalar}")
