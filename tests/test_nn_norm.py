"""Normalization and embedding: F.batch_norm / layer_norm / group_norm / embedding and the
BatchNorm, LayerNorm, GroupNorm and Embedding modules against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
from conftest import require_torch

torch = require_torch()
TF = torch.nn.functional

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _tensors(lib, arrays, dtype):
    return [None if a is None else lib.tensor(a.astype(dtype), requires_grad=True)
            for a in arrays]


def _compare(ours, theirs, arrays, dtype=np.float64):
    a, b = _tensors(numtorch, arrays, dtype), _tensors(torch, arrays, dtype)
    y, z = ours(*a), theirs(*b)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), **TOL[dtype])
    g = _r(*z.shape, seed=9).astype(dtype)
    y.backward(numtorch.tensor(g))
    z.backward(torch.tensor(g))
    for p, q in zip(a, b):
        if p is not None:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs", [(8, 3), (4, 3, 5), (4, 3, 5, 6)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm(xs, training, affine, dtype):
    c = xs[1]
    mean, var = _r(c, seed=3).astype(dtype), (_r(c, seed=4) ** 2 + 0.5).astype(dtype)
    stats = {}
    for lib in (numtorch, torch):
        stats[lib] = (lib.tensor(mean.copy()), lib.tensor(var.copy()))
    arrays = [_r(*xs)] + ([_r(c, seed=1), _r(c, seed=2)] if affine else [None, None])
    _compare(lambda x, w, b: F.batch_norm(x, *stats[numtorch], w, b, training, 0.2, 1e-3),
             lambda x, w, b: TF.batch_norm(x, *stats[torch], w, b, training, 0.2, 1e-3),
             arrays, dtype)
    for p, q in zip(stats[numtorch], stats[torch]):  # running stats moved (or not) alike
        np.testing.assert_allclose(p.numpy(), q.numpy(), **TOL[dtype])


def test_batch_norm_without_running_stats():
    _compare(lambda x: F.batch_norm(x, None, None, training=True),
             lambda x: TF.batch_norm(x, None, None, training=True), [_r(5, 2, 3)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,shape,affine", [
    ((4, 6), (6,), True), ((2, 3, 5, 6), (5, 6), True), ((3, 7), (7,), False),
    ((2, 3, 4), (2, 3, 4), True),
])
def test_layer_norm(xs, shape, affine, dtype):
    ns = (shape,) if isinstance(shape, int) else shape
    arrays = [_r(*xs)] + ([_r(*ns, seed=1), _r(*ns, seed=2)] if affine else [None, None])
    _compare(lambda x, w, b: F.layer_norm(x, shape, w, b, 1e-4),
             lambda x, w, b: TF.layer_norm(x, shape, w, b, 1e-4), arrays, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,groups", [((4, 6), 3), ((2, 6, 5), 2), ((2, 4, 3, 5), 4),
                                       ((3, 4, 2, 2), 1)])
def test_group_norm(xs, groups, dtype):
    c = xs[1]
    _compare(lambda x, w, b: F.group_norm(x, groups, w, b),
             lambda x, w, b: TF.group_norm(x, groups, w, b),
             [_r(*xs), _r(c, seed=1), _r(c, seed=2)], dtype)


@pytest.mark.parametrize("call", [
    lambda f, x, w: f.layer_norm(x, (5,), w),
    lambda f, x, w: f.batch_norm(x, None, None, w, training=True),
    lambda f, x, w: f.group_norm(x.reshape(3, 5, 1), 5, w),
])
def test_double_backward(call):
    results = []
    for lib, f in ((numtorch, F), (torch, TF)):
        x = lib.tensor(_r(3, 5), requires_grad=True)
        w = lib.tensor(_r(5, seed=1), requires_grad=True)
        y = call(f, x, w)
        gx, = lib.autograd.grad((y * y.detach().exp()).sum(), (x,), create_graph=True)
        results.append([t.numpy() for t in lib.autograd.grad((gx ** 2).sum(), (x, w))])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kw", [{}, dict(padding_idx=2), dict(padding_idx=-1),
                                dict(scale_grad_by_freq=True, padding_idx=0),
                                dict(max_norm=1.0), dict(max_norm=0.5, norm_type=1.0)])
def test_embedding(kw):
    idx = np.array([[1, 2, 4, 1], [4, 3, 1, 0]])
    w = _r(5, 3) * 2
    _compare(lambda w: F.embedding(numtorch.tensor(idx), w, **kw),
             lambda w: TF.embedding(torch.tensor(idx), w, **kw), [w])


@pytest.mark.parametrize("call", [
    lambda f, lib: f.batch_norm(lib.ones(1, 3), None, None, training=True),
    lambda f, lib: f.layer_norm(lib.ones(2, 3, 4), (3,)),
    lambda f, lib: f.group_norm(lib.ones(2, 6, 4), 4),
    lambda f, lib: f.embedding(lib.tensor([5]), lib.ones(5, 3)),
    lambda f, lib: f.embedding(lib.tensor([1.0]), lib.ones(5, 3)),
])
def test_errors(call):
    with pytest.raises(Exception) as theirs:
        call(TF, torch)
    with pytest.raises(type(theirs.value)):
        call(F, numtorch)


# ---- modules ----------------------------------------------------------------------------------

def _copy(ours, theirs):
    for (name, p), (tname, q) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert name == tname
        with numtorch.no_grad():
            p.copy_(numtorch.tensor(q.detach().numpy()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,kw,xs", [
    ("BatchNorm1d", (3,), {}, (6, 3)),
    ("BatchNorm1d", (3,), dict(momentum=None, affine=False), (4, 3, 5)),
    ("BatchNorm1d", (3,), dict(track_running_stats=False, bias=False), (4, 3, 5)),
    ("BatchNorm2d", (3,), dict(eps=1e-3, momentum=0.3), (4, 3, 2, 5)),
    ("LayerNorm", ((4, 5),), {}, (2, 3, 4, 5)),
    ("LayerNorm", (5,), dict(elementwise_affine=False, bias=False), (3, 5)),
    ("LayerNorm", (5,), dict(bias=False, eps=1e-3), (3, 5)),
    ("GroupNorm", (2, 6), {}, (3, 6, 4)),
    ("GroupNorm", (3, 6), dict(affine=False), (3, 6, 2, 2)),
])
def test_norm_modules(name, args, kw, xs, dtype):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if dtype == np.float64:
        ours.double()
        theirs.double()
    for p, q in zip(ours.state_dict().values(), theirs.state_dict().values()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())  # the default initialisation
        assert p.dtype.itemsize == q.dtype.itemsize
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape))
    _copy(ours, theirs)
    # a few training steps (running statistics, num_batches_tracked), then eval
    for step in range(3):
        x = _r(*xs, seed=step)
        _compare(ours, theirs, [x], dtype)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **TOL[dtype])
            p.grad = q.grad = None
    for p, q in zip(ours.state_dict().values(), theirs.state_dict().values()):
        np.testing.assert_allclose(p.numpy(), q.numpy(), **TOL[dtype])
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, [_r(*xs, seed=5)], dtype)


def test_batch_norm_input_checks():
    for dim, cls in ((4, "BatchNorm1d"), (3, "BatchNorm2d")):
        with pytest.raises(ValueError):
            getattr(torch.nn, cls)(3)(torch.ones((2, 3) + (2,) * (dim - 2)))
        with pytest.raises(ValueError):
            getattr(nn, cls)(3)(numtorch.ones((2, 3) + (2,) * (dim - 2)))
    with pytest.raises(ValueError):
        nn.GroupNorm(4, 6)


def test_batch_norm_state_dict_without_batch_count():
    """An old checkpoint without num_batches_tracked still loads strictly, as in PyTorch."""
    for lib, mod in ((numtorch, nn), (torch, torch.nn)):
        bn = mod.BatchNorm2d(2)
        sd = {"weight": lib.ones(2) * 3, "bias": lib.zeros(2), "running_mean": lib.ones(2),
              "running_var": lib.ones(2)}
        assert not bn.load_state_dict(sd).missing_keys
        assert bn.weight.detach().numpy().tolist() == [3.0, 3.0]
        assert int(bn.num_batches_tracked) == 0
    with pytest.raises(RuntimeError):
        nn.BatchNorm2d(2).load_state_dict({"weight": numtorch.ones(2)})


def test_embedding_module():
    ours = nn.Embedding(6, 3, padding_idx=-2, max_norm=2.0, norm_type=3.0,
                        scale_grad_by_freq=True)
    theirs = torch.nn.Embedding(6, 3, padding_idx=-2, max_norm=2.0, norm_type=3.0,
                                scale_grad_by_freq=True)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == ["weight"]
    assert ours.padding_idx == 4
    np.testing.assert_array_equal(ours.weight.detach().numpy()[4], 0)
    _copy(ours, theirs)
    idx = np.array([[0, 4, 1], [1, 5, 4]])
    y, z = ours(numtorch.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), rtol=1e-5)
    g = _r(2, 3, 3).astype(np.float32)
    y.backward(numtorch.tensor(g))
    z.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-5)  # renormalised in place alike
    assert repr(nn.Embedding(4, 2)) == repr(torch.nn.Embedding(4, 2))


def test_embedding_init_and_from_pretrained():
    numtorch.manual_seed(0)
    w = nn.Embedding(1000, 16).weight.detach().numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # N(0, 1), 16000 draws
    table = numtorch.tensor(_r(4, 3))
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    np.testing.assert_array_equal(emb(numtorch.tensor([2, 0])).numpy(), _r(4, 3)[[2, 0]])
    with pytest.raises(AssertionError):
        nn.Embedding.from_pretrained(numtorch.ones(3))
