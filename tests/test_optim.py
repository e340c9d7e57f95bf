"""numtorch.optim against PyTorch: every optimizer's parameters over several steps (float32
and float64), parameter groups, zero_grad, closures, hooks, state_dict layout and round trips,
and the errors for bad hyperparameters."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import numtorch
from conftest import require_torch
from numtorch import optim

torch = require_torch()

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, eps=1e-3)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.7, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def _initial(dtype: str):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (3,), (5,)]]


def _loss(lib, params, x):
    w, b, v = params
    h = (x @ w.t() + b).tanh()
    return (h * h).sum() + (v.sin() * v).sum() + (v * v * v).mean() * 0.1


def _make(lib, arrays):
    return [lib.nn.Parameter(lib.tensor(a.copy())) for a in arrays]


def _run(lib, name, kwargs, arrays, steps=10, groups=False):
    params = _make(lib, arrays)
    x = lib.tensor(np.linspace(-1, 1, 8 * 4).reshape(8, 4).astype(arrays[0].dtype))
    spec = params
    if groups:
        spec = [{"params": params[:2]}, {"params": params[2:], "lr": 0.003}]
    opt = getattr(lib.optim, name)(spec, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, params, x).backward()
        opt.step()
    return params, opt


def _compare(ours, theirs, dtype):
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                    enumerate(CASES)])
def test_matches_torch(name, kwargs, dtype):
    arrays = _initial(dtype)
    ours, opt = _run(numtorch, name, kwargs, arrays)
    theirs, topt = _run(torch, name, kwargs, arrays)
    _compare(ours, theirs, dtype)
    # the state has PyTorch's entries, shapes and (for 'step') scalar dtype
    for p, tp in zip(ours, theirs):
        state, tstate = opt.state[p], topt.state[tp]
        assert list(state) == list(tstate)
        for key, value in tstate.items():
            assert tuple(state[key].shape) == tuple(value.shape)
            assert str(state[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1]
            np.testing.assert_allclose(state[key].numpy(), value.numpy(), **TOL[dtype])


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.01, weight_decay=0.1)),
                                         ("RMSprop", dict(momentum=0.3))])
def test_param_groups_match_torch(name, kwargs):
    arrays = _initial("float64")
    ours, opt = _run(numtorch, name, kwargs, arrays, groups=True)
    theirs, topt = _run(torch, name, kwargs, arrays, groups=True)
    _compare(ours, theirs, "float64")
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]


def _lbfgs(lib, dtype, **kwargs):
    target = np.array([1.0, -2.0, 0.5, 3.0], dtype=dtype)
    p = lib.nn.Parameter(lib.tensor(np.zeros(4, dtype=dtype)))
    q = lib.nn.Parameter(lib.tensor(np.full((2,), 0.5, dtype=dtype)))
    t = lib.tensor(target)
    opt = lib.optim.LBFGS([p, q], **kwargs)
    losses = []

    def closure():
        opt.zero_grad()
        # a Rosenbrock-like valley plus a quadratic: curved enough to need several iterations
        loss = ((p - t) ** 2).sum() + ((q[1] - q[0] ** 2) ** 2) * 10 + (1 - q[0]) ** 2
        loss.backward()
        return loss

    for _ in range(3):
        losses.append(opt.step(closure).item())
    return [p, q], losses, opt


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.5, max_iter=7, history_size=3),
                                    dict(line_search_fn="strong_wolfe"),
                                    dict(max_iter=5, history_size=2,
                                         line_search_fn="strong_wolfe")])
def test_lbfgs_matches_torch(kwargs, dtype):
    ours, losses, opt = _lbfgs(numtorch, dtype, **kwargs)
    theirs, tlosses, topt = _lbfgs(torch, dtype, **kwargs)
    tol = dict(rtol=1e-3, atol=1e-4) if dtype == "float32" else TOL[dtype]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)
    np.testing.assert_allclose(losses, tlosses, **tol)
    state, tstate = opt.state[ours[0]], topt.state[theirs[0]]
    assert state["func_evals"] == tstate["func_evals"]
    assert state["n_iter"] == tstate["n_iter"]


def test_lbfgs_errors():
    p = numtorch.nn.Parameter(numtorch.zeros(2))
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [p]}, {"params": [numtorch.nn.Parameter(numtorch.ones(1))]}])
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        optim.LBFGS([p], line_search_fn="armijo").step(lambda: (p * p).sum())


def test_updates_in_place_and_skip_params_without_grad():
    w = numtorch.nn.Parameter(numtorch.ones(4))
    frozen = numtorch.nn.Parameter(numtorch.ones(2))
    view = w[1:3]
    version = w._version
    opt = optim.Adam([w, frozen], lr=0.1)
    (w * 2).sum().backward()
    opt.step()
    assert w._version > version
    np.testing.assert_allclose(view.detach().numpy(), w.detach().numpy()[1:3])
    assert frozen not in opt.state and w in opt.state
    np.testing.assert_array_equal(frozen.detach().numpy(), np.ones(2, np.float32))
    assert not w.grad.requires_grad


def test_zero_grad():
    w = numtorch.nn.Parameter(numtorch.ones(3))
    opt = optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(3, np.float32))
    opt.zero_grad()
    assert w.grad is None


def test_closure_and_hooks():
    w = numtorch.nn.Parameter(numtorch.tensor([1.0, 2.0]))
    opt = optim.SGD([w], lr=0.5)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append("pre"))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append("post"))

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append("closure")
        return loss

    with numtorch.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])
    assert calls == ["pre", "closure", "post"]
    pre.remove()
    opt.step(closure)
    assert calls[3:] == ["closure", "post"]


def _adam_pair(lib):
    arrays = _initial("float32")
    params = _make(lib, arrays)
    opt = lib.optim.Adam([{"params": params[:2], "lr": 0.01},
                          {"params": params[2:], "amsgrad": True}], lr=0.02)
    x = lib.tensor(np.ones((2, 4), np.float32))
    for _ in range(3):
        opt.zero_grad()
        _loss(lib, params, x).backward()
        opt.step()
    return params, opt, x


def test_state_dict_layout_matches_torch():
    _, opt, _ = _adam_pair(numtorch)
    _, topt, _ = _adam_pair(torch)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert list(sd) == list(tsd) == ["state", "param_groups"]
    assert sd["param_groups"] == tsd["param_groups"]
    assert list(sd["state"]) == list(tsd["state"]) == [0, 1, 2]
    for i in sd["state"]:
        assert list(sd["state"][i]) == list(tsd["state"][i])
        for key, value in tsd["state"][i].items():
            np.testing.assert_allclose(sd["state"][i][key].numpy(), value.numpy(), rtol=1e-5,
                                       atol=1e-7)


def test_state_dict_round_trip():
    params, opt, x = _adam_pair(numtorch)
    # a deep copy: like PyTorch's, load_state_dict shares same-dtype state tensors
    saved = copy.deepcopy(opt.state_dict())
    params2 = _make(numtorch, [p.detach().numpy() for p in params])
    opt2 = optim.Adam([{"params": params2[:2]}, {"params": params2[2:]}], lr=0.5)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[1]["amsgrad"] is True
    assert opt2.param_groups[0]["params"][0] is params2[0]
    for ps, o in ((params, opt), (params2, opt2)):
        o.zero_grad()
        _loss(numtorch, ps, x).backward()
        o.step()
    for a, b in zip(params, params2):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
    # float64 parameters get their floating-point state cast to float64, 'step' kept as is
    p64 = [numtorch.nn.Parameter(p.detach().double()) for p in params]
    opt3 = optim.Adam([{"params": p64[:2]}, {"params": p64[2:]}])
    opt3.load_state_dict(opt.state_dict())
    state = opt3.state[p64[0]]
    assert state["exp_avg"].dtype == numtorch.float64
    assert state["step"].dtype == numtorch.float32


def test_load_state_dict_errors():
    w = numtorch.nn.Parameter(numtorch.ones(2))
    opt = optim.SGD([w], lr=0.1)
    other = optim.SGD([{"params": [w]}, {"params": [numtorch.nn.Parameter(numtorch.ones(1))]}])
    with pytest.raises(ValueError, match="number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    two = optim.SGD([numtorch.nn.Parameter(numtorch.ones(1)), w], lr=0.1)
    with pytest.raises(ValueError, match="size of optimizer's group"):
        opt.load_state_dict(two.state_dict())


def test_param_group_api_and_repr():
    a, b = (numtorch.nn.Parameter(numtorch.ones(2)) for _ in range(2))
    ta, tb = (torch.nn.Parameter(torch.ones(2)) for _ in range(2))
    opt, topt = optim.SGD([a], lr=0.1, momentum=0.9), torch.optim.SGD([ta], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.5})
    topt.add_param_group({"params": tb, "lr": 0.5})
    assert repr(opt) == repr(topt)
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == \
        [{k: v for k, v in g.items() if k != "params"} for g in topt.param_groups]
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="more than one parameter group"):
        topt.add_param_group({"params": [ta]})
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {a, b}}], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(a, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate"):
        optim.SGD([b, b], lr=0.1)


BAD = [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)),
    ("AdamW", dict(betas=(0.9, 1.5))), ("RMSprop", dict(alpha=-1)),
    ("RMSprop", dict(momentum=-1)), ("RMSprop", dict(eps=-1)), ("Adagrad", dict(lr_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adadelta", dict(rho=1.5)),
    ("Adadelta", dict(lr=-1)), ("Adamax", dict(betas=(-0.1, 0.9))),
    ("NAdam", dict(momentum_decay=-1)), ("RAdam", dict(eps=-1)), ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)])
def test_bad_hyperparameters_match_torch(name, kwargs):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **kwargs)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([numtorch.nn.Parameter(numtorch.ones(1))], **kwargs)
    if "Invalid" in str(theirs.value):
        assert str(ours.value) == str(theirs.value)


def test_named_parameters_match_torch():
    results = []
    for lib in (numtorch, torch):
        a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(1))
        opt = lib.optim.SGD([("w", a), ("b", b)], lr=0.1)
        with pytest.raises(ValueError, match="with/without names") as error:
            opt.add_param_group({"params": [lib.nn.Parameter(lib.ones(1))]})
        results.append((opt.state_dict()["param_groups"], str(error.value)))
    assert results[0] == results[1]
