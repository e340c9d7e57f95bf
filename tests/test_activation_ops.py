"""Activation behaviour the op database cannot express: softmax's implicit dim, in-place
variants, numerical stability at extreme inputs, gelu's erf, rrelu's random slopes."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
import numtorch.nn.functional as F
from conftest import require_torch

torch = require_torch()
TF = torch.nn.functional


def _both(array, requires_grad=False):
    return (numtorch.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


# ---- softmax without dim ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_implicit_dim_matches_torch_and_warns(name, shape):
    array = np.random.default_rng(0).standard_normal(shape)
    ours_in, theirs_in = _both(array)
    with pytest.warns(UserWarning) as ours_w:
        ours = getattr(F, name)(ours_in)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        theirs = getattr(TF, name)(theirs_in)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert len(ours_w) == 1 and "dim" in str(ours_w[0].message)
    assert ours_w[0].filename == __file__  # the warning points at the caller


def test_explicit_dim_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(numtorch.ones(2, 3), dim=1)
        F.log_softmax(numtorch.ones(2, 3), 0)


def test_torch_softmax_needs_dim():
    with pytest.raises(TypeError):
        numtorch.softmax(numtorch.ones(3))
    with pytest.raises(TypeError):
        torch.softmax(torch.ones(3))


def test_softmax_dtype_is_positional_too():
    x = numtorch.tensor([1.0, 2.0, 3.0])
    y = x.softmax(0, numtorch.float64)
    assert y.dtype == numtorch.float64
    t = torch.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(y.numpy(), t.softmax(0, torch.float64).numpy(), rtol=1e-15)


# ---- numerical stability ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_inputs_stay_finite(dtype):
    array = np.array([[-1e4, 0.0, 1e4], [3e38, -3e38, 0.0]], dtype)
    for name, args in [("softmax", (1,)), ("log_softmax", (1,)), ("logsigmoid", ()),
                       ("softplus", ()), ("sigmoid", ()), ("silu", ()), ("gelu", ()),
                       ("mish", ()), ("elu", ()), ("selu", ()), ("celu", ())]:
        ours_in, theirs_in = _both(array, requires_grad=True)
        ours = getattr(F, name)(ours_in, *args)
        theirs = getattr(TF, name)(theirs_in, *args)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-6, err_msg=name)
        g = np.ones(array.shape, dtype)
        ours.backward(numtorch.tensor(g))
        theirs.backward(torch.tensor(g))
        np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-6,
                                   atol=1e-30, err_msg=f"grad of {name}")


def test_log_softmax_is_accurate_where_log_of_softmax_is_not():
    x = numtorch.tensor([0.0, -200.0], dtype=numtorch.float64)
    assert F.log_softmax(x, 0)[1].item() == pytest.approx(-200.0, rel=1e-15)


# ---- gelu's erf -------------------------------------------------------------------------------

@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch_over_a_wide_range(approximate):
    array = np.concatenate([np.linspace(-40, 40, 4001), [0.0, np.inf, -np.inf]])
    ours_in, theirs_in = _both(array, requires_grad=True)
    ours = F.gelu(ours_in, approximate=approximate)
    theirs = TF.gelu(theirs_in, approximate=approximate)
    # 1 + erf(x) cancels for negative x: both sides carry absolute errors of |x| * 1e-16
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-13,
                               atol=1e-14)
    # backward on the finite points only (at +-inf both sides give NaN, from inf * 0)
    ours_in, theirs_in = _both(array[:-2], requires_grad=True)
    F.gelu(ours_in, approximate=approximate).sum().backward()
    TF.gelu(theirs_in, approximate=approximate).sum().backward()
    np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), rtol=1e-12,
                               atol=1e-13)


def test_gelu_float32_matches_torch():
    array = np.linspace(-10, 10, 1001, dtype=np.float32)
    ours, theirs = F.gelu(numtorch.tensor(array)), TF.gelu(torch.tensor(array))
    # 1 + erf(x) cancels for negative x: float32 leaves an absolute error of about 1e-7
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


# ---- in-place variants ------------------------------------------------------------------------

INPLACE = [
    (lambda lib, x: lib.nn.functional.relu(x, inplace=True), "ReluBackward0"),
    (lambda lib, x: lib.nn.functional.leaky_relu(x, 0.2, inplace=True), "LeakyReluBackward1"),
    (lambda lib, x: lib.nn.functional.elu_(x), "EluBackward1"),
    (lambda lib, x: lib.selu_(x), "EluBackward1"),
    (lambda lib, x: lib.celu_(x, 2.0), "CeluBackward1"),
    (lambda lib, x: lib.nn.functional.hardtanh_(x, -0.5, 0.5), "HardtanhBackward0"),
    (lambda lib, x: lib.nn.functional.relu6(x, inplace=True), "HardtanhBackward0"),
    (lambda lib, x: lib.threshold_(x, 0.1, 5.0), "ThresholdBackward1"),
    (lambda lib, x: lib.nn.functional.silu(x, inplace=True), "SiluBackward0"),
    (lambda lib, x: lib.nn.functional.hardswish(x, inplace=True), "HardswishBackward0"),
    (lambda lib, x: lib.rrelu_(x), "RreluWithNoiseBackward1"),
]


@pytest.mark.parametrize("fn,node", INPLACE)
def test_inplace_writes_input_and_matches_torch(fn, node):
    array = np.random.default_rng(3).uniform(-2, 2, (3, 4))
    results = []
    for lib in (numtorch, torch):
        leaf = lib.tensor(array, requires_grad=True)
        x = leaf * 1
        version = x._version
        y = fn(lib, x)
        assert y is x and x._version == version + 1
        assert y.grad_fn.name() == node
        y.backward(lib.ones(3, 4, dtype=lib.float64))
        results.append((x.detach().numpy().copy(), leaf.grad.numpy().copy()))
    (ours_val, ours_grad), (theirs_val, theirs_grad) = results
    np.testing.assert_allclose(ours_val, theirs_val, rtol=1e-12)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-12)


def test_inplace_on_leaf_requiring_grad_is_refused():
    for lib in (numtorch, torch):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError):
            lib.nn.functional.elu(x, inplace=True)


def test_inplace_without_grad_just_writes():
    x = numtorch.tensor([-1.0, 0.5, 2.0])
    assert F.hardtanh(x, inplace=True) is x
    assert x.tolist() == [-1.0, 0.5, 1.0]
    assert F.leaky_relu_(x, 0.5) is x
    assert x.tolist() == [-0.5, 0.5, 1.0]


# ---- rrelu ------------------------------------------------------------------------------------

def test_rrelu_training_draws_slopes_in_range_and_differentiates_through_them():
    numtorch.manual_seed(0)
    x = numtorch.full((1000,), -2.0, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = y.detach().numpy() / -2.0
    assert (slopes >= 0.1).all() and (slopes < 0.3).all()
    assert len(np.unique(slopes)) > 100
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
    assert F.rrelu(numtorch.tensor([3.0]), training=True).item() == 3.0


# ---- errors -----------------------------------------------------------------------------------

def test_errors_match_torch():
    cases = [
        lambda lib: lib.nn.functional.relu(lib.tensor([True])),
        lambda lib: lib.nn.functional.gelu(lib.tensor([1, 2])),
        lambda lib: lib.nn.functional.softmax(lib.tensor([1, 2]), 0),
        lambda lib: lib.nn.functional.glu(lib.ones(3), 0),
        lambda lib: lib.nn.functional.hardtanh(lib.ones(3), 2.0, 1.0),
    ]
    for case in cases:
        with pytest.raises(Exception) as theirs:
            case(torch)
        with pytest.raises(type(theirs.value)):
            case(numtorch)


# ---- properties -------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=3), data=st.data())
def test_softmax_family_matches_torch_on_any_shape_and_dim(shape, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    scale = data.draw(st.sampled_from([1.0, 100.0]))
    array = np.random.default_rng(len(shape)).standard_normal(shape) * scale
    ours_in, theirs_in = _both(array)
    for name in ("softmax", "log_softmax", "softmin"):
        np.testing.assert_allclose(getattr(F, name)(ours_in, dim).numpy(),
                                   getattr(TF, name)(theirs_in, dim).numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)
    if shape[dim] % 2 == 0:
        np.testing.assert_allclose(F.glu(ours_in, dim).numpy(), TF.glu(theirs_in, dim).numpy(),
                                   rtol=1e-12, atol=1e-15)
