"""nn.init: gains and fans exactly as PyTorch, distributions checked statistically."""
from __future__ import annotations

import math

import numpy as np
import pytest

import numtorch
import numtorch.nn as nn
from conftest import require_torch
from numtorch.nn import init

torch = require_torch()
tinit = torch.nn.init


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv_transpose2d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_exact(name, param):
    assert init.calculate_gain(name, param) == tinit.calculate_gain(name, param)


@pytest.mark.parametrize("call", [
    lambda m, lib: m.calculate_gain("foo"),
    lambda m, lib: m.calculate_gain("leaky_relu", "x"),
    lambda m, lib: m.eye_(lib.ones(2, 2, 2)),
    lambda m, lib: m.dirac_(lib.ones(2, 2)),
    lambda m, lib: m.dirac_(lib.ones(3, 2, 3), groups=2),
    lambda m, lib: m.orthogonal_(lib.ones(2)),
    lambda m, lib: m.kaiming_uniform_(lib.ones(2, 2), mode="x"),
    lambda m, lib: m.xavier_uniform_(lib.ones(3)),
])
def test_errors_same_type(call):
    with pytest.raises(ValueError):
        call(tinit, torch)
    with pytest.raises(ValueError):
        call(init, numtorch)


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3), (6, 3, 2, 5), (2, 1, 1, 1, 7)])
def test_fans_exact(shape):
    assert (init._calculate_fan_in_and_fan_out(numtorch.empty(shape))
            == tinit._calculate_fan_in_and_fan_out(torch.empty(shape)))


def _moments_match(values, mean, std, bound=None):
    """Sample mean/std within 5 standard errors of the targets (and inside any bound)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    n = v.size
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(v.std() - std) < 5 * std / math.sqrt(2 * n) + 1e-12
    if bound is not None:
        assert np.abs(v - mean).max() <= bound * (1 + 1e-6)
        assert np.abs(v - mean).max() > 0.99 * bound   # the bound is reached, not smaller


SHAPE = (256, 64, 3, 3)


def test_uniform_and_normal():
    numtorch.manual_seed(0)
    t = numtorch.empty(200, 300)
    assert init.uniform_(t, -2.0, 3.0) is t
    _moments_match(t.numpy(), 0.5, 5 / math.sqrt(12), 2.5)
    init.normal_(t, 1.5, 0.3)
    _moments_match(t.numpy(), 1.5, 0.3)
    assert t.dtype is numtorch.float32
    g = numtorch.Generator().manual_seed(7)
    a = init.normal_(numtorch.empty(5), generator=g).numpy().copy()
    b = init.normal_(numtorch.empty(5), generator=numtorch.Generator().manual_seed(7)).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("leaky_relu", 0), ("leaky_relu", math.sqrt(5)),
                                            ("relu", 0), ("tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    t = numtorch.empty(SHAPE)
    ref = torch.empty(SHAPE)
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(ref)
    std = tinit.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in"
                                                            else fan_out)
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _moments_match(t.numpy(), 0.0, std, math.sqrt(3) * std)
    # PyTorch's own draw satisfies the same bound (the formula is the same)
    tinit.kaiming_uniform_(ref, a=a, mode=mode, nonlinearity=nonlinearity)
    assert ref.abs().max().item() <= math.sqrt(3) * std * (1 + 1e-6)
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _moments_match(t.numpy(), 0.0, std)


def test_kaiming_zero_element_warns():
    with pytest.warns(UserWarning):
        init.kaiming_uniform_(numtorch.empty(0, 3))


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(gain):
    t = numtorch.empty(SHAPE, dtype=numtorch.float64)
    fan_in, fan_out = tinit._calculate_fan_in_and_fan_out(torch.empty(SHAPE))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    init.xavier_uniform_(t, gain)
    _moments_match(t.numpy(), 0.0, std, math.sqrt(3) * std)
    init.xavier_normal_(t, gain)
    _moments_match(t.numpy(), 0.0, std)


def test_trunc_normal():
    numtorch.manual_seed(3)
    t = init.trunc_normal_(numtorch.empty(400, 500), mean=0.5, std=1.0, a=-1.0, b=1.5)
    v = t.numpy()
    assert v.min() >= -1.0 and v.max() <= 1.5
    ref = tinit.trunc_normal_(torch.empty(400, 500, dtype=torch.float64), 0.5, 1.0, -1.0, 1.5)
    # PyTorch's sample and ours estimate the same truncated distribution's moments
    rv = ref.numpy()
    assert abs(v.mean() - rv.mean()) < 0.01
    assert abs(v.std() - rv.std()) < 0.01


def test_constant_ones_zeros_eye_dirac_exact():
    for fn, args in [("constant_", (0.3,)), ("ones_", ()), ("zeros_", ())]:
        ours = getattr(init, fn)(numtorch.empty(3, 4), *args)
        theirs = getattr(tinit, fn)(torch.empty(3, 4), *args)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(init.eye_(numtorch.empty(3, 5)).numpy(),
                                  tinit.eye_(torch.empty(3, 5)).numpy())
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 1), ((4, 2, 3, 3), 2),
                          ((2, 4, 3, 2, 5), 1)]:
        np.testing.assert_array_equal(
            init.dirac_(numtorch.empty(shape), groups).numpy(),
            tinit.dirac_(torch.empty(shape), groups).numpy())


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3)])
def test_orthogonal(shape):
    t = init.orthogonal_(numtorch.empty(shape, dtype=numtorch.float64), gain=2.0)
    m = t.numpy().reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-10)


def test_init_is_not_recorded_and_keeps_identity():
    p = nn.Parameter(numtorch.empty(3, 3))
    out = init.kaiming_uniform_(p)
    assert out is p and p.is_leaf and p.grad_fn is None and p.requires_grad


@pytest.mark.parametrize("in_features", [3, 50])
def test_linear_default_init(in_features):
    numtorch.manual_seed(11)
    m = nn.Linear(in_features, 4000)
    bound = 1 / math.sqrt(in_features)
    # kaiming_uniform_(a=sqrt(5)) on fan_in gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    t = torch.nn.Linear(in_features, 4000)
    assert t.weight.abs().max().item() <= bound
    _moments_match(m.weight.detach().numpy(), 0.0, bound / math.sqrt(3), bound)
    _moments_match(m.bias.detach().numpy(), 0.0, bound / math.sqrt(3), bound)


def test_bilinear_default_init():
    numtorch.manual_seed(12)
    m = nn.Bilinear(16, 5, 300)
    bound = 1 / math.sqrt(16)
    _moments_match(m.weight.detach().numpy(), 0.0, bound / math.sqrt(3), bound)
    assert np.abs(m.bias.detach().numpy()).max() <= bound


def test_seeded_modules_are_reproducible():
    numtorch.manual_seed(5)
    a = nn.Linear(3, 3).weight.detach().numpy().copy()
    numtorch.manual_seed(5)
    b = nn.Linear(3, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)
