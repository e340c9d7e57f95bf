"""Pooling: F.max_pool / avg_pool / adaptive pools and their modules against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
from conftest import require_torch

torch = require_torch()
TF = torch.nn.functional

TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _compare(ours, theirs, x, dtype=np.float64):
    """Outputs (and returned indices) and input gradients of ours vs theirs on x."""
    a = numtorch.tensor(x.astype(dtype), requires_grad=True)
    b = torch.tensor(x.astype(dtype), requires_grad=True)
    y, z = ours(a), theirs(b)
    if isinstance(z, tuple):
        np.testing.assert_array_equal(y[1].numpy(), z[1].numpy())
        assert y[1].dtype == numtorch.int64
        y, z = y[0], z[0]
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), **TOL[dtype])
    g = _r(*z.shape, seed=7).astype(dtype)
    y.backward(numtorch.tensor(g))
    z.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL[dtype])
    return y


MAX = [
    ("max_pool2d", (2, 3, 8, 8), dict(kernel_size=2)),
    ("max_pool2d", (2, 3, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("max_pool2d", (2, 3, 9, 8), dict(kernel_size=(3, 2), stride=(2, 3), padding=1,
                                      dilation=(2, 3), ceil_mode=True, return_indices=True)),
    ("max_pool2d", (3, 7, 7), dict(kernel_size=3, stride=1, padding=1, return_indices=True)),
    ("max_pool1d", (2, 3, 10), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                    return_indices=True)),
    ("max_pool1d", (3, 11), dict(kernel_size=4, dilation=2, return_indices=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,xs,kw", MAX)
def test_max_pool(name, xs, kw, dtype):
    _compare(lambda t: getattr(F, name)(t, **kw), lambda t: getattr(TF, name)(t, **kw),
             _r(*xs), dtype)


def test_max_pool_ties_and_overlap():
    """Ties go to the first maximum and overlapping windows add their gradients, as in
    PyTorch."""
    x = np.round(_r(2, 2, 7, 7)).clip(-1, 1)
    _compare(lambda t: F.max_pool2d(t, 3, 1, return_indices=True),
             lambda t: TF.max_pool2d(t, 3, 1, return_indices=True), x)


@pytest.mark.parametrize("call", [
    lambda f, x: f.max_pool2d(x, 2, padding=1),
    lambda f, x: f.max_pool2d(x.int(), 3, stride=2, ceil_mode=True),
    lambda f, x: f.avg_pool2d(x, 3, padding=1),
    lambda f, x: f.avg_pool1d(x[0], 3, padding=1, stride=2, ceil_mode=True),
])
def test_integer_inputs(call):
    x = np.arange(-60, 60).reshape(2, 3, 4, 5)
    y, z = call(F, numtorch.tensor(x)), call(TF, torch.tensor(x))
    assert y.dtype == getattr(numtorch, str(z.dtype).split(".")[1])
    np.testing.assert_array_equal(y.numpy(), z.numpy())


def test_max_pool_grad_fn():
    x = numtorch.randn(1, 2, 4, 4, requires_grad=True)
    assert type(F.max_pool2d(x, 2).grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2),
       extra=st.integers(0, 5), ceil=st.booleans(), include=st.booleans())
def test_pool_property(k, s, p, d, extra, ceil, include):
    p = min(p, k // 2)
    n = d * (k - 1) + 1 + extra
    x = _r(2, 2, n, n + 1)
    _compare(lambda t: F.max_pool2d(t, k, s, p, d, ceil, True),
             lambda t: TF.max_pool2d(t, k, s, p, d, ceil, True), x)
    _compare(lambda t: F.avg_pool2d(t, k, s, p, ceil, include),
             lambda t: TF.avg_pool2d(t, k, s, p, ceil, include), x)
    _compare(lambda t: F.avg_pool1d(t[0], k, s, p, ceil, include),
             lambda t: TF.avg_pool1d(t[0], k, s, p, ceil, include), x)


AVG = [
    ("avg_pool2d", (2, 3, 8, 8), dict(kernel_size=2)),
    ("avg_pool2d", (2, 3, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                      count_include_pad=False)),
    ("avg_pool2d", (2, 3, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", (3, 7, 8), dict(kernel_size=(3, 2), stride=2, padding=1,
                                   divisor_override=5)),
    ("avg_pool1d", (2, 3, 11), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                                    count_include_pad=False)),
    ("adaptive_avg_pool2d", (2, 3, 7, 8), dict(output_size=(3, 5))),
    ("adaptive_avg_pool2d", (3, 7, 8), dict(output_size=(None, 5))),
    ("adaptive_avg_pool2d", (2, 3, 4, 4), dict(output_size=1)),
    ("adaptive_avg_pool1d", (2, 3, 7), dict(output_size=4)),
    ("adaptive_avg_pool1d", (3, 5), dict(output_size=8)),
    ("adaptive_max_pool2d", (2, 3, 7, 8), dict(output_size=(3, 5), return_indices=True)),
    ("adaptive_max_pool2d", (3, 5, 6), dict(output_size=(7, 2), return_indices=True)),
    ("adaptive_max_pool1d", (2, 3, 7), dict(output_size=3, return_indices=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,xs,kw", AVG)
def test_avg_and_adaptive(name, xs, kw, dtype):
    _compare(lambda t: getattr(F, name)(t, **kw), lambda t: getattr(TF, name)(t, **kw),
             _r(*xs), dtype)


@pytest.mark.parametrize("call", [
    lambda f, x: f.max_pool2d(x, 3, padding=2),
    lambda f, x: f.avg_pool2d(x, 3, padding=2),
    lambda f, x: f.max_pool2d(x, 7),
    lambda f, x: f.max_pool2d(x[0, 0, 0], 2),
    lambda f, x: f.max_pool2d(x, 0),
    lambda f, x: f.max_pool1d(x[0].long(), 2),
    lambda f, x: f.adaptive_max_pool2d(x.long(), 2),
])
def test_errors(call):
    x = _r(2, 3, 5, 5)
    with pytest.raises(Exception) as theirs:
        call(TF, torch.tensor(x))
    with pytest.raises(type(theirs.value)):
        call(F, numtorch.tensor(x))


MODULES = [
    ("MaxPool1d", (3,), dict(stride=2, padding=1, return_indices=True), (2, 3, 9)),
    ("MaxPool2d", (2,), {}, (2, 3, 6, 6)),
    ("MaxPool2d", ((3, 2),), dict(stride=1, padding=1, dilation=1, ceil_mode=True), (2, 3, 6, 7)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 9)),
    ("AvgPool2d", (3,), dict(ceil_mode=True, divisor_override=2), (2, 3, 7, 7)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 5, 7)),
    ("AdaptiveMaxPool1d", (3,), dict(return_indices=True), (2, 3, 7)),
    ("AdaptiveMaxPool2d", (2,), dict(return_indices=True), (2, 3, 5, 7)),
]


@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_modules(name, args, kw, xs):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == []
    _compare(ours, theirs, _r(*xs))
