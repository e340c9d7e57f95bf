"""Convolution: F.conv1d/2d, F.conv_transpose1d/2d and the Conv modules against PyTorch."""
from __future__ import annotations

import math

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
# PyTorch warns that it copies the input for padding='same' with even kernels; not our concern
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}


def _compare(ours, theirs, arrays, dtype=np.float64, needs=None):
    """Run ours(*numtorch tensors) and theirs(*torch tensors) on the same arrays; compare the
    outputs and the gradients of every input for one random output gradient."""
    arrays = [a.astype(dtype) for a in arrays]
    needs = needs or [True] * len(arrays)
    a = [numtorch.tensor(x, requires_grad=n) for x, n in zip(arrays, needs)]
    b = [torch.tensor(x, requires_grad=n) for x, n in zip(arrays, needs)]
    y, z = ours(*a), theirs(*b)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), **TOL[dtype])
    g = np.random.default_rng(1).standard_normal(tuple(z.shape)).astype(dtype)
    y.backward(numtorch.tensor(g))
    z.backward(torch.tensor(g))
    for p, q, n in zip(a, b, needs):
        if n:
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **TOL[dtype])
    return y


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CONV2D = [  # x shape, w shape, kwargs
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((1, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2),
                                      groups=2)),
    ((2, 4, 8, 8), (4, 1, 3, 3), dict(padding=1, groups=4)),
    ((2, 3, 8, 7), (5, 3, 4, 2), dict(padding="same")),
    ((2, 3, 9, 9), (5, 3, 2, 3), dict(padding="same", dilation=(3, 2))),
    ((2, 3, 8, 7), (5, 3, 3, 3), dict(padding="valid", stride=3)),
    ((3, 8, 7), (5, 3, 3, 3), dict(padding=2)),  # unbatched
    ((2, 3, 5, 5), (2, 3, 5, 5), {}),  # kernel as large as the input
    ((2, 6, 10, 11), (6, 2, 3, 3), dict(stride=(3, 2), padding=(2, 0), dilation=2, groups=3)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d(xs, ws, kw, bias, dtype):
    arrays = [_r(*xs), _r(*ws, seed=1)] + ([_r(ws[0], seed=2)] if bias else [])
    y = _compare(lambda *t: F.conv2d(*t, **kw), lambda *t: TF.conv2d(*t, **kw), arrays, dtype)
    assert y.dtype == (numtorch.float32 if dtype == np.float32 else numtorch.float64)
    if len(xs) == 4:
        assert type(y.grad_fn).__name__ == "ConvolutionBackward0"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 10), (4, 3, 3), {}),
    ((2, 4, 11), (6, 2, 4), dict(stride=2, padding=3, dilation=2, groups=2)),
    ((3, 10), (5, 3, 4), dict(padding="same", dilation=3)),
    ((2, 3, 10), (3, 1, 5), dict(padding="valid", groups=3, stride=4)),
])
def test_conv1d(xs, ws, kw, dtype):
    arrays = [_r(*xs), _r(*ws, seed=1), _r(ws[0], seed=2)]
    _compare(lambda *t: F.conv1d(*t, **kw), lambda *t: TF.conv1d(*t, **kw), arrays, dtype)


@pytest.mark.parametrize("name,kw", [("conv2d", dict(padding=1, stride=2)),
                                     ("conv_transpose2d", dict(stride=2, output_padding=1))])
def test_integer_inputs(name, kw):
    """PyTorch convolves integer tensors too (no gradient), keeping the dtype."""
    x = np.arange(-20, 25).reshape(1, 1, 5, 9)
    w = np.arange(-4, 4).reshape(1, 2, 2, 2) if name == "conv_transpose2d" else np.arange(
        -2, 2).reshape(1, 1, 2, 2)
    b = [3, -1] if name == "conv_transpose2d" else [3]
    y = getattr(F, name)(numtorch.tensor(x), numtorch.tensor(w), numtorch.tensor(b), **kw)
    z = getattr(TF, name)(torch.tensor(x), torch.tensor(w), torch.tensor(b), **kw)
    assert y.dtype == numtorch.int64
    np.testing.assert_array_equal(y.numpy(), z.numpy())


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), groups=st.integers(1, 3), cin=st.integers(1, 2),
       cout=st.integers(1, 2), k=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       extra=st.tuples(st.integers(0, 4), st.integers(0, 4)), one_d=st.booleans())
def test_conv_property(n, groups, cin, cout, k, stride, dilation, padding, extra, one_d):
    nd = 1 if one_d else 2
    size = [dilation[i] * (k[i] - 1) + 1 + extra[i] for i in range(nd)]
    xs = (n, cin * groups, *size)
    ws = (cout * groups, cin, *k[:nd])
    kw = dict(stride=stride[:nd], padding=padding[:nd], dilation=dilation[:nd], groups=groups)
    ours, theirs = (F.conv1d, TF.conv1d) if one_d else (F.conv2d, TF.conv2d)
    _compare(lambda *t: ours(*t, **kw), lambda *t: theirs(*t, **kw),
             [_r(*xs), _r(*ws, seed=1), _r(ws[0], seed=2)])


TRANSPOSE = [
    ((2, 4, 5, 4), (4, 3, 3, 3), {}),
    ((2, 4, 5, 4), (4, 3, 3, 2), dict(stride=2, padding=1, output_padding=1)),
    ((2, 4, 5, 4), (4, 3, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                      groups=2, dilation=(2, 1))),
    ((4, 5, 4), (4, 2, 2, 2), dict(stride=2)),  # unbatched
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", TRANSPOSE)
def test_conv_transpose2d(xs, ws, kw, dtype):
    groups = kw.get("groups", 1)
    arrays = [_r(*xs), _r(*ws, seed=1), _r(ws[1] * groups, seed=2)]
    _compare(lambda *t: F.conv_transpose2d(*t, **kw), lambda *t: TF.conv_transpose2d(*t, **kw),
             arrays, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 7), (3, 4, 3), dict(stride=3, padding=2, output_padding=2)),
    ((2, 4, 6), (4, 1, 4), dict(groups=2, dilation=3, padding=1, output_padding=1, stride=2)),
])
def test_conv_transpose1d(xs, ws, kw, dtype):
    groups = kw.get("groups", 1)
    arrays = [_r(*xs), _r(*ws, seed=1), _r(ws[1] * groups, seed=2)]
    _compare(lambda *t: F.conv_transpose1d(*t, **kw), lambda *t: TF.conv_transpose1d(*t, **kw),
             arrays, dtype)


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv2d", (2, 4, 6, 6), (4, 2, 3, 3), dict(stride=2, padding=1, groups=2)),
    ("conv_transpose2d", (1, 4, 4, 3), (4, 1, 3, 3), dict(stride=2, padding=1, groups=2,
                                                          output_padding=1)),
])
def test_double_backward(name, xs, ws, kw):
    """Second derivatives: the gradient of |grad|^2 w.r.t. input, weight and the output
    gradient itself."""
    results = []
    for lib, fn in ((numtorch, getattr(F, name)), (torch, getattr(TF, name))):
        x = lib.tensor(_r(*xs), requires_grad=True)
        w = lib.tensor(_r(*ws, seed=1), requires_grad=True)
        y = fn(x, w, **kw)
        g = lib.tensor(_r(*y.shape, seed=3), requires_grad=True)
        gx, gw = lib.autograd.grad(y, (x, w), g, create_graph=True)
        s = (gx * gx).sum() + (gw * gw).sum()
        results.append([t.detach().numpy() for t in lib.autograd.grad(s, (x, w, g))])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("call", [
    lambda f, x, w: f.conv2d(x, w, stride=2, padding="same"),
    lambda f, x, w: f.conv2d(x, w, padding="full"),
    lambda f, x, w: f.conv2d(x, w, groups=3),
    lambda f, x, w: f.conv2d(x[0, 0], w),
    lambda f, x, w: f.conv2d(x, w, padding=-1),
    lambda f, x, w: f.conv2d(x, w, stride=0),
    lambda f, x, w: f.conv2d(x[..., :2, :2], w),
    lambda f, x, w: f.conv2d(x.double(), w),
    lambda f, x, w: f.conv2d(x, w, w[0, 0, 0]),
    lambda f, x, w: f.conv2d(x.bool(), w.bool()),
    lambda f, x, w: f.conv_transpose2d(x, w.transpose(0, 1), stride=2, output_padding=2),
])
def test_errors(call):
    x, w = _r(2, 4, 5, 5), _r(6, 4, 3, 3, seed=1)
    with pytest.raises(Exception) as theirs:
        call(TF, torch.tensor(x, dtype=torch.float32), torch.tensor(w, dtype=torch.float32))
    with pytest.raises(type(theirs.value)):
        call(F, numtorch.tensor(x, dtype=numtorch.float32),
             numtorch.tensor(w, dtype=numtorch.float32))


# ---- modules ----------------------------------------------------------------------------------

def _copy_params(ours, theirs):
    for (name, p), (tname, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        with numtorch.no_grad():
            p.copy_(numtorch.tensor(q.detach().numpy()))


def _compare_module(ours, theirs, x, dtype=np.float64, **call):
    if dtype == np.float64:
        ours.double()
        theirs.double()
    _copy_params(ours, theirs)
    a = numtorch.tensor(x.astype(dtype), requires_grad=True)
    b = torch.tensor(x.astype(dtype), requires_grad=True)
    y, z = ours(a, **call), theirs(b, **call)
    np.testing.assert_allclose(y.detach().numpy(), z.detach().numpy(), **TOL[dtype])
    g = _r(*z.shape, seed=5).astype(dtype)
    y.backward(numtorch.tensor(g))
    z.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL[dtype])
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **TOL[dtype])


MODULES = [
    ("Conv1d", (3, 4, 3), dict(stride=2, padding=1), (2, 3, 9)),
    ("Conv1d", (4, 6, 3), dict(padding="same", groups=2, padding_mode="circular"), (2, 4, 9)),
    ("Conv2d", (3, 4, 3), {}, (2, 3, 6, 7)),
    ("Conv2d", (3, 4, (3, 2)), dict(stride=2, padding=1, dilation=2, bias=False,
                                     padding_mode="reflect"), (2, 3, 8, 9)),
    ("Conv2d", (2, 4, 3), dict(padding=(2, 1), padding_mode="replicate"), (2, 2, 6, 5)),
    ("Conv2d", (2, 4, 4), dict(padding="same", padding_mode="reflect"), (2, 2, 6, 5)),
    ("Conv2d", (4, 4, 3), dict(padding="valid", groups=4), (4, 6, 5)),
    ("ConvTranspose1d", (3, 4, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 7)),
    ("ConvTranspose2d", (4, 6, 3), dict(stride=2, groups=2, dilation=2), (2, 4, 5, 4)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_modules(name, args, kw, xs, dtype):
    ours, theirs = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == [
        tuple(p.shape) for p in theirs.parameters()]
    _compare_module(ours, theirs, _r(*xs), dtype)


def test_conv_transpose_output_size():
    ours, theirs = nn.ConvTranspose2d(3, 2, 3, stride=3), torch.nn.ConvTranspose2d(3, 2, 3,
                                                                                  stride=3)
    _compare_module(ours, theirs, _r(1, 3, 4, 4), output_size=(13, 14))
    with pytest.raises(ValueError):
        ours(numtorch.zeros(1, 3, 4, 4, dtype=numtorch.float64), output_size=(20, 20))


@pytest.mark.parametrize("kw", [dict(groups=0), dict(groups=2), dict(padding="full"),
                                dict(padding="same", stride=2), dict(padding_mode="mirror")])
def test_module_errors(kw):
    with pytest.raises(ValueError):
        torch.nn.Conv2d(3, 4, 3, **kw)
    with pytest.raises(ValueError):
        nn.Conv2d(3, 4, 3, **kw)


def test_default_init():
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 8 * 3 * 3."""
    numtorch.manual_seed(0)
    conv = nn.Conv2d(8, 64, 3)
    bound = 1 / math.sqrt(8 * 9)
    w = conv.weight.detach().numpy()
    assert np.abs(w).max() <= bound
    # the std of U(-b, b) is b / sqrt(3); 4608 draws put the estimate within a few percent
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.05
    assert abs(w.mean()) < 0.05 * bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    assert conv.bias.detach().numpy().std() > bound / 4
    t = nn.ConvTranspose2d(8, 4, 3)  # fan_in is computed from weight dim 1 (out / groups) here
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / math.sqrt(4 * 9)
