"""Linear, Bilinear, shape layers, activation modules and dropout against PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
from conftest import require_torch

torch = require_torch()
tnn = torch.nn

TOL = {"float32": 1e-5, "float64": 1e-12}


def _pair(name, *args, **kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)


def _copy_weights(ours, theirs) -> None:
    ours.load_state_dict({k: numtorch.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def _check(ours, theirs, inputs, dtype, grad_of_params=True, grad_tol=None):
    """Forward and the gradients of inputs and parameters, ours vs PyTorch's."""
    _copy_weights(ours, theirs)
    ours.to(getattr(numtorch, dtype))
    theirs.to(getattr(torch, dtype))
    xo = [numtorch.tensor(x.astype(dtype), requires_grad=True) for x in inputs]
    xt = [torch.tensor(x.astype(dtype), requires_grad=True) for x in inputs]
    yo, yt = ours(*xo), theirs(*xt)
    tol = TOL[dtype]
    assert yo.dtype is getattr(numtorch, dtype)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    w = np.random.default_rng(9).standard_normal(tuple(yt.shape)).astype(dtype)
    (yo * numtorch.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    gtol = grad_tol or 10 * tol
    for a, b in zip(xo, xt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=gtol, atol=gtol)
    if grad_of_params:
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=10 * tol,
                                       atol=10 * tol, err_msg=n)


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(dtype, shape, bias):
    _check(*_pair("Linear", 4, 3, bias=bias), [RNG.standard_normal(shape)], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(dtype, bias):
    ours, theirs = _pair("Bilinear", 3, 4, 2, bias=bias)
    _check(ours, theirs, [RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))], dtype)
    _check(ours, theirs, [RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 5, 4))],
           dtype)


def test_linear_errors_and_params():
    m = nn.Linear(4, 3)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.weight.shape == (3, 4) and m.bias is not None
    assert nn.Linear(4, 3, bias=False).bias is None
    assert nn.Linear(2, 2, dtype=numtorch.float64).weight.dtype is numtorch.float64
    with pytest.raises(RuntimeError):
        m(numtorch.ones(2, 5))
    with pytest.raises(RuntimeError):
        tnn.Linear(4, 3)(torch.ones(2, 5))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_shape_layers(dtype):
    x = RNG.standard_normal((2, 3, 4, 5))
    for args in [(), (0, -1), (2, 3), (1, 2)]:
        _check(*_pair("Flatten", *args), [x], dtype)
    _check(*_pair("Unflatten", 1, (3, 1)), [x], dtype)
    _check(*_pair("Unflatten", -1, (5, 1)), [x], dtype)
    _check(*_pair("Unflatten", 2, (2, -1)), [x], dtype)
    _check(*_pair("Identity", 54, unused="x"), [x], dtype)
    with pytest.raises(TypeError):
        nn.Unflatten(1, 3)
    with pytest.raises(TypeError):
        nn.Unflatten(1, (2.0, 3))


ACTIVATIONS = [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.2,)), ("ELU", (0.7,)), ("SELU", ()),
    ("CELU", (1.3,)), ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()),
    ("Softplus", ()), ("Softplus", (2.0, 1.0)), ("Softsign", ()), ("Hardtanh", ()),
    ("Hardtanh", (-0.5, 2.0)), ("Hardsigmoid", ()), ("Hardswish", ()), ("LogSigmoid", ()),
    ("Tanhshrink", ()), ("Softshrink", ()), ("Softshrink", (0.3,)), ("Hardshrink", (0.7,)),
    ("Threshold", (0.1, 20.0)), ("Sigmoid", ()), ("Tanh", ()), ("Softmax", (1,)),
    ("LogSoftmax", (-1,)), ("Softmin", (0,)), ("GLU", ()), ("GLU", (0,)), ("PReLU", ()),
    ("PReLU", (3,)), ("PReLU", (1, 0.1)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args", ACTIVATIONS)
def test_activation_modules(name, args, dtype):
    x = RNG.standard_normal((4, 3, 6)) * 3
    # NOTE: PyTorch's float64 CELU backward is off from e**(x/alpha) by ~1e-8 (relative) for
    # alpha != 1; ours is exact, so that one comparison gets a looser tolerance
    grad_tol = 1e-6 if name == "CELU" else None
    _check(*_pair(name, *args), [x], dtype, grad_tol=grad_tol)


@pytest.mark.parametrize("name,args", ACTIVATIONS + [
    ("ReLU", (True,)), ("ELU", (1.0, True)), ("LeakyReLU", (0.01, True)), ("SELU", (True,)),
    ("CELU", (2.0, True)), ("Hardtanh", (-2, 2, True)), ("SiLU", (True,)), ("Mish", (True,)),
    ("Hardswish", (True,)), ("Hardsigmoid", (True,)), ("ReLU6", (True,)),
    ("Threshold", (0.1, 20, True)), ("Softplus", (2, 10)), ("Softmax", ()), ("RReLU", ()),
    ("Dropout", ()), ("Dropout", (0.3, True)), ("Dropout1d", (0.2,)), ("Dropout2d", (0.5, True)),
    ("Dropout3d", (0.25,)),
    ("Identity", ()), ("Flatten", ()), ("Unflatten", (1, (2, 3))), ("Linear", (2, 3, False)),
    ("Bilinear", (2, 3, 4)),
])
def test_reprs(name, args):
    ours, theirs = _pair(name, *args)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name,args", [("ReLU", (True,)), ("LeakyReLU", (0.1, True)),
                                       ("ELU", (1.0, True)), ("Hardtanh", (-1.0, 1.0, True))])
def test_inplace_activations(name, args):
    x = RNG.standard_normal((3, 4))
    xo, xt = numtorch.tensor(x), torch.tensor(x)
    ours, theirs = _pair(name, *args)
    yo, yt = ours(xo), theirs(xt)
    np.testing.assert_allclose(xo.numpy(), xt.numpy())
    np.testing.assert_allclose(yo.numpy(), yt.numpy())


def test_softmax_without_dim_warns():
    x = numtorch.ones(2, 3)
    with pytest.warns(UserWarning):
        y = nn.Softmax()(x)
    np.testing.assert_allclose(y.numpy(), np.full((2, 3), 1 / 3), rtol=1e-6)


def test_prelu_default_init_and_param():
    m = nn.PReLU(3, init=0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), np.full(3, 0.1, "float32"))


# ---- dropout ------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics(p):
    numtorch.manual_seed(0)
    x = numtorch.ones(200, 500, dtype=numtorch.float64)
    y = F.dropout(x, p).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - p))          # scaling is exact
    n = kept.size
    assert abs((1 - kept.mean()) - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_dropout_modes_and_gradient():
    m = nn.Dropout(0.4)
    x = numtorch.randn(50, 40, requires_grad=True)
    y = m(x)
    y.sum().backward()
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), mask / 0.6, rtol=1e-6)
    m.eval()
    assert m(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    z = F.dropout(numtorch.ones(3, 3), 1.0)
    assert float(z.abs().sum()) == 0.0
    t = numtorch.ones(10)
    out = F.dropout(t, 0.5, inplace=True)
    assert out is t


@pytest.mark.parametrize("lib_nn,lib", [(nn, numtorch), (tnn, torch)])
def test_dropout_errors(lib_nn, lib):
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            lib_nn.Dropout(bad)
        with pytest.raises(ValueError):
            lib_nn.functional.dropout(lib.ones(2), bad)
    with pytest.raises(RuntimeError):
        lib_nn.functional.dropout1d(lib.ones(2, 3, 4, 5))


def test_channel_dropout_shares_mask():
    numtorch.manual_seed(1)
    y = F.dropout2d(numtorch.ones(8, 16, 3, 4), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()   # whole channels
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.0 in y and 2.0 in y
    y1 = F.dropout1d(numtorch.ones(6, 20, 7), 0.5).numpy()
    assert (y1.min(-1) == y1.max(-1)).all()
    y0 = F.dropout1d(numtorch.ones(20, 7), 0.5).numpy()   # unbatched (C, L)
    assert (y0.min(-1) == y0.max(-1)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Dropout2d()(numtorch.ones(2, 3, 4, 4))
    with pytest.warns(UserWarning):
        y3 = F.dropout2d(numtorch.ones(4, 30, 5), 0.5).numpy()
    assert (y3.min(-1) == y3.max(-1)).all()     # 3-d input: (N, C, L) channels, as PyTorch
    y5 = F.dropout3d(numtorch.ones(4, 10, 2, 3, 2), 0.5).numpy().reshape(4, 10, -1)
    assert (y5.min(-1) == y5.max(-1)).all()
    y4 = F.dropout3d(numtorch.ones(30, 2, 3, 2), 0.5).numpy().reshape(30, -1)   # unbatched
    assert (y4.min(-1) == y4.max(-1)).all() and 0.0 in y4 and 2.0 in y4
    m = nn.Dropout1d(0.5).eval()
    x = numtorch.ones(2, 3, 4)
    assert m(x) is x


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_double_backward(shape, bias):
    """d/dW of <dL/dx, v> (a second-order gradient) against PyTorch's, in float64."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(shape), rng.standard_normal((5, 4)), rng.standard_normal(5)]
    v = rng.standard_normal(shape)
    out = {}
    for lib, fn in ((numtorch, F.linear), (torch, tnn.functional.linear)):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        y = fn(x, w, b if bias else None)
        gx, = lib.autograd.grad((y ** 2).sum(), x, create_graph=True)
        (gx * lib.tensor(v)).sum().backward()
        out[lib] = [np.array(t.grad.numpy()) for t in ((x, w, b) if bias else (x, w))]
    for a, b in zip(out[numtorch], out[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_linear_grad_fn_and_dtype_error():
    m, t = nn.Linear(4, 3), tnn.Linear(4, 3)
    assert m(numtorch.ones(2, 4)).grad_fn.name() == t(torch.ones(2, 4)).grad_fn.name()
    with pytest.raises(RuntimeError):
        m(numtorch.ones(2, 4, dtype=numtorch.float64))
    with pytest.raises(RuntimeError):
        t(torch.ones(2, 4, dtype=torch.float64))


def test_bilinear_finite_differences():
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) for s in ((3, 2), (3, 4), (5, 2, 4), (5,))]
    args = [numtorch.tensor(a, requires_grad=True) for a in arrays]
    F.bilinear(*args).sum().backward()
    eps = 1e-6
    for k, a in enumerate(arrays):
        numeric = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            hi, lo = [x.copy() for x in arrays], [x.copy() for x in arrays]
            hi[k][idx] += eps
            lo[k][idx] -= eps
            f = lambda xs: float(F.bilinear(*[numtorch.tensor(x) for x in xs]).sum())
            numeric[idx] = (f(hi) - f(lo)) / (2 * eps)
        np.testing.assert_allclose(args[k].grad.numpy(), numeric, rtol=1e-6, atol=1e-6)
