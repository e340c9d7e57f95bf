"""The benchmark suite's agreement checks (benchmarks/workloads.py) on tiny shapes: numtorch,
PyTorch and the plain-NumPy floor compute the same losses and gradients before anything is
timed. No timing is asserted here; speed lives in benchmarks/run.py."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from conftest import require_torch

torch = require_torch()
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
import floor  # noqa: E402
import workloads  # noqa: E402


def _results(wl, size="tiny"):
    return {impl: wl.run_check(wl.build(impl, size)) for impl in workloads.LIBS}


@pytest.mark.parametrize("wl", workloads.WORKLOADS, ids=lambda w: w.name)
def test_workloads_agree(wl):
    wl.check(_results(wl))


@pytest.fixture(scope="module")
def conv_results():
    wl = workloads.Conv()
    return wl, _results(wl)


@pytest.mark.parametrize("key", ["loss", "dx", "dw", "db"])
def test_check_catches_a_wrong_floor(conv_results, key):
    wl, good = conv_results
    res = {impl: [dict(step) for step in steps] for impl, steps in good.items()}
    res["numpy"][1][key] = np.asarray(res["numpy"][1][key]) * 1.01 + 1e-3
    with pytest.raises(AssertionError, match=key):
        wl.check(res)


@pytest.mark.parametrize("pad,shape", [(1, (2, 3, 7, 6)), (0, (1, 2, 5, 5)), (2, (2, 1, 4, 4))])
def test_floor_conv_matches_torch(pad, shape):
    """The floor's convolution (forward and all three gradients) against PyTorch's, float64."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal(shape), rng.standard_normal((4, shape[1], 3, 3))
    b = rng.standard_normal(4)
    ws = {}
    y, cols = floor.conv2d_forward(x, w, b, pad, ws)
    g = rng.standard_normal(y.shape)
    dx, dw, db = floor.conv2d_backward(g, cols, w, x.shape, pad, ws)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, padding=pad)
    yt.backward(torch.tensor(g))
    for ours, theirs in ((y, yt), (dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_floor_max_pool_ties_match_torch():
    """Ties go to the first maximum, as in PyTorch (forward value, index and gradient)."""
    x = np.random.default_rng(4).integers(0, 3, (2, 3, 6, 8)).astype(np.float64)
    y, flat = floor.max_pool2x2_forward(x)
    g = np.random.default_rng(5).standard_normal(y.shape)
    dx = floor.max_pool2x2_backward(g, flat, x.shape)
    xt = torch.tensor(x, requires_grad=True)
    yt, it = torch.nn.functional.max_pool2d(xt, 2, return_indices=True)
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(flat, it.numpy())
    np.testing.assert_array_equal(dx, xt.grad.numpy())
