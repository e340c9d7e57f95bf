"""nn.Module against PyTorch: registration, naming order, state dicts, hooks, modes, reprs."""
from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import numtorch
import numtorch.nn as nn
from conftest import require_torch

torch = require_torch()
tnn = torch.nn


def _same_repr(ours, theirs) -> None:
    assert repr(ours).replace("numtorch.", "torch.") == repr(theirs)


def _to_torch(t):
    return torch.from_numpy(np.array(t.detach().numpy()))


def _copy_weights(ours, theirs) -> None:
    """Load torch's state dict into ours (keys must match)."""
    ours.load_state_dict({k: numtorch.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def _make_net(nn_, lib):
    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn_.Linear(4, 8)
            self.register_buffer("steps", lib.zeros(3))
            self.register_buffer("scratch", lib.ones(2), persistent=False)
            self.block = nn_.Sequential(nn_.Linear(8, 8), nn_.Tanh(), nn_.Linear(8, 3))
            self.scale = nn_.Parameter(lib.ones(3))
            self.heads = nn_.ModuleList([nn_.Linear(3, 2), nn_.Linear(3, 2), nn_.ReLU()])
            self.extra = nn_.ModuleDict({"b": nn_.ReLU(), "a": nn_.Linear(3, 3)})
            self.plist = nn_.ParameterList([nn_.Parameter(lib.ones(2)),
                                            nn_.Parameter(lib.ones(2, 2))])
            self.pdict = nn_.ParameterDict({"z": nn_.Parameter(lib.ones(1)),
                                            "y": nn_.Parameter(lib.ones(3))})
            self.shared = self.fc1
            self.nothing = None

        def forward(self, x):
            h = self.block(self.shared(x).relu()) * self.scale
            h = self.extra["a"](self.extra["b"](h))
            return self.heads[0](h) + self.heads[1](h) + self.plist[0] * self.pdict["z"]

    return Net()


@pytest.fixture
def nets():
    ours, theirs = _make_net(nn, numtorch), _make_net(tnn, torch)
    _copy_weights(ours, theirs)
    return ours, theirs


def test_names_and_order(nets):
    ours, theirs = nets
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ([n for n, _ in ours.named_parameters(remove_duplicate=False)]
            == [n for n, _ in theirs.named_parameters(remove_duplicate=False)])
    assert ([n for n, _ in ours.named_parameters(prefix="m", recurse=False)]
            == [n for n, _ in theirs.named_parameters(prefix="m", recurse=False)])
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert ([n for n, _ in ours.named_modules(prefix="p", remove_duplicate=False)]
            == [n for n, _ in theirs.named_modules(prefix="p", remove_duplicate=False)])
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert len(list(ours.children())) == len(list(theirs.children()))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict(prefix="x.")) == list(theirs.state_dict(prefix="x."))
    assert isinstance(ours.state_dict(), OrderedDict)


def test_repr_matches(nets):
    _same_repr(*nets)
    _same_repr(nn.Module(), tnn.Module())
    _same_repr(nn.ModuleList(), tnn.ModuleList())
    _same_repr(nn.Sequential(), tnn.Sequential())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_gradients(nets, dtype):
    ours, theirs = nets
    ours.to(getattr(numtorch, dtype))
    theirs.to(getattr(torch, dtype))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(dtype)
    xo = numtorch.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yo, yt = ours(xo), theirs(xt)
    assert yo.dtype is getattr(numtorch, dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    (yo ** 2).sum().backward()
    (yt ** 2).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    for (no, po), (nt, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert no == nt
        if pt.grad is None:  # parameters the forward leaves unused
            assert po.grad is None, no
            continue
        np.testing.assert_allclose(po.grad.numpy(), pt.grad.numpy(), rtol=tol * 10,
                                   atol=tol * 10, err_msg=no)


def test_state_dict_values_and_keep_vars(nets):
    ours, theirs = nets
    sd = ours.state_dict()
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(sd[k].numpy(), v.numpy())
        assert not sd[k].requires_grad
    assert ours.state_dict(keep_vars=True)["fc1.weight"] is ours.fc1.weight
    assert "scratch" not in sd


def _load_error(module, sd, **kw):
    with pytest.raises(RuntimeError) as info:
        module.load_state_dict(sd, **kw)
    return str(info.value).replace("numtorch.", "torch.")


def test_load_state_dict_errors_match():
    ours, theirs = nn.Sequential(nn.Linear(2, 3), nn.ReLU()), tnn.Sequential(tnn.Linear(2, 3),
                                                                          tnn.ReLU())
    sd_o = OrderedDict((k, v.clone()) for k, v in ours.state_dict().items())
    sd_t = OrderedDict((k, v.clone()) for k, v in theirs.state_dict().items())
    # missing and unexpected keys
    for d, lib in ((sd_o, numtorch), (sd_t, torch)):
        del d["0.bias"]
        d["1.weight"] = lib.zeros(1)
        d["extra"] = lib.zeros(1)
    assert _load_error(ours, sd_o) == _load_error(theirs, sd_t)
    ro, rt = ours.load_state_dict(sd_o, strict=False), theirs.load_state_dict(sd_t, strict=False)
    assert (ro.missing_keys, ro.unexpected_keys) == (rt.missing_keys, rt.unexpected_keys)
    assert repr(ours.load_state_dict(ours.state_dict())) == repr(
        theirs.load_state_dict(theirs.state_dict()))
    # size mismatch (raised even when not strict)
    bad_o, bad_t = {"0.weight": numtorch.zeros(4, 2)}, {"0.weight": torch.zeros(4, 2)}
    assert _load_error(ours, bad_o, strict=False) == _load_error(theirs, bad_t, strict=False)
    assert _load_error(ours, bad_o) == _load_error(theirs, bad_t)
    with pytest.raises(TypeError):
        ours.load_state_dict([1, 2])


def test_load_state_dict_copies_in_place():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": numtorch.ones(2, 2), "bias": numtorch.zeros(2)})
    assert m.weight is w and m.weight.requires_grad
    np.testing.assert_array_equal(w.detach().numpy(), np.ones((2, 2)))
    m.load_state_dict({"weight": numtorch.full((2, 2), 3.0), "bias": numtorch.zeros(2)},
                      assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter)
    assert float(m.weight.sum()) == 12.0


@pytest.mark.parametrize("lib_nn,lib", [(nn, numtorch), (tnn, torch)])
def test_registration_errors_same_types(lib_nn, lib):
    m = lib_nn.Linear(2, 2)
    with pytest.raises(TypeError):
        m.weight = lib.ones(2, 2)          # a plain tensor over a parameter
    with pytest.raises(TypeError):
        m.register_parameter("p", lib.ones(2))
    with pytest.raises(KeyError):
        m.register_buffer("a.b", lib.ones(2))
    with pytest.raises(KeyError):
        m.register_buffer("", lib.ones(2))
    with pytest.raises(KeyError):
        m.register_buffer("in_features", lib.ones(2))
    with pytest.raises(TypeError):
        m.register_buffer("b", 3)
    with pytest.raises(TypeError):
        m.add_module("c", 3)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = m.nope
    s = lib_nn.Sequential(lib_nn.ReLU())
    with pytest.raises(TypeError):
        s[0] = 3


def test_attribute_rules(nets):
    ours, theirs = nets
    for m in (ours, theirs):
        m.weight_like = m.fc1.weight          # a Parameter under a new name registers it
        m.fc1.bias = None                     # None is allowed over a parameter
        m.plain = 3
        m.register_buffer("steps", None)      # None buffers are skipped everywhere
        del m.scale
        m.block = None
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters(remove_duplicate=False)] == [
        n for n, _ in theirs.named_parameters(remove_duplicate=False)]
    assert ours.plain == 3 and "plain" not in ours._parameters
    keys = set(dir(ours))
    assert {"fc1", "heads", "steps", "forward", "state_dict", "plain"} <= keys
    with pytest.raises(AttributeError):
        _ = ours.scale
    # assigning a tensor to a registered buffer name replaces the buffer
    ours.register_buffer("buf", numtorch.zeros(2))
    ours.buf = numtorch.ones(3)
    assert ours.state_dict()["buf"].shape == (3,)
    # a module over a parameter name moves it to the modules
    ours.fc1.weight_mod = nn.ReLU()
    assert "weight_mod" in ours.fc1._modules


def test_non_leaf_parameter_rejected():
    m = nn.Module()
    with pytest.raises(ValueError):
        p = nn.Parameter(numtorch.ones(2))
        q = p * 2
        q.__class__ = nn.Parameter
        m.register_parameter("q", q)


def test_hooks_match(nets):
    ours, theirs = nets
    x = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    calls = {"ours": [], "theirs": []}
    handles = []
    for m, key in ((ours, "ours"), (theirs, "theirs")):
        log = calls[key]
        handles.append(m.fc1.register_forward_pre_hook(
            lambda mod, args, log=log: (log.append("pre"), args[0] * 2)[1]))
        handles.append(m.fc1.register_forward_hook(
            lambda mod, args, out, log=log: (log.append("post"), out + 1)[1]))
        handles.append(m.fc1.register_forward_hook(
            lambda mod, args, out, log=log: log.append("first"), prepend=True))
        handles.append(m.block.register_forward_pre_hook(
            lambda mod, args, kwargs, log=log: log.append(("kw", len(args), len(kwargs))),
            with_kwargs=True))
        handles.append(m.block.register_forward_hook(
            lambda mod, args, kwargs, out, log=log: out * 0.5, with_kwargs=True))
    yo, yt = ours(numtorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert calls["ours"] == calls["theirs"]
    for h in handles:
        h.remove()
    yo, yt = ours(numtorch.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert len(calls["ours"]) == len(calls["theirs"]) == 4


def test_hook_handle_context_manager():
    m = nn.Identity()
    seen = []
    with m.register_forward_hook(lambda mod, a, out: seen.append(out)):
        m(numtorch.ones(1))
    m(numtorch.ones(1))
    assert len(seen) == 1


def test_train_eval_and_apply(nets):
    ours, theirs = nets
    for m in (ours, theirs):
        m.eval()
    assert [x.training for x in ours.modules()] == [x.training for x in theirs.modules()]
    assert not any(x.training for x in ours.modules())
    assert ours.train() is ours and all(x.training for x in ours.modules())
    with pytest.raises(ValueError):
        ours.train("yes")
    names_o, names_t = [], []
    ours.apply(lambda m: names_o.append(type(m).__name__))
    theirs.apply(lambda m: names_t.append(type(m).__name__))
    assert names_o == names_t


def test_zero_grad_and_requires_grad(nets):
    ours, _ = nets
    ours(numtorch.ones(2, 4)).sum().backward()
    assert ours.fc1.weight.grad is not None
    ours.zero_grad(set_to_none=False)
    assert float(ours.fc1.weight.grad.abs().sum()) == 0.0
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    ours.requires_grad_(False)
    assert not any(p.requires_grad for p in ours.parameters())


def test_to_and_dtype_casts():
    m = nn.Linear(3, 2)
    m.register_buffer("count", numtorch.zeros(1, dtype=numtorch.int64))
    w = m.weight
    assert m.double() is m and m.weight is w and w.dtype is numtorch.float64
    assert m.count.dtype is numtorch.int64
    m.to(numtorch.float32)
    assert w.dtype is numtorch.float32 and m.weight.requires_grad
    m.half()
    assert w.dtype is numtorch.float16
    m.to("cpu").float()
    assert w.dtype is numtorch.float32
    with pytest.raises(TypeError):
        m.to(numtorch.int32)
    with pytest.raises(TypeError):
        tnn.Linear(3, 2).to(torch.int32)


def test_get_submodule_and_parameter(nets):
    ours, theirs = nets
    assert ours.get_submodule("block.2") is ours.block[2]
    assert ours.get_submodule("") is ours
    assert ours.get_parameter("block.0.bias") is ours.block[0].bias
    assert ours.get_buffer("steps") is ours.steps
    for m in (ours, theirs):
        with pytest.raises(AttributeError):
            m.get_submodule("block.9")
        with pytest.raises(AttributeError):
            m.get_parameter("block.0.nope")
        with pytest.raises(AttributeError):
            m.get_submodule("fc1.weight")


def test_deepcopy(nets):
    ours, _ = nets
    clone = copy.deepcopy(ours)
    assert list(clone.state_dict()) == list(ours.state_dict())
    assert clone.fc1.weight is not ours.fc1.weight
    assert clone.shared is clone.fc1  # sharing survives the copy
    assert isinstance(clone.fc1.weight, nn.Parameter)
    with numtorch.no_grad():
        clone.fc1.weight.fill_(0.0)
    assert float(ours.fc1.weight.abs().sum()) > 0


def test_missing_forward_and_init_errors():
    with pytest.raises(NotImplementedError):
        nn.Module()(1)
    with pytest.raises(TypeError):
        nn.Module(foo=1)

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(numtorch.ones(1))
    with pytest.raises(AttributeError):
        Early()


# ---- containers -----------------------------------------------------------------------------

def _seq_ops(nn_):
    s = nn_.Sequential(nn_.Linear(2, 3), nn_.ReLU(), nn_.Linear(3, 3))
    s.append(nn_.Tanh())
    s.insert(1, nn_.Sigmoid())
    s.extend([nn_.Identity(), nn_.ReLU6()])
    del s[0]
    s.pop(-1)
    s[1] = nn_.Softsign()
    return s


def test_sequential_ops_match():
    so, st = _seq_ops(nn), _seq_ops(tnn)
    _same_repr(so, st)
    assert len(so) == len(st)
    _same_repr(so[1:4], st[1:4])
    _same_repr(so[::-1], st[::-1])
    assert type(so[-1]).__name__ == type(st[-1]).__name__
    with pytest.raises(IndexError):
        so[10]
    od = nn.Sequential(OrderedDict([("a", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    odt = tnn.Sequential(OrderedDict([("a", tnn.Linear(2, 2)), ("act", tnn.ReLU())]))
    _same_repr(od, odt)
    assert list(od.state_dict()) == list(odt.state_dict())
    assert [type(m).__name__ for m in od] == ["Linear", "ReLU"]
    _same_repr(od + od, odt + odt)


def test_sequential_forward_matches():
    to = tnn.Sequential(tnn.Linear(3, 5), tnn.GELU(), tnn.Linear(5, 2), tnn.LogSoftmax(dim=1))
    so = nn.Sequential(nn.Linear(3, 5), nn.GELU(), nn.Linear(5, 2), nn.LogSoftmax(dim=1))
    _copy_weights(so, to)
    x = np.random.default_rng(2).standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(so(numtorch.tensor(x)).detach().numpy(),
                               to(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_module_list_and_dict():
    lo = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    lt = tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)] + [tnn.ReLU()])
    for m in (lo, lt):
        m.append(nn.ReLU() if m is lo else tnn.ReLU())
        m.insert(0, nn.Tanh() if m is lo else tnn.Tanh())
        m.extend([nn.ReLU()] if m is lo else [tnn.ReLU()])
        del m[1]
    _same_repr(lo, lt)
    assert list(lo.state_dict()) == list(lt.state_dict())
    _same_repr(lo[1:3], lt[1:3])
    assert len(lo) == len(lt)
    with pytest.raises(TypeError):
        lo.extend(3)
    do = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(1, 1)})
    dt = tnn.ModuleDict({"b": tnn.ReLU(), "a": tnn.Linear(1, 1)})
    do.update([("c", nn.Tanh())])
    dt.update([("c", tnn.Tanh())])
    _same_repr(do, dt)
    assert list(do) == list(dt) and list(do.keys()) == list(dt.keys())
    assert "a" in do and do.pop("a") is not None and "a" not in do
    with pytest.raises(ValueError):
        do.update([("x",)])


def test_parameter_list_and_dict():
    po = nn.ParameterList([nn.Parameter(numtorch.ones(2, 3)), numtorch.zeros(2)])
    pt = tnn.ParameterList([tnn.Parameter(torch.ones(2, 3)), torch.zeros(2)])
    _same_repr(po, pt)
    assert isinstance(po[1], nn.Parameter) and po[1].requires_grad
    po.append(nn.Parameter(numtorch.ones(1, dtype=numtorch.float64)))
    pt.append(tnn.Parameter(torch.ones(1, dtype=torch.float64)))
    _same_repr(po, pt)
    assert list(po.state_dict()) == list(pt.state_dict())
    assert len(po[1:]) == 2
    with pytest.raises(RuntimeError):
        po()
    # a plain dict goes in sorted order, an OrderedDict in its own
    do = nn.ParameterDict({"b": numtorch.ones(1), "a": numtorch.ones(2, 2)})
    dt = tnn.ParameterDict({"b": torch.ones(1), "a": torch.ones(2, 2)})
    _same_repr(do, dt)
    assert list(do.keys()) == list(dt.keys())
    oo = nn.ParameterDict(OrderedDict([("b", numtorch.ones(1)), ("a", numtorch.ones(1))]))
    ot = tnn.ParameterDict(OrderedDict([("b", torch.ones(1)), ("a", torch.ones(1))]))
    assert list(oo.state_dict()) == list(ot.state_dict())
    oo["c"] = numtorch.zeros(3)
    assert isinstance(oo["c"], nn.Parameter) and "c" in oo and len(oo) == 3
    del oo["b"]
    assert list(oo.keys()) == ["a", "c"]
    with pytest.raises(TypeError):
        oo[1] = numtorch.ones(1)
    _same_repr(nn.ParameterDict(), tnn.ParameterDict())


# ---- nn.utils -----------------------------------------------------------------------------

@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
def test_clip_grad_norm_matches(norm_type):
    rng = np.random.default_rng(3)
    grads = [rng.standard_normal(s) for s in ((3, 4), (4,), (2, 2))]
    po = [nn.Parameter(numtorch.zeros(*g.shape, dtype=numtorch.float64)) for g in grads]
    pt = [tnn.Parameter(torch.zeros(*g.shape, dtype=torch.float64)) for g in grads]
    for p, q, g in zip(po, pt, grads):
        p.grad = numtorch.tensor(g)
        q.grad = torch.tensor(g)
    no = nn.utils.clip_grad_norm_(po, 0.5, norm_type)
    nt = tnn.utils.clip_grad_norm_(pt, 0.5, norm_type)
    np.testing.assert_allclose(float(no), float(nt), rtol=1e-12)
    for p, q in zip(po, pt):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)
    p = nn.Parameter(numtorch.ones(2))
    p.grad = numtorch.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vectors():
    g = np.array([[-3.0, 0.2], [0.9, 5.0]])
    p, q = nn.Parameter(numtorch.zeros(2, 2)), tnn.Parameter(torch.zeros(2, 2))
    p.grad, q.grad = numtorch.tensor(g, dtype=numtorch.float32), torch.tensor(g).float()
    nn.utils.clip_grad_value_([p], 1.0)
    tnn.utils.clip_grad_value_([q], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    mo, mt = nn.Linear(3, 2), tnn.Linear(3, 2)
    _copy_weights(mo, mt)
    vo = nn.utils.parameters_to_vector(mo.parameters())
    vt = tnn.utils.parameters_to_vector(mt.parameters())
    np.testing.assert_array_equal(vo.detach().numpy(), vt.detach().numpy())
    nn.utils.vector_to_parameters(numtorch.arange(8.0), mo.parameters())
    tnn.utils.vector_to_parameters(torch.arange(8.0), mt.parameters())
    np.testing.assert_array_equal(mo.weight.detach().numpy(), mt.weight.detach().numpy())
    np.testing.assert_array_equal(mo.bias.detach().numpy(), mt.bias.detach().numpy())
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters([1.0], mo.parameters())


def _with_extra(nn_):
    class WithExtra(nn_.Linear):
        def __init__(self):
            super().__init__(2, 2)
            self.counter = 0

        def get_extra_state(self):
            return {"counter": self.counter}

        def set_extra_state(self, state):
            self.counter = state["counter"]

    return nn_.Sequential(WithExtra(), nn_.ReLU())


def test_extra_state_matches():
    so, st = _with_extra(nn), _with_extra(tnn)
    assert list(so.state_dict()) == list(st.state_dict())
    so[0].counter = 5
    sd = so.state_dict()
    fresh = _with_extra(nn)
    fresh.load_state_dict(sd)
    assert fresh[0].counter == 5
    del sd["0._extra_state"]
    sdt = st.state_dict()
    del sdt["0._extra_state"]
    assert _load_error(fresh, sd) == _load_error(st, sdt)
    # a module without extra state reports the key as unexpected
    plain_o, plain_t = nn.Linear(2, 2), tnn.Linear(2, 2)
    ro = plain_o.load_state_dict(dict(plain_o.state_dict(), _extra_state=1), strict=False)
    rt = plain_t.load_state_dict(dict(plain_t.state_dict(), _extra_state=1), strict=False)
    assert (ro.missing_keys, ro.unexpected_keys) == (rt.missing_keys, rt.unexpected_keys)


def test_forward_hook_always_call():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    m = Boom()
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append("never"))
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == [None]


def _grads_list(gs):
    return [None if g is None else np.array(g.detach().numpy()) for g in gs]


@pytest.mark.filterwarnings("ignore:Full backward hook")
@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_full_backward_hooks_match(input_requires_grad):
    results = {}
    models = {lib: nn_.Sequential(nn_.Linear(3, 4), nn_.Tanh(), nn_.Linear(4, 2))
              for nn_, lib in ((nn, numtorch), (tnn, torch))}
    _copy_weights(models[numtorch], models[torch])
    for name, lib in (("ours", numtorch), ("theirs", torch)):
        m = models[lib]
        log = []
        m[1].register_full_backward_pre_hook(
            lambda mod, g_out, log=log: (log.append(("pre", _grads_list(g_out))),
                                         (g_out[0] * 2,))[1])
        m[1].register_full_backward_hook(
            lambda mod, g_in, g_out, log=log: log.append(("full", _grads_list(g_in),
                                                          _grads_list(g_out))))
        m[0].register_full_backward_hook(
            lambda mod, g_in, g_out, log=log: log.append(("first", _grads_list(g_in))))
        h = m[2].register_full_backward_hook(
            lambda mod, g_in, g_out: tuple(g * 3 for g in g_in))
        x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3).astype("float32"),
                       requires_grad=input_requires_grad)
        m(x).sum().backward()
        h.remove()
        results[name] = (log, np.array(m[0].weight.grad.numpy()),
                         None if x.grad is None else np.array(x.grad.numpy()))
    (lo, wo, xo), (lt, wt, xt) = results["ours"], results["theirs"]
    assert [e[0] for e in lo] == [e[0] for e in lt]
    for eo, et in zip(lo, lt):
        for go, gt in zip(eo[1:], et[1:]):
            assert len(go) == len(gt)
            for a, b in zip(go, gt):
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wo, wt, rtol=1e-5, atol=1e-6)
    if input_requires_grad:
        np.testing.assert_allclose(xo, xt, rtol=1e-5, atol=1e-6)
