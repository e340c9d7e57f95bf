"""The reused workspace buffers of conv and normalization (ops/_pool.py): a second backward
through a retained graph, and results kept across later calls, stay right (against PyTorch)."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
import numtorch.nn.functional as F
from conftest import require_torch
from numtorch.ops import _pool

torch = require_torch()
TF = torch.nn.functional
TOL = dict(rtol=1e-4, atol=1e-3)  # float32 sums of thousands of terms


def _arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


CASES = [  # name, our call, PyTorch's call, input shapes (all require grad)
    ("conv2d", lambda f, x, w, b: f.conv2d(x, w, b, padding=1),
     lambda x, w, b: TF.conv2d(x, w, b, padding=1), [(4, 3, 40, 40), (8, 3, 3, 3), (8,)]),
    ("batch_norm", lambda f, x, w, b: f.batch_norm(x, None, None, w, b, training=True),
     lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
     [(8, 16, 48, 48), (16,), (16,)]),
    ("layer_norm", lambda f, x, w, b: f.layer_norm(x, (512,), w, b),
     lambda x, w, b: TF.layer_norm(x, (512,), w, b), [(4, 160, 512), (512,), (512,)]),
]


@pytest.mark.parametrize("name,ours,theirs,shapes", CASES, ids=[c[0] for c in CASES])
def test_second_backward_through_retained_graph(name, ours, theirs, shapes):
    arrays = _arrays(*shapes)
    g = _arrays(shapes[0] if name != "conv2d" else (4, 8, 40, 40), seed=1)[0]
    a = [numtorch.tensor(x, requires_grad=True) for x in arrays]
    b = [torch.tensor(x, requires_grad=True) for x in arrays]
    y, z = ours(F, *a), theirs(*b)
    y.backward(numtorch.tensor(g), retain_graph=True)
    first = [t.grad.numpy().copy() for t in a]
    y.backward(numtorch.tensor(g))  # the first backward gave its buffers back: recomputed
    z.backward(torch.tensor(g))
    for p, q, f in zip(a, b, first):
        np.testing.assert_allclose(f, q.grad.numpy(), **TOL)
        np.testing.assert_allclose(p.grad.numpy(), 2 * q.grad.numpy(), **TOL)


@pytest.mark.parametrize("name,ours,theirs,shapes", CASES, ids=[c[0] for c in CASES])
def test_results_survive_later_calls(name, ours, theirs, shapes):
    """Outputs and gradients of one step are not overwritten by the next (buffers are reused
    only when nothing holds them)."""
    keep = []
    for seed in (0, 1, 2):
        a = [numtorch.tensor(x, requires_grad=True) for x in _arrays(*shapes, seed=seed)]
        y = ours(F, *a)
        y.sum().backward()
        keep.append((seed, y.detach().numpy(), [t.grad.numpy() for t in a]))
    assert _pool._POOL  # the buffers really are being reused
    for seed, y, grads in keep:
        b = [torch.tensor(x, requires_grad=True) for x in _arrays(*shapes, seed=seed)]
        z = theirs(*b)
        z.sum().backward()
        np.testing.assert_allclose(y, z.detach().numpy(), **TOL)
        for p, q in zip(grads, b):
            np.testing.assert_allclose(p, q.grad.numpy(), **TOL)
