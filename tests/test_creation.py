"""Factories (numtorch._creation) against PyTorch: dtype inference, shapes, values, memory
sharing, the random constructors' contract, and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import numtorch as nt
from conftest import require_torch

torch = require_torch()

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
FLOAT_DTYPES = ("float16", "float32", "float64")
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def run(fn, module):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(module)
    except Exception as e:  # noqa: BLE001 - the type is what gets compared
        return e


def short(x) -> str:
    return str(x).rsplit(".", 1)[-1]


def assert_match(ours, theirs, where="result", rtol=0.0):
    """Same exception type; or tensors of the same dtype, shape, requires_grad and values; or
    equal Python values."""
    if isinstance(theirs, BaseException):
        assert isinstance(ours, BaseException), f"{where}: torch raised {theirs!r}, not us"
        assert type(ours) is type(theirs), f"{where}: we raised {ours!r}, torch {theirs!r}"
        return
    assert not isinstance(ours, BaseException), f"{where}: we raised {ours!r}, torch {theirs!r}"
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, nt.Tensor), where
        assert short(ours.dtype) == short(theirs.dtype), where
        assert tuple(ours.shape) == tuple(theirs.shape), where
        assert ours.requires_grad == theirs.requires_grad, where
        a, b = ours.detach().numpy(), theirs.detach().numpy()
        if rtol:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol, err_msg=where)
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_match(a, b, f"{where}[{i}]", rtol)
    elif isinstance(theirs, torch.dtype):
        assert short(ours) == short(theirs), where
    else:
        assert type(ours) is type(theirs) and ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def same(fn, rtol=0.0):
    assert_match(run(fn, nt), run(fn, torch), rtol=rtol)


# ---- tensor(): dtype inference and values -----------------------------------------------------
DATA = {
    "float": 1.5,
    "int": -3,
    "bool": True,
    "floats": [1.0, -2.5],
    "ints": [1, 2, 3],
    "bools": [True, False],
    "mixed int float": [1, 2.5],
    "mixed bool int": [True, 2],
    "mixed bool float": [[True], [0.5]],
    "nested": [[1, 2], [3, 4]],
    "tuple": ((1.0, 2.0), (3.0, 4.0)),
    "range": range(4),
    "empty": [],
    "empty nested": [[], []],
    "big float": [1e40],
    "negative zero": [-0.0],
    "numpy float64 scalar": np.float64(2.5),
    "numpy float32 scalar": np.float32(2.5),
    "numpy int32 scalar": np.int32(7),
    "numpy bool scalar": np.bool_(True),
    "list of numpy float64": [np.float64(1.5), np.float64(2.0)],
    "numpy float64 and float": [np.float64(1.5), 2.0],
    "numpy float64 and int": [np.float64(1.5), 2],
    "numpy int32 and int": [np.int32(1), 2],
    "numpy float16 and int": [np.float16(1.5), 2],
    "numpy float16 and float": [np.float16(1.5), 2.0],
    "numpy int64 and float32": [np.int64(1), np.float32(2.0)],
    "numpy uint8 and int8": [np.uint8(1), np.int8(-1)],
    "nested numpy float64": [[1, 2], [np.float64(1.5), 3]],
    "list of float64 arrays": [np.ones(2), np.zeros(2)],
    "list of int32 arrays": [np.ones(2, np.int32)],
    **{f"{name} array": np.array([[0, 1], [1, 0]], dtype=name) for name in DTYPES},
}


@pytest.mark.parametrize("case", sorted(DATA))
def test_tensor_infers_dtype_and_values(case):
    same(lambda m: m.tensor(DATA[case]))
    same(lambda m: m.as_tensor(DATA[case]))


@pytest.mark.parametrize("make", [
    lambda m: [m.tensor(1.0, dtype=m.float64), m.tensor(2.0, dtype=m.float64)],
    lambda m: [m.tensor(1, dtype=m.int32), m.tensor(2, dtype=m.int32)],
    lambda m: [m.tensor(1, dtype=m.int8), 1.5],
    lambda m: [m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0])],
    lambda m: m.tensor([1.5, 2.5], dtype=m.float64),
    lambda m: m.ones(2, requires_grad=True),
])
def test_tensor_from_tensors(make):
    same(lambda m: m.tensor(make(m)))


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("data", [[-2.7, 0.0, 0.5, 3.9], [-1, 0, 1, 300], [True, False],
                                  [[1.5], [-0.25]]])
def test_tensor_with_dtype(name, data):
    same(lambda m: m.tensor(data, dtype=getattr(m, name)))


def test_tensor_copies_and_as_tensor_shares():
    for make in (lambda m: m.tensor, lambda m: m.as_tensor,
                 lambda m: lambda a: m.as_tensor(a, dtype=m.float64),
                 lambda m: lambda a: m.as_tensor(a, dtype=m.float32), lambda m: m.from_numpy):
        def write(m, make=make):
            a = np.zeros(3, dtype=np.float64)
            t = make(m)(a)
            t[0] = 5.0
            a[1] = 7.0
            return a.tolist(), t.tolist()

        same(write)
    t = nt.ones(3)
    assert nt.as_tensor(t) is t
    assert nt.tensor(t) is not t
    u = nt.tensor(t)
    u.add_(1)
    assert t.tolist() == [1.0, 1.0, 1.0]


def test_tensor_requires_grad():
    same(lambda m: m.tensor([1.0, 2.0], requires_grad=True))
    same(lambda m: m.tensor([1, 2], requires_grad=True))  # RuntimeError
    same(lambda m: m.tensor([[1.5]], dtype=m.float64, requires_grad=True))
    same(lambda m: m.tensor(m.ones(2, requires_grad=True)).requires_grad)


TENSOR_ERRORS = {
    "None": None,
    "None in list": [1, None],
    "object": object(),
    "dict": {1: 2},
    "str": "abc",
    "bytes": b"ab",
    "ragged": [[1, 2], [3]],
    "int too big": 2**63,
    "int too big in list": [1, 2**64],
    "int too small": [-(2**63) - 1],
    "unsupported numpy dtype": np.zeros(2, dtype=np.complex64),
}


@pytest.mark.parametrize("case", sorted(TENSOR_ERRORS))
def test_tensor_errors_match_torch(case):
    data = TENSOR_ERRORS[case]
    if case == "unsupported numpy dtype":
        # torch has complex tensors; numtorch refuses them with a TypeError that says so
        with pytest.raises(TypeError, match="complex"):
            nt.tensor(data)
        return
    theirs = run(lambda m: m.tensor(data), torch)
    assert isinstance(theirs, BaseException)
    assert_match(run(lambda m: m.tensor(data), nt), theirs, case)


# ---- from_numpy, as_tensor --------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_from_numpy_keeps_dtype_and_shares_memory(name):
    a = np.array([[1, 0, 1]], dtype=name)
    t = nt.from_numpy(a)
    assert_match(t, torch.from_numpy(a.copy()))
    a[0, 0] = 0
    assert t.tolist()[0][0] == a[0, 0]
    same(lambda m: m.from_numpy(np.arange(6, dtype=name).reshape(2, 3).T))
    same(lambda m: m.from_numpy(np.array(3, dtype=name)))


def test_from_numpy_errors():
    same(lambda m: m.from_numpy([1, 2]))  # TypeError
    same(lambda m: m.from_numpy(np.array(["a"])))  # TypeError
    same(lambda m: m.from_numpy(np.array([1.5], dtype=">f8")))  # big-endian: converted
    same(lambda m: m.as_tensor([1, 2.5], dtype=m.float64))
    same(lambda m: m.as_tensor(m.tensor([1, 2]), dtype=m.float16))


# ---- zeros, ones, empty, full, eye -----------------------------------------------------------
SIZES = [(2, 3), ((2, 3),), ([2, 3],), (torch.Size([2, 3]),), (0,), ((),), (4,), (1, 0, 2),
         (np.int64(3),)]


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("factory", ["zeros", "ones"])
@pytest.mark.parametrize("name", [None, *DTYPES])
def test_zeros_ones(factory, size, name):
    def make(m):
        dtype = None if name is None else getattr(m, name)
        args = tuple(m.Size(s) if isinstance(s, torch.Size) else s for s in size)
        return getattr(m, factory)(*args, dtype=dtype)

    same(make)


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_empty_has_the_shape_and_dtype(size):
    def make(m):
        args = tuple(m.Size(s) if isinstance(s, torch.Size) else s for s in size)
        t = m.empty(*args, dtype=m.int16)
        return t.shape == m.ones(*args).shape, short(t.dtype), m.empty(*args).dtype

    same(make)


def test_factory_requires_grad():
    for name in ("zeros", "ones", "empty", "randn", "rand"):
        same(lambda m, name=name: getattr(m, name)(2, requires_grad=True).requires_grad)
        same(lambda m, name=name: getattr(m, name)(2, dtype=m.float64,
                                                   requires_grad=True).is_leaf)
    same(lambda m: m.zeros(2, dtype=m.int64, requires_grad=True))  # RuntimeError
    same(lambda m: m.full((2,), 1.5, requires_grad=True))
    same(lambda m: m.eye(2, requires_grad=True))
    same(lambda m: m.arange(3.0, requires_grad=True))
    same(lambda m: m.linspace(0, 1, 3, requires_grad=True))


@pytest.mark.parametrize("fill", [1.5, 2, True, -7, 0.0, np.float64(2.5)])
@pytest.mark.parametrize("name", [None, *DTYPES])
def test_full(fill, name):
    same(lambda m: m.full((2, 3), fill, dtype=None if name is None else getattr(m, name)))
    same(lambda m: m.full([1], fill))


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (1, 1), (3, 0)])
@pytest.mark.parametrize("name", [None, "int64", "bool", "float64", "uint8"])
def test_eye(args, name):
    same(lambda m: m.eye(*args, dtype=None if name is None else getattr(m, name)))


# ---- arange, linspace -------------------------------------------------------------------------
ARANGE = [(5,), (2, 7), (0, 10, 3), (5, 0, -1), (-3, 10, 4), (0, 1, 0.1), (0.5, 3), (5, 0, -1.5),
          (0, 3, 0.5), (1.0, 2.0, 0.25), (0, 0), (3, 3, 2), (-2.5, 2.5, 0.7), (10,)]


@pytest.mark.parametrize("args", ARANGE, ids=str)
@pytest.mark.parametrize("name", [None, "int64", "float64", "float32", "float16", "int32",
                                  "int16", "int8", "uint8", "bool"])
def test_arange(args, name):
    # float64 values agree to rounding: PyTorch accumulates the steps
    same(lambda m: m.arange(*args, dtype=None if name is None else getattr(m, name)),
         rtol=1e-12 if name == "float64" else 0.0)


def test_arange_bounds_from_tensors_and_numpy():
    same(lambda m: m.arange(m.tensor(4)))
    same(lambda m: m.arange(m.tensor(4.0)))
    same(lambda m: m.arange(np.int64(3)))
    same(lambda m: m.arange(np.float64(3)))
    same(lambda m: m.arange(0, 10, m.tensor(3)))


@SETTINGS
@given(start=st.integers(-50, 50), end=st.integers(-50, 50), step=st.integers(-7, 7))
def test_arange_ints_property(start, end, step):
    assume(step != 0)
    same(lambda m: m.arange(start, end, step))


@SETTINGS
@given(start=st.floats(-20, 20), length=st.floats(0, 20), step=st.floats(0.05, 5),
       down=st.booleans(), name=st.sampled_from(["float32", "float64"]))
def test_arange_floats_property(start, length, step, down, name):
    end = start - length if down else start + length
    step = -step if down else step
    n = (end - start) / step
    # the length is ceil((end - start) / step) in both; right at an integer, the rounding of
    # the quotient (float64) decides, and both compute it the same way
    ours, theirs = (run(lambda m: m.arange(start, end, step, dtype=getattr(m, name)), m)
                    for m in (nt, torch))
    assert_match(ours, theirs, f"arange({start}, {end}, {step}) n={n}", rtol=1e-6)


@pytest.mark.parametrize("args", [(0, 1, 5), (-1, 1, 1), (3, 10, 0), (10, 3, 4), (0, 1, 2),
                                  (-5, 5, 4), (1e-3, 1e3, 7), (0.0, 1.0, 100)], ids=str)
@pytest.mark.parametrize("name", [None, "float64", "float16", "int64", "int16"])
def test_linspace(args, name):
    rtol = 2e-3 if name == "float16" else 1e-6
    same(lambda m: m.linspace(*args, dtype=None if name is None else getattr(m, name)), rtol)


@SETTINGS
@given(start=st.floats(-100, 100), end=st.floats(-100, 100), steps=st.integers(0, 40),
       name=st.sampled_from(["float32", "float64"]))
def test_linspace_property(start, end, steps, name):
    scale = max(abs(start), abs(end), 1.0)
    ours, theirs = (run(lambda m: m.linspace(start, end, steps, dtype=getattr(m, name)), m)
                    for m in (nt, torch))
    assert short(ours.dtype) == short(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
    # PyTorch fills from both ends; the values agree to rounding of the step
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0,
                               atol=4 * scale * np.finfo(name).eps)


# ---- the *_like forms -------------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_like_forms(name):
    def src(m):
        return m.arange(6).reshape(2, 3).to(getattr(m, name))

    same(lambda m: m.zeros_like(src(m)))
    same(lambda m: m.ones_like(src(m)))
    same(lambda m: m.full_like(src(m), 7))
    same(lambda m: m.full_like(src(m), 2.5))
    same(lambda m: m.zeros_like(src(m), dtype=m.float64))
    same(lambda m: m.ones_like(src(m), dtype=m.int8))
    same(lambda m: (m.empty_like(src(m)).shape, m.empty_like(src(m)).dtype))
    same(lambda m: m.ones_like(src(m), requires_grad=True))  # RuntimeError unless floating
    same(lambda m: m.zeros_like(src(m), dtype=m.float32, requires_grad=True))


def test_like_forms_take_tensors_only():
    for name in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        same(lambda m, name=name: getattr(m, name)(np.zeros(2)))  # TypeError
    same(lambda m: m.full_like([1.0], 2))
    same(lambda m: m.randint_like([1.0], 3))


# ---- errors -----------------------------------------------------------------------------------
FACTORY_ERRORS = {
    "zeros negative": lambda m: m.zeros(-1),
    "ones negative": lambda m: m.ones(2, -3),
    "empty negative": lambda m: m.empty((2, -1)),
    "randn negative": lambda m: m.randn(-2),
    "rand negative": lambda m: m.rand(2, -1),
    "full negative": lambda m: m.full((-1,), 2.0),
    "zeros no size": lambda m: m.zeros(),
    "zeros float size": lambda m: m.zeros(2.5),
    "zeros float in tuple": lambda m: m.zeros((2, 1.0)),
    "full int size": lambda m: m.full(2, 1.0),
    "eye negative": lambda m: m.eye(-1),
    "eye negative m": lambda m: m.eye(2, -1),
    "eye float": lambda m: m.eye(2.5),
    "arange zero step": lambda m: m.arange(0, 5, 0),
    "arange wrong sign": lambda m: m.arange(0, 5, -1),
    "arange wrong sign float": lambda m: m.arange(5.0, 0.0, 0.5),
    "arange end below start": lambda m: m.arange(5, 0),
    "arange infinite": lambda m: m.arange(float("inf")),
    "arange nan": lambda m: m.arange(0, float("nan")),
    "linspace negative steps": lambda m: m.linspace(0, 1, -1),
    "linspace float steps": lambda m: m.linspace(0, 1, 2.5),
    "randint low >= high": lambda m: m.randint(5, 2, (3,)),
    "randint empty range": lambda m: m.randint(3, 3, (3,)),
    "randint no size": lambda m: m.randint(5),
    "randint int size": lambda m: m.randint(0, 5, 3),
    "randint float bounds": lambda m: m.randint(0.5, 2.5, (3,)),
    "randint_like empty range": lambda m: m.randint_like(m.zeros(2), 5, 0),
    "rand int dtype": lambda m: m.rand(3, dtype=m.int64),
    "rand bool dtype": lambda m: m.rand(3, dtype=m.bool),
    "randn int dtype": lambda m: m.randn(3, dtype=m.int32),
    "randn_like int": lambda m: m.randn_like(m.zeros(2, dtype=m.int64)),
    "rand_like uint8": lambda m: m.rand_like(m.zeros(2, dtype=m.uint8)),
    "default dtype int": lambda m: m.set_default_dtype(m.int32),
}


@pytest.mark.parametrize("case", sorted(FACTORY_ERRORS))
def test_factory_errors_match_torch(case):
    theirs = run(FACTORY_ERRORS[case], torch)
    assert isinstance(theirs, BaseException), "the case must be an error in torch"
    assert_match(run(FACTORY_ERRORS[case], nt), theirs, case)


# ---- random -----------------------------------------------------------------------------------
def draws(seed):
    nt.manual_seed(seed)
    return (nt.randn(3, 2).tolist(), nt.rand(4).tolist(), nt.randint(0, 100, (5,)).tolist(),
            nt.randn_like(nt.zeros(2, dtype=nt.float64)).tolist())


def test_manual_seed_makes_draws_reproducible():
    first, again, other = draws(0), draws(0), draws(1)
    assert first == again
    assert first != other
    assert nt.initial_seed() == 1
    assert isinstance(nt.manual_seed(3), nt.Generator)


def test_rng_state_round_trip():
    nt.manual_seed(5)
    state = nt.get_rng_state()
    a = nt.rand(4).tolist()
    nt.set_rng_state(state)
    assert nt.rand(4).tolist() == a
    assert nt.rand(4).tolist() != a


def test_generator_objects_are_independent():
    g1, g2 = nt.Generator().manual_seed(42), nt.Generator().manual_seed(42)
    nt.manual_seed(0)
    x = nt.randn(5, generator=g1)
    nt.randn(7)  # the default generator does not disturb g2
    assert nt.randn(5, generator=g2).tolist() == x.tolist()
    assert g1.initial_seed() == 42
    assert nt.randint(0, 10, (3,), generator=g1).dtype is nt.int64


RANDOM = {
    "randn": lambda m: m.randn(3, 4),
    "randn tuple": lambda m: m.randn((2, 5)),
    "randn list": lambda m: m.randn([2, 5]),
    "randn 0-d": lambda m: m.randn(()),
    "randn empty": lambda m: m.randn(0, 3),
    "randn float64": lambda m: m.randn(4, dtype=m.float64),
    "randn float16": lambda m: m.randn(4, dtype=m.float16),
    "rand": lambda m: m.rand(2, 3),
    "rand float64": lambda m: m.rand(6, dtype=m.float64),
    "rand float16": lambda m: m.rand(6, dtype=m.float16),
    "randint": lambda m: m.randint(10, (3, 2)),
    "randint low high": lambda m: m.randint(-5, 5, (7,)),
    "randint dtype": lambda m: m.randint(0, 3, (4,), dtype=m.int8),
    "randint float dtype": lambda m: m.randint(0, 3, (4,), dtype=m.float32),
    "randint bool dtype": lambda m: m.randint(0, 2, (4,), dtype=m.bool),
    "rand_like": lambda m: m.rand_like(m.zeros(2, 2, dtype=m.float64)),
    "randn_like": lambda m: m.randn_like(m.zeros(3, dtype=m.float16)),
    "randn_like dtype": lambda m: m.randn_like(m.zeros(3, dtype=m.int8), dtype=m.float32),
    "randint_like": lambda m: m.randint_like(m.zeros(3), 4),
    "randint_like low high": lambda m: m.randint_like(m.zeros(3, dtype=m.int16), 2, 4),
}


@pytest.mark.parametrize("case", sorted(RANDOM))
def test_random_dtype_and_shape_match_torch(case):
    ours, theirs = RANDOM[case](nt), RANDOM[case](torch)
    assert short(ours.dtype) == short(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad is False and ours.is_leaf


def test_random_ranges_and_moments():
    nt.manual_seed(1234)
    u = nt.rand(20000, dtype=nt.float64).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    n = nt.randn(20000, dtype=nt.float64).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03
    assert (np.abs(n) > 3).mean() < 0.005  # normal tails, not uniform ones
    r = nt.randint(-3, 4, (20000,)).numpy()
    assert set(np.unique(r).tolist()) == set(range(-3, 4))
    h = nt.rand(50000, dtype=nt.float16).numpy()  # float32 draws rounded would reach 1.0
    assert h.min() >= 0 and h.max() < 1 and not np.isnan(h).any()
    r8 = nt.randint(250, 256, (500,), dtype=nt.uint8).numpy()
    assert r8.min() >= 250 and r8.max() <= 255
    b = nt.randint(0, 2, (500,), dtype=nt.bool).numpy()
    assert b.any() and not b.all()
