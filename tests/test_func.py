"""numtorch.func transforms (grad, vjp, jvp, linearize, jacrev, jacfwd, hessian,
functional_call, stack_module_state) against torch.func on the same inputs."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
import numtorch.func as NF
from conftest import require_torch
from numtorch.func import _forward

torch = require_torch()
TF = torch.func


def pair(*shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return numtorch.tensor(a), torch.tensor(a)


def close(ours, theirs, atol=1e-10):
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            close(a, b, atol)
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            close(ours[k], theirs[k], atol)
        return
    assert isinstance(ours, numtorch.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-7)


def f_scalar(x, y):
    return (x.sin() * y).sum() + (x ** 3).sum() * y.mean()


def test_grad_argnums_and_aux():
    x, tx = pair(3)
    y, ty = pair(3, seed=1)
    for argnums in (0, 1, -1, (0, 1), (1,)):
        close(NF.grad(f_scalar, argnums=argnums)(x, y), TF.grad(f_scalar, argnums=argnums)(tx, ty))
    close(NF.grad_and_value(f_scalar)(x, y), TF.grad_and_value(f_scalar)(tx, ty))

    def with_aux(x, y):
        return f_scalar(x, y), {"double": x * 2}
    close(NF.grad(with_aux, has_aux=True)(x, y), TF.grad(with_aux, has_aux=True)(tx, ty))
    close(NF.grad_and_value(with_aux, has_aux=True)(x, y),
          TF.grad_and_value(with_aux, has_aux=True)(tx, ty))
    g = NF.grad(f_scalar)(x, y)
    assert not g.requires_grad


def test_grad_pytrees():
    x, tx = pair(3)
    y, ty = pair(2, 3, seed=1)

    def f(d):
        return (d["a"] * d["b"][0][1]).sum() + d["b"][1].exp().sum()
    ours = NF.grad(f)({"a": x, "b": [(x, y[0]), y[1]]})
    theirs = TF.grad(f)({"a": tx, "b": [(tx, ty[0]), ty[1]]})
    close(ours, theirs)
    close(NF.jacrev(lambda d: {"s": d["a"].sin(), "p": d["a"] * d["c"]})({"a": x, "c": y[0]}),
          TF.jacrev(lambda d: {"s": d["a"].sin(), "p": d["a"] * d["c"]})({"a": tx, "c": ty[0]}))


def test_nested_grad_and_closures():
    x, tx = pair()
    close(NF.grad(NF.grad(numtorch.sin))(x), TF.grad(TF.grad(torch.sin))(tx))
    close(NF.grad(NF.grad(NF.grad(lambda a: a ** 4)))(x),
          TF.grad(TF.grad(TF.grad(lambda a: a ** 4)))(tx))
    # a captured tensor that requires grad stays differentiable (as torch.func keeps it)
    w, tw = pair(3, seed=2)
    v, tv = pair(3, seed=3)
    w.requires_grad_()
    tw.requires_grad_()
    g = NF.grad(lambda a: (a * w).sin().sum())(v)
    tg = TF.grad(lambda a: (a * tw).sin().sum())(tv)
    assert g.requires_grad and tg.requires_grad
    close(numtorch.autograd.grad(g.sum(), w), torch.autograd.grad(tg.sum(), tw))
    # an input that requires grad: the value keeps its graph, as in torch
    xr = v.clone().requires_grad_()
    txr = tv.clone().requires_grad_()
    g, val = NF.grad_and_value(lambda a: (a ** 2).sum())(xr)
    tg, tval = TF.grad_and_value(lambda a: (a ** 2).sum())(txr)
    assert (g.requires_grad, val.requires_grad) == (tg.requires_grad, tval.requires_grad)


def test_vjp_and_errors():
    x, tx = pair(3)
    y, ty = pair(3, seed=1)
    ct, tct = pair(3, seed=2)

    def f(a, b):
        return a.sin() * b, (a * b).sum()
    out, fn = NF.vjp(f, x, y)
    tout, tfn = TF.vjp(f, tx, ty)
    close(out, tout)
    s, ts = pair(seed=3)
    close(fn((ct, s)), tfn((tct, ts)))
    close(fn((ct, s)), tfn((tct, ts)))  # the vjp_fn may be called again
    out, fn, aux = NF.vjp(lambda a: (a.exp(), a.sum()), x, has_aux=True)
    tout, tfn, taux = TF.vjp(lambda a: (a.exp(), a.sum()), tx, has_aux=True)
    close((out, aux), (tout, taux))
    close(fn(ct), tfn(tct))
    with pytest.raises(RuntimeError):
        NF.vjp(lambda a: a * 2, x)[1]((ct,))
    with pytest.raises(RuntimeError):
        NF.vjp(lambda a: a * 2, x)[1](ct[:2])
    with pytest.raises(RuntimeError):
        NF.vjp(lambda a: a * 2, x, has_aux=True)


@pytest.mark.parametrize("mode", ["auto", "reverse", "forward_ad"])
def test_jvp_linearize(mode, monkeypatch):
    if mode == "forward_ad":  # force numtorch.autograd.forward_ad for these pure-forward uses
        fwAD = pytest.importorskip("numtorch.autograd.forward_ad")
        monkeypatch.setattr(_forward, "_verdict", [fwAD])
    else:
        monkeypatch.setattr(_forward, "MODE", mode)
    x, tx = pair(3)
    y, ty = pair(3, seed=1)
    u, tu = pair(3, seed=2)
    v, tv = pair(3, seed=3)

    def f(a, b):
        return {"p": a.sin() * b, "s": (a * b).sum()}
    close(NF.jvp(f, (x, y), (u, v)), TF.jvp(f, (tx, ty), (tu, tv)))
    close(NF.jvp(lambda a: (a.exp(), a * 2), (x,), (u,), has_aux=True),
          TF.jvp(lambda a: (a.exp(), a * 2), (tx,), (tu,), has_aux=True))
    # an output that does not depend on the input: zero tangent
    close(NF.jvp(lambda a: numtorch.ones(2, dtype=numtorch.float64), (x,), (u,)),
          TF.jvp(lambda a: torch.ones(2, dtype=torch.float64), (tx,), (tu,)))
    out, fn = NF.linearize(lambda a: a.sin() * a, x)
    tout, tfn = TF.linearize(lambda a: a.sin() * a, tx)
    close(out, tout)
    close(fn(u), tfn(tu))
    close(fn(v), tfn(tv))
    for bad in (lambda F, a, t: F.jvp(lambda p: p, a, t),
                lambda F, a, t: F.jvp(lambda p: p, (a,), (t, t)),
                lambda F, a, t: F.jvp(lambda p: p, (a,), (t[:2],)),
                lambda F, a, t: F.jvp(lambda p: p, (a,), [t])):
        with pytest.raises(RuntimeError):
            bad(TF, tx, tu)
        with pytest.raises(RuntimeError):
            bad(NF, x, u)


@pytest.mark.parametrize("mode", ["auto", "reverse"])
def test_jacobians_and_hessian(mode, monkeypatch):
    monkeypatch.setattr(_forward, "MODE", mode)
    x, tx = pair(3)
    y, ty = pair(2, seed=1)

    def f(a, b):
        return (a[:2] * b).sin(), (a ** 2).sum() * b
    for jac in ("jacrev", "jacfwd"):
        ours, theirs = getattr(NF, jac), getattr(TF, jac)
        for argnums in (0, 1, (0, 1)):
            close(ours(f, argnums=argnums)(x, y), theirs(f, argnums=argnums)(tx, ty))
        close(ours(lambda a: (a.exp(), a.sum()), has_aux=True)(x),
              theirs(lambda a: (a.exp(), a.sum()), has_aux=True)(tx))
        m, tm = pair(2, 3, seed=2)
        close(ours(lambda a: a @ a.t())(m), theirs(lambda a: a @ a.t())(tm))
    g = lambda a, b: (a ** 3).sum() * b.sin().sum() + (a * b.sum()).prod()  # noqa: E731
    z, tz = pair(3, seed=4)
    close(NF.hessian(g)(x, z), TF.hessian(g)(tx, tz))
    close(NF.hessian(g, argnums=(0, 1))(x, z), TF.hessian(g, argnums=(0, 1))(tx, tz))
    close(NF.jacrev(NF.jacrev(g))(x, z), TF.jacrev(TF.jacrev(g))(tx, tz))
    close(NF.jacfwd(NF.jacfwd(g))(x, z), TF.jacfwd(TF.jacfwd(g))(tx, tz))
    for chunk in (1, 2):  # one backward pass per row, or per two rows
        close(NF.jacrev(f, chunk_size=chunk)(x, y), TF.jacrev(f, chunk_size=chunk)(tx, ty))


def test_argnums_errors():
    x, tx = pair(3)
    for F, t in ((NF, x), (TF, tx)):
        with pytest.raises(RuntimeError):
            F.grad(lambda a: a)(t)  # not a scalar
        with pytest.raises(RuntimeError):
            F.grad(lambda a: a.sum(), argnums=1)(t)
        with pytest.raises(RuntimeError):
            F.grad(lambda a: a.sum(), argnums=())(t)
        with pytest.raises(RuntimeError):
            F.grad(lambda a: (a.sum(), 1), has_aux=False)(t)
        with pytest.raises(RuntimeError):
            F.grad(lambda a: a.sum(), has_aux=True)(t)
        with pytest.raises(RuntimeError):
            F.jacrev(lambda a: a, argnums=2)(t)
        with pytest.raises(ValueError):
            F.grad(lambda a: a.sum())(3.0)


# ---- modules -------------------------------------------------------------------------------------
def _mlp(lib, seed=0):
    lib.manual_seed(seed)
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Tanh(),
                          lib.nn.Linear(4, 2))
    return m.double()


def _named(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def test_functional_call_params_and_buffers():
    m, tm = _mlp(numtorch), _mlp(torch)
    rng = np.random.default_rng(0)
    params = {k: rng.standard_normal(tuple(v.shape)) for k, v in tm.named_parameters()}
    buffers = {"1.running_mean": rng.standard_normal(4), "1.running_var": rng.random(4) + 0.5}
    x = rng.standard_normal((5, 3))
    m.eval()
    tm.eval()
    p = {k: numtorch.tensor(v) for k, v in params.items()}
    tp = {k: torch.tensor(v) for k, v in params.items()}
    b = {k: numtorch.tensor(v) for k, v in buffers.items()}
    tb = {k: torch.tensor(v) for k, v in buffers.items()}
    before = {k: (v, v.detach().clone()) for k, v in [*m.named_parameters(), *m.named_buffers()]}
    close(NF.functional_call(m, (p, b), (numtorch.tensor(x),)),
          TF.functional_call(tm, (tp, tb), (torch.tensor(x),)))
    close(NF.functional_call(m, {**p, **b}, numtorch.tensor(x)),
          TF.functional_call(tm, {**tp, **tb}, torch.tensor(x)))
    for k, v in [*m.named_parameters(), *m.named_buffers()]:  # the originals are back
        assert v is before[k][0] and np.array_equal(v.detach().numpy(), before[k][1].numpy())
    assert isinstance(m[0].weight, numtorch.nn.Parameter)
    # gradients flow to the given tensors, not to the module's parameters
    w = p["0.weight"].clone().requires_grad_()
    NF.functional_call(m, {**p, "0.weight": w}, (numtorch.tensor(x),)).sum().backward()
    tw = tp["0.weight"].clone().requires_grad_()
    TF.functional_call(tm, {**tp, "0.weight": tw}, (torch.tensor(x),)).sum().backward()
    close(w.grad, tw.grad)
    assert m[0].weight.grad is None
    # grad with respect to a dict of parameters
    def loss(lib, module):
        return lambda params, x: lib.func.functional_call(module, params, (x,)).pow(2).sum()
    close(NF.grad(loss(numtorch, m))(p, numtorch.tensor(x)),
          TF.grad(loss(torch, tm))(tp, torch.tensor(x)))


class _Tied:
    @staticmethod
    def make(lib):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(2, 2, bias=False)
                self.b = lib.nn.Linear(2, 2, bias=False)
                self.b.weight = self.a.weight

            def forward(self, x):
                return self.b(self.a(x))
        return Tied()


def test_functional_call_tied_and_strict():
    t, tt = _Tied.make(numtorch), _Tied.make(torch)
    x, tx = numtorch.ones(1, 2), torch.ones(1, 2)
    e, te = numtorch.eye(2) * 2, torch.eye(2) * 2
    close(NF.functional_call(t, {"a.weight": e}, (x,)), TF.functional_call(tt, {"a.weight": te},
                                                                          (tx,)))
    ours = NF.functional_call(t, {"a.weight": e}, (x,), tie_weights=False)
    assert ours.shape == (1, 2)  # b keeps its own (tied) weight
    cases = [
        (lambda F, mod, w: F.functional_call(mod, {"a.weight": w, "b.weight": w * 1}, (x,)),
         ValueError),
        (lambda F, mod, w: F.functional_call(mod, ({"a.weight": w}, {"a.weight": w}), (x,)),
         ValueError),
    ]
    for case, exc in cases:
        with pytest.raises(exc):
            case(TF, tt, te)
        with pytest.raises(exc):
            case(NF, t, e)
    lin, tlin = numtorch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="Missing key"):
        TF.functional_call(tlin, {"weight": torch.zeros(2, 2)}, (tx,), strict=True)
    with pytest.raises(RuntimeError, match="Missing key"):
        NF.functional_call(lin, {"weight": numtorch.zeros(2, 2)}, (x,), strict=True)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        NF.functional_call(lin, {"weight": numtorch.zeros(2, 2), "bias": numtorch.zeros(2),
                                 "extra": numtorch.ones(1)}, (x,), strict=True)
    # not strict: an unknown name is set for the call and removed afterwards
    NF.functional_call(lin, {"extra": numtorch.ones(1)}, (x,))
    assert not hasattr(lin, "extra")


def test_stack_module_state():
    models = [_mlp(numtorch, seed=s) for s in range(3)]
    tmodels = [_mlp(torch, seed=s) for s in range(3)]
    for m, tm in zip(models, tmodels):  # same weights in both libraries
        for p, tp in zip(m.parameters(), tm.parameters()):
            p.data = numtorch.tensor(tp.detach().numpy())
    params, buffers = NF.stack_module_state(models)
    tparams, tbuffers = TF.stack_module_state(tmodels)
    close(params, {k: v for k, v in tparams.items()})
    close(buffers, {k: v for k, v in tbuffers.items()})
    assert all(p.requires_grad and p.is_leaf for p in params.values())
    with pytest.raises(RuntimeError):
        NF.stack_module_state([])
    other = _mlp(numtorch)
    other.eval()
    with pytest.raises(RuntimeError):
        NF.stack_module_state([models[0], other])


@pytest.mark.parametrize("transform", ["grad", "jvp", "jacfwd", "jacrev", "vmap", "vmap_jvp"])
def test_old_style_custom_function_is_refused_under_every_transform(transform):
    """A custom Function without setup_context (forward(ctx, ...)) works with plain autograd and
    forward_ad, but PyTorch refuses it under every functorch transform with a RuntimeError."""
    def make(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

            @staticmethod
            def jvp(ctx, t):
                return t * 2
        return Double

    def run(lib):
        F, fn = lib.func, make(lib).apply
        x = lib.arange(3.0)
        return {
            "grad": lambda: F.grad(lambda a: fn(a).sum())(x),
            "jvp": lambda: F.jvp(fn, (x,), (lib.ones(3),)),
            "jacfwd": lambda: F.jacfwd(fn)(x),
            "jacrev": lambda: F.jacrev(fn)(x),
            "vmap": lambda: F.vmap(fn)(x),
            "vmap_jvp": lambda: F.vmap(lambda a: F.jvp(fn, (a,), (lib.ones(()),)))(x),
        }[transform]()
    with pytest.raises(RuntimeError, match="setup_context"):
        run(torch)
    with pytest.raises(RuntimeError, match="setup_context"):
        run(numtorch)
    # outside the transforms the same class works, forward mode included
    fw = numtorch.autograd.forward_ad
    with fw.dual_level():
        d = fw.make_dual(numtorch.arange(3.0), numtorch.ones(3))
        assert fw.unpack_dual(make(numtorch).apply(d)).tangent.tolist() == [2.0, 2.0, 2.0]


def test_jvp_uses_forward_ad_and_falls_back_only_when_nested():
    """The self-check that picks forward_ad must pass (else every jvp silently takes the slower
    double-backward path); inside an active dual level, jvp runs by double backward."""
    fw = _forward.forward_ad_module()
    assert fw is numtorch.autograd.forward_ad
    with fw.dual_level():
        assert _forward.forward_ad_module() is None
        assert _forward.forward_ad_module(nested=True) is fw
    x, tx = pair(3)
    g = lambda a: (a.sin() ** 2).sum()  # noqa: E731
    close(NF.jacfwd(NF.jacfwd(g))(x), TF.jacfwd(TF.jacfwd(g))(tx))
