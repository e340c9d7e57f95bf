"""numtorch.autograd.functional against torch.autograd.functional on the same inputs."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import numtorch
import numtorch.autograd.functional as AF
from conftest import require_torch

torch = require_torch()
TF = torch.autograd.functional


def pair(*shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return numtorch.tensor(a), torch.tensor(a)


def close(ours, theirs, atol=1e-10):
    # NOTE: torch's forward-mode jacobian gives a list for a tuple of inputs and one output;
    # numtorch gives a tuple there too, as in every other case
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            close(a, b, atol)
        return
    assert isinstance(ours, numtorch.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-7)


def f1(t):  # one tensor in, one out
    return lambda x: (x.exp() * x.sum()).sin()


def f2(t):  # two in, two out
    return lambda x, y: (x * y.sum(), (x @ y).tanh() + y[0])


def f3(t):  # scalar function of two inputs
    return lambda x, y: (x ** 3).sum() * y.sin().sum() + (x * y).sum()


@pytest.mark.parametrize("vectorize,strategy", [(False, "reverse-mode"),
                                                (True, "reverse-mode"), (True, "forward-mode")])
def test_jacobian_structures(vectorize, strategy):
    x, tx = pair(3)
    y, ty = pair(3, seed=1)
    close(AF.jacobian(f1(numtorch), x, vectorize=vectorize, strategy=strategy),
          TF.jacobian(f1(torch), tx, vectorize=vectorize, strategy=strategy))
    close(AF.jacobian(f1(numtorch), (x,), vectorize=vectorize, strategy=strategy),
          TF.jacobian(f1(torch), (tx,), vectorize=vectorize, strategy=strategy))
    close(AF.jacobian(f2(numtorch), (x, y), vectorize=vectorize, strategy=strategy),
          TF.jacobian(f2(torch), (tx, ty), vectorize=vectorize, strategy=strategy))
    close(AF.jacobian(lambda x: (x.sum(), x * 2), x, vectorize=vectorize, strategy=strategy),
          TF.jacobian(lambda x: (x.sum(), x * 2), tx, vectorize=vectorize, strategy=strategy))
    # a matrix input and output: shape out.shape + in.shape
    m, tm = pair(2, 3)
    close(AF.jacobian(lambda a: a.t() @ a, m, vectorize=vectorize, strategy=strategy),
          TF.jacobian(lambda a: a.t() @ a, tm, vectorize=vectorize, strategy=strategy))


def test_jacobian_independent_and_create_graph():
    x, tx = pair(3)
    y, ty = pair(2)
    close(AF.jacobian(lambda a, b: a * 2, (x, y)), TF.jacobian(lambda a, b: a * 2, (tx, ty)))
    j = AF.jacobian(lambda a: a ** 2, x)
    assert not j.requires_grad
    xr = x.clone().requires_grad_()
    txr = tx.clone().requires_grad_()
    j = AF.jacobian(lambda a: a ** 3, xr, create_graph=True)
    tj = TF.jacobian(lambda a: a ** 3, txr, create_graph=True)
    assert j.requires_grad
    (g,) = numtorch.autograd.grad(j.sum(), xr)
    (tg,) = torch.autograd.grad(tj.sum(), txr)
    close(g, tg)


def test_hessian():
    x, tx = pair(3)
    y, ty = pair(3, seed=1)
    close(AF.hessian(lambda a: (a ** 3).sum() * a.prod(), x),
          TF.hessian(lambda a: (a ** 3).sum() * a.prod(), tx))
    close(AF.hessian(f3(numtorch), (x, y)), TF.hessian(f3(torch), (tx, ty)))
    close(AF.hessian(lambda a: (a ** 3).sum(), (x,)), TF.hessian(lambda a: (a ** 3).sum(), (tx,)))
    close(AF.hessian(lambda a: (a ** 3).sum(), x, vectorize=True),
          TF.hessian(lambda a: (a ** 3).sum(), tx, vectorize=True))


def test_vjp_jvp():
    x, tx = pair(3)
    y, ty = pair(3, seed=1)
    v, tv = pair(3, seed=2)
    close(AF.vjp(f1(numtorch), x, v), TF.vjp(f1(torch), tx, tv))
    close(AF.jvp(f1(numtorch), x, v), TF.jvp(f1(torch), tx, tv))
    u, tu = pair(3, seed=3)
    s0, ts0 = pair(seed=4)  # the second output of f2 is a scalar
    close(AF.vjp(f2(numtorch), (x, y), (v, s0)), TF.vjp(f2(torch), (tx, ty), (tv, ts0)))
    close(AF.jvp(f2(numtorch), (x, y), (v, u)), TF.jvp(f2(torch), (tx, ty), (tv, tu)))
    # v may be left out for a single-element output (vjp) / input (jvp)
    close(AF.vjp(lambda a: a.sum(), x), TF.vjp(lambda a: a.sum(), tx))
    s, ts = pair(1)
    close(AF.jvp(lambda a: a * 3, s), TF.jvp(lambda a: a * 3, ts))
    # an output independent of an input: zeros
    close(AF.vjp(lambda a, b: a * 2, (x, y), v), TF.vjp(lambda a, b: a * 2, (tx, ty), tv))


def test_hvp_vhp():
    x, tx = pair(3)
    y, ty = pair(3, seed=1)
    v, tv = pair(3, seed=2)
    u, tu = pair(3, seed=3)
    fn = lambda a: (a ** 3).sum() * a.sum()  # noqa: E731
    close(AF.hvp(fn, x, v), TF.hvp(fn, tx, tv))
    close(AF.vhp(fn, x, v), TF.vhp(fn, tx, tv))
    close(AF.hvp(f3(numtorch), (x, y), (v, u)), TF.hvp(f3(torch), (tx, ty), (tv, tu)))
    close(AF.vhp(f3(numtorch), (x, y), (v, u)), TF.vhp(f3(torch), (tx, ty), (tv, tu)))
    for F, t, tv_ in ((AF, x, v), (TF, tx, tv)):  # as torch: the results keep a graph
        out, h = F.hvp(fn, t, tv_, create_graph=True)
        assert h.requires_grad and out.requires_grad
    xr = x.clone().requires_grad_()
    out, h = AF.vhp(fn, xr, v, create_graph=True)
    assert h.requires_grad and out.requires_grad


def errors(fn_ours, fn_theirs):
    with pytest.raises(Exception) as theirs:
        fn_theirs()
    with pytest.raises(type(theirs.value)):
        fn_ours()


def test_errors_match_torch():
    x, tx = pair(3)
    cases = [
        lambda F, t: F.jacobian(lambda a: a * 2, t, strict=True, vectorize=True),
        lambda F, t: F.jacobian(lambda a: a * 2, t, strategy="forward-mode"),
        # strict: an output that does not require grad, an input that is unused
        lambda F, t: F.jacobian(lambda a: a.detach() + 1, t, strict=True),
        lambda F, t: F.jacobian(lambda a, b: a * 2, (t, t), strict=True),
        lambda F, t: F.vjp(lambda a: (a * 0).sum().detach(), t, strict=True),
        lambda F, t: F.hvp(lambda a: (a * 2).sum(), t, t, strict=True),
        lambda F, t: F.vhp(lambda a: (a * 2).sum(), t, t, strict=True),
        # wrong types of inputs and outputs
        lambda F, t: F.jacobian(lambda a: 3, t),
        lambda F, t: F.jacobian(lambda a: [a], t),
        lambda F, t: F.jacobian(lambda a: a, [t]),
        lambda F, t: F.jacobian(lambda a: a, 3),
        # hessian/hvp need a single-element output; v needed / of the wrong size
        lambda F, t: F.hessian(lambda a: a, t),
        lambda F, t: F.hessian(lambda a: (a.sum(),), t),
        lambda F, t: F.hvp(lambda a: a, t, t),
        lambda F, t: F.vjp(lambda a: a * 2, t),
        lambda F, t: F.vjp(lambda a: a * 2, t, t[:2]),
        lambda F, t: F.jvp(lambda a: a * 2, t),
        lambda F, t: F.jvp(lambda a: a * 2, t, t[:2]),
    ]
    for case in cases:
        errors(functools.partial(case, AF, x), functools.partial(case, TF, tx))


def test_strict_non_strict_linear():
    x, tx = pair(3)
    v, tv = pair(3, seed=2)
    # not strict: a linear function's Hessian products are zeros
    close(AF.hvp(lambda a: (a * 2).sum(), x, v), TF.hvp(lambda a: (a * 2).sum(), tx, tv))
    close(AF.vhp(lambda a: (a * 2).sum(), x, v), TF.vhp(lambda a: (a * 2).sum(), tx, tv))
    close(AF.hessian(lambda a: (a * 2).sum(), x), TF.hessian(lambda a: (a * 2).sum(), tx))


def test_grad_is_grads_batched():
    x, tx = pair(3)
    x.requires_grad_()
    tx.requires_grad_()
    y, ty = x.sin() * x.sum(), tx.sin() * tx.sum()
    v, tv = pair(4, 3, seed=5)
    ours = numtorch.autograd.grad(y, x, v, is_grads_batched=True)
    theirs = torch.autograd.grad(ty, tx, tv, is_grads_batched=True)
    close(ours, theirs)
