"""Tensor printing (numtorch._printing) compared character for character with PyTorch's repr."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import require_torch
from numtorch._printing import get_printoptions, set_printoptions, tensor_repr

torch = require_torch()

DEFAULT_DTYPES = ("float32", "int64", "bool")
DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")


# NOTE: the comparisons print our dtypes as ``torch.X`` (module="torch"): whether a suffix wraps
# depends on its length, so ``numtorch.float64`` (3 characters longer) may wrap where
# ``torch.float64`` does not. test_numtorch_prefix covers the numtorch spelling.
def ours(arr: np.ndarray, requires_grad: bool = False, grad_fn: str | None = None) -> str:
    name = str(arr.dtype)
    return tensor_repr(arr, name, name in DEFAULT_DTYPES, requires_grad, grad_fn, module="torch")


def theirs(arr: np.ndarray) -> str:
    return repr(torch.from_numpy(np.array(arr)))


@contextlib.contextmanager
def printoptions(**options):
    """Apply the same print options to numtorch and torch, restoring both defaults afterwards."""
    set_printoptions(**options)
    torch.set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def check(arr: np.ndarray) -> None:
    assert ours(arr) == theirs(arr)


nan, inf = float("nan"), float("inf")
CASES = [
    np.array(1.5, dtype=np.float32),
    np.array(-0.0, dtype=np.float32),
    np.array(nan, dtype=np.float64),
    np.array(7, dtype=np.int64),
    np.array(True),
    np.array([1.0, 2.0, 3.0], dtype=np.float32),
    np.array([1.0, inf], dtype=np.float32),
    np.array([1.0, -2.0, -inf, nan], dtype=np.float32),
    np.array([0.0, nan], dtype=np.float32),
    np.array([-0.0, 1.0], dtype=np.float32),
    np.array([-0.0, 1.5], dtype=np.float64),
    np.array([0.001, 1.0], dtype=np.float32),
    np.array([1e-5, 1.0], dtype=np.float32),
    np.array([-1e-5, 1.0], dtype=np.float64),
    np.array([1.0, 2000.0], dtype=np.float32),
    np.array([1e10], dtype=np.float64),
    np.array([123456789.5], dtype=np.float64),
    np.array([1e20, 1.5], dtype=np.float64),
    np.array([nan, 2.5, -1e-9], dtype=np.float64),
    np.array([1e-310, 1e308, -5e-324], dtype=np.float64),
    np.array([0.1, 65504.0, 6e-8], dtype=np.float16),
    np.array([1.0, nan], dtype=np.float16),
    np.array([-1, 2, 300], dtype=np.int64),
    np.array([-128, 127], dtype=np.int8),
    np.array([0, 255], dtype=np.uint8),
    np.array([True, False, True]),
    np.array([], dtype=np.float32),
    np.array([], dtype=np.float64),
    np.array([], dtype=np.int64),
    np.array([], dtype=np.bool_),
    np.zeros((0, 3), dtype=np.float32),
    np.zeros((3, 0), dtype=np.int32),
    np.zeros((2, 0, 3), dtype=np.float16),
    np.arange(12.0, dtype=np.float32).reshape(3, 4),
    np.arange(16.0, dtype=np.float64).reshape(2, 2, 2, 2) * 1.5,
    np.arange(30.0, dtype=np.float32) * 1.5,
    np.arange(100, dtype=np.int64) * 12345,
    np.arange(2000.0, dtype=np.float32),
    np.arange(20000.0, dtype=np.float32).reshape(20, 10, 100),
    np.arange(1001, dtype=np.int16).reshape(7, 11, 13)[:, ::2],
    np.linspace(-3, 3, 5000).reshape(50, 100).T,
]


@pytest.mark.parametrize("arr", CASES, ids=lambda a: f"{a.dtype}{a.shape}")
def test_matches_torch(arr):
    check(arr)


@pytest.mark.parametrize("n", range(1, 14))
def test_dtype_suffix_wraps_like_torch(n):
    check(np.arange(n, dtype=np.float64) * 1.5)


@pytest.mark.parametrize("linewidth", range(15, 90, 3))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grad_suffixes_wrap_like_torch(linewidth, dtype):
    arr = np.array([1.5, 2.5, -3.25], dtype=dtype)
    leaf = torch.from_numpy(arr.copy()).requires_grad_()
    out = leaf * 2
    with printoptions(linewidth=linewidth):
        assert ours(arr, requires_grad=True) == repr(leaf)
        assert ours(arr * 2, grad_fn=type(out.grad_fn).__name__) == repr(out)


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (40,), (2, 3, 30), (2000,)])
def test_grad_fn_suffix(shape):
    arr = np.asarray(np.random.default_rng(0).standard_normal(shape), dtype=np.float32)
    out = torch.from_numpy(arr.copy()).requires_grad_() * 2
    assert out.grad_fn is not None
    assert ours(arr * 2, grad_fn=type(out.grad_fn).__name__) == repr(out)


OPTION_SETS = [
    {"precision": 2},
    {"precision": 8},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"edgeitems": 0},
    {"edgeitems": 0, "threshold": 5},
    {"linewidth": 30},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
]
OPTION_ARRAYS = [
    np.array(2.0, dtype=np.float32),
    np.array([0.0], dtype=np.float32),
    np.array([nan, 1.0], dtype=np.float32),
    np.array([1e10, 1.0], dtype=np.float64),
    np.array([1e-5, 1.0], dtype=np.float64),
    np.array([1e20], dtype=np.float32),
    np.array([1, 2], dtype=np.int32),
    np.array([], dtype=np.float64),
    np.arange(12.0, dtype=np.float32).reshape(3, 4) / 7,
    np.arange(2000.0, dtype=np.float64).reshape(2, 10, 100),
    np.arange(3000, dtype=np.int64),
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=str)
@pytest.mark.parametrize("arr", OPTION_ARRAYS, ids=lambda a: f"{a.dtype}{a.shape}")
def test_printoptions_match_torch(options, arr):
    with printoptions(**options):
        check(arr)


def test_set_printoptions_resets_sci_mode_and_profile_restores_defaults():
    defaults = get_printoptions()
    with printoptions(sci_mode=True, precision=6, linewidth=40):
        set_printoptions(precision=3)
        torch.set_printoptions(precision=3)
        assert get_printoptions()["sci_mode"] is None
        assert ours(np.array([1.0, 2.5])) == "tensor([1.000, 2.500],\n       dtype=torch.float64)"
        check(np.array([1.0, 2.5]))
    assert get_printoptions() == defaults
    assert defaults == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                        "sci_mode": None}


def test_unknown_profile_is_ignored_like_torch():
    with printoptions(profile="no-such-profile"):
        assert get_printoptions()["precision"] == 4
        check(np.array([1.25], dtype=np.float32))


def test_numtorch_prefix():
    arr = np.array([1.0, 2.5], dtype=np.float64)
    expected = repr(torch.from_numpy(arr)).replace("torch.", "numtorch.")
    assert tensor_repr(arr, "float64", False, True, None) == expected[:-1] + ", requires_grad=True)"
    assert tensor_repr(np.zeros((0, 2), np.int64), "int64", True, False, None) == (
        "tensor([], size=(0, 2), dtype=numtorch.int64)")
    # The wrap decision uses our own (longer) dtype name: this line would reach column 81.
    wide = np.arange(6, dtype=np.float64) * 1.5
    assert tensor_repr(wide, "float64", False, False, None).endswith(
        "7.5000],\n       dtype=numtorch.float64)")


def float_arrays(max_side: int):
    dtypes = st.sampled_from([np.float16, np.float32, np.float64]).map(np.dtype)
    shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=max_side)
    return dtypes.flatmap(lambda d: hnp.arrays(d, shapes, elements=hnp.from_dtype(d)))


def other_arrays(max_side: int):
    dtypes = st.sampled_from(DTYPES[3:]).map(np.dtype)
    shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=max_side)
    return dtypes.flatmap(lambda d: hnp.arrays(d, shapes))


@settings(max_examples=300, deadline=None)
@given(float_arrays(max_side=6) | other_arrays(max_side=6))
def test_random_small_arrays_match_torch(arr):
    check(arr)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.lists(st.integers(1, 40), min_size=1, max_size=4),
    dtype=st.sampled_from(DTYPES),
    log_scale=st.integers(-12, 12),
    specials=st.booleans(),
)
def test_random_large_arrays_match_torch(seed, shape, dtype, log_scale, specials):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) * 10.0**log_scale
    if specials and dtype.startswith("float"):
        values.flat[rng.integers(0, values.size, 3)] = [nan, inf, -inf]
    if dtype == "bool":
        arr = values > 0
    elif dtype.startswith("float"):
        with np.errstate(over="ignore"):  # float16 overflow to inf is wanted here
            arr = values.astype(dtype)
    else:
        info = np.iinfo(dtype)
        arr = np.clip(np.round(values), info.min, info.max).astype(dtype)
    check(arr)


@settings(max_examples=150, deadline=None)
@given(
    arr=float_arrays(max_side=8) | other_arrays(max_side=8),
    precision=st.integers(0, 8),
    threshold=st.integers(0, 300),
    edgeitems=st.integers(0, 4),
    linewidth=st.integers(10, 120),
    sci_mode=st.sampled_from([None, True, False]),
)
def test_random_printoptions_match_torch(arr, precision, threshold, edgeitems, linewidth,
                                         sci_mode):
    with printoptions(precision=precision, threshold=threshold, edgeitems=edgeitems,
                      linewidth=linewidth, sci_mode=sci_mode):
        check(arr)
