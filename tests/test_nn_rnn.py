"""RNN, LSTM, GRU and their cells against PyTorch, with weights copied across."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn as nn
from conftest import require_torch

torch = require_torch()
tnn = torch.nn

TOL = {"float32": 2e-5, "float64": 1e-11}
RNG = np.random.default_rng(0)


def _pair(name, *args, **kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)


def _copy_weights(ours, theirs) -> None:
    ours.load_state_dict({k: numtorch.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})


def _close(a, b, tol, msg=""):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol,
                               err_msg=msg)


def _flat(out):
    """The tensors of an RNN/LSTM/GRU/cell result, in order."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _check(ours, theirs, x, states, dtype):
    """Forward outputs and the gradients of input, initial states and every parameter."""
    _copy_weights(ours, theirs)
    ours.to(getattr(numtorch, dtype))
    theirs.to(getattr(torch, dtype))
    arrays = [x] + list(states)
    xo = [numtorch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    xt = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]

    def call(m, xs, lstm_pair):
        if len(xs) == 1:
            return m(xs[0])
        return m(xs[0], tuple(xs[1:]) if lstm_pair else xs[1])

    pair = len(states) == 2
    yo, yt = _flat(call(ours, xo, pair)), _flat(call(theirs, xt, pair))
    tol = TOL[dtype]
    assert len(yo) == len(yt)
    for a, b in zip(yo, yt):
        assert tuple(a.shape) == tuple(b.shape)
        assert a.dtype is getattr(numtorch, dtype)
        _close(a, b, tol)
    lo, lt = 0, 0
    for i, (a, b) in enumerate(zip(yo, yt)):
        w = np.random.default_rng(i).standard_normal(tuple(b.shape)).astype(dtype)
        lo = lo + (a * numtorch.tensor(w)).sum()
        lt = lt + (b * torch.tensor(w)).sum()
    lo.backward()
    lt.backward()
    for i, (a, b) in enumerate(zip(xo, xt)):
        _close(a.grad, b.grad, 10 * tol, f"input {i}")
    names_o = [n for n, _ in ours.named_parameters()]
    names_t = [n for n, _ in theirs.named_parameters()]
    assert names_o == names_t
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, q.grad, 10 * tol, n)


CONFIGS = [
    # (kwargs, batched, batch_first)
    (dict(), True, False),
    (dict(num_layers=2), True, False),
    (dict(bidirectional=True), True, False),
    (dict(num_layers=2, bidirectional=True, batch_first=True), True, True),
    (dict(bias=False), True, False),
    (dict(num_layers=2, bidirectional=True), False, False),
    (dict(num_layers=2, dropout=0.0), True, False),
]


def _states(kind, kw, batched, batch, hidden, with_state):
    if not with_state:
        return []
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h_out = kw.get("proj_size", 0) or hidden
    h_shape = (d, batch, h_out) if batched else (d, h_out)
    if kind != "LSTM":
        return [RNG.standard_normal(h_shape)]
    c_shape = (d, batch, hidden) if batched else (d, hidden)
    return [RNG.standard_normal(h_shape), RNG.standard_normal(c_shape)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", range(len(CONFIGS)))
@pytest.mark.parametrize("kind", ["RNN", "RNN_relu", "LSTM", "GRU"])
@pytest.mark.parametrize("with_state", [True, False])
def test_recurrent_layers(kind, config, dtype, with_state):
    kw, batched, batch_first = CONFIGS[config]
    kw = dict(kw)
    name = kind
    if kind == "RNN_relu":
        name, kw["nonlinearity"] = "RNN", "relu"
    seq, batch, in_size, hidden = 4, 3, 5, 6
    ours, theirs = _pair(name, in_size, hidden, **kw)
    shape = ((batch, seq, in_size) if batch_first else (seq, batch, in_size)) if batched \
        else (seq, in_size)
    x = RNG.standard_normal(shape)
    _check(ours, theirs, x, _states(name, kw, batched, batch, hidden, with_state), dtype)


@pytest.mark.filterwarnings("ignore:LSTM with projections")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kw", [dict(proj_size=3), dict(proj_size=2, num_layers=2,
                                                         bidirectional=True, batch_first=True)])
def test_lstm_proj_size(kw, dtype):
    ours, theirs = _pair("LSTM", 4, 5, **kw)
    x = RNG.standard_normal((2, 3, 4))
    _check(ours, theirs, x, _states("LSTM", kw, True, 2 if kw.get("batch_first") else 3, 5,
                                    True), dtype)
    _check(ours, theirs, RNG.standard_normal((3, 4)), [], dtype)


def test_dropout_eval_and_training():
    """dropout is exact in eval mode; in training it changes the output only between layers."""
    ours, theirs = _pair("GRU", 3, 4, num_layers=2, dropout=0.5)
    ours.eval()
    theirs.eval()
    _check(ours, theirs, RNG.standard_normal((5, 2, 3)), [], "float64")
    ours.train()
    x = numtorch.tensor(RNG.standard_normal((5, 2, 3)))
    numtorch.manual_seed(0)
    a, _ = ours(x)
    ours.eval()
    b, _ = ours(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    one = nn.GRU(3, 4, num_layers=2, dropout=1.0, dtype=numtorch.float64)
    one.bias_ih_l1.data.zero_()
    one.bias_hh_l1.data.zero_()
    out, _ = one(x)  # layer 2 sees zeros: with zero biases its state stays zero
    assert np.all(out.detach().numpy() == 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kw", [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu")),
                                     ("RNNCell", dict(bias=False)), ("LSTMCell", {}),
                                     ("LSTMCell", dict(bias=False)), ("GRUCell", {}),
                                     ("GRUCell", dict(bias=False))])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells(name, kw, dtype, batched, with_state):
    ours, theirs = _pair(name, 4, 5, **kw)
    x = RNG.standard_normal((3, 4) if batched else (4,))
    shape = (3, 5) if batched else (5,)
    n = 2 if name == "LSTMCell" else 1
    states = [RNG.standard_normal(shape) for _ in range(n)] if with_state else []
    _check(ours, theirs, x, states, dtype)


def test_parameters_state_dict_and_repr():
    cases = [("RNN", (3, 4), dict(num_layers=2, nonlinearity="relu", bias=False,
                                  batch_first=True, dropout=0.5, bidirectional=True)),
             ("RNN", (3, 4), {}), ("LSTM", (3, 4), dict(proj_size=2, bidirectional=True,
                                                        num_layers=2)),
             ("GRU", (3, 4), dict(num_layers=3)), ("LSTM", (3, 4, 2, False, True, 0.25, True),
                                                   {}),
             ("RNN", (3, 4, 2, "relu", False), {}),
             ("RNNCell", (3, 4), dict(nonlinearity="relu", bias=False)),
             ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), dict(bias=False))]
    for name, args, kw in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, theirs = _pair(name, *args, **kw)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert tuple(p.shape) == tuple(q.shape), n
        if hasattr(theirs, "_flat_weights_names"):
            assert ours._flat_weights_names == theirs._flat_weights_names
            assert ours._all_weights == theirs._all_weights
            assert ours.mode == theirs.mode
            assert len(ours.all_weights) == len(theirs.all_weights)
            ours.flatten_parameters()


def test_default_init_and_dtype():
    numtorch.manual_seed(0)
    m = nn.LSTM(10, 16, num_layers=2, bidirectional=True)
    bound = 1 / 4
    vals = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    assert vals.min() >= -bound and vals.max() <= bound
    assert vals.min() < -0.9 * bound and vals.max() > 0.9 * bound
    assert abs(vals.mean()) < 0.02 and abs(vals.std() - bound / np.sqrt(3)) < 0.01
    m = nn.GRU(3, 4, dtype=numtorch.float64)
    assert all(p.dtype is numtorch.float64 for p in m.parameters())
    out, h = m(numtorch.randn(2, 1, 3, dtype=numtorch.float64))
    assert out.dtype is numtorch.float64 and h.dtype is numtorch.float64


def _err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return type(e)
    return None


ERROR_CASES = [
    ("LSTM", lambda lib: lib.ones(5, 2, 4), None),  # wrong input_size
    ("LSTM", lambda lib: lib.ones(5, 2, 3, 1), None),  # 4-d input
    ("RNN", lambda lib: lib.ones(5), None),  # 1-d input
    ("GRU", lambda lib: lib.ones(5, 2, 3, dtype=lib.float64), None),  # dtype mismatch
    ("GRU", lambda lib: lib.ones(0, 2, 3), None),  # empty sequence
    ("GRU", lambda lib: lib.ones(5, 2, 3), lambda lib: lib.ones(2, 4)),  # 2-d hx, batched
    ("GRU", lambda lib: lib.ones(5, 3), lambda lib: lib.ones(1, 2, 4)),  # 3-d hx, unbatched
    ("GRU", lambda lib: lib.ones(5, 2, 3), lambda lib: lib.ones(1, 3, 4)),  # hx batch
    ("RNN", lambda lib: lib.ones(5, 2, 3), lambda lib: lib.ones(1, 2, 4, dtype=lib.float64)),
    ("LSTM", lambda lib: lib.ones(5, 2, 3), lambda lib: (lib.ones(1, 2, 4), lib.ones(1, 2))),
    ("LSTM", lambda lib: lib.ones(5, 2, 3), lambda lib: (lib.ones(1, 3, 4), lib.ones(1, 2, 4))),
    ("LSTM", lambda lib: lib.ones(5, 2, 3), lambda lib: (lib.ones(1, 2, 4), lib.ones(1, 2, 5))),
    ("LSTMCell", lambda lib: lib.ones(2, 5), None),
    ("LSTMCell", lambda lib: lib.ones(2, 2, 3), None),
    ("RNNCell", lambda lib: lib.ones(2, 2, 3), None),
    ("GRUCell", lambda lib: lib.ones(2, 3), lambda lib: lib.ones(3, 4)),
    ("GRUCell", lambda lib: lib.ones(2, 3), lambda lib: lib.ones(2, 5)),
    ("LSTMCell", lambda lib: lib.ones(2, 3), lambda lib: (lib.ones(2, 4), lib.ones(2, 5))),
    ("RNNCell", lambda lib: lib.ones(3), lambda lib: lib.ones(2, 4)),
    ("RNNCell", lambda lib: lib.ones(2, 3, dtype=lib.float64), None),
]


@pytest.mark.parametrize("case", range(len(ERROR_CASES)))
def test_forward_errors(case):
    name, inp, hx = ERROR_CASES[case]

    def run(lib, mod):
        m = getattr(mod, name)(3, 4)
        return _err(lambda: m(inp(lib)) if hx is None else m(inp(lib), hx(lib)))

    expected = run(torch, tnn)
    assert expected is not None
    assert run(numtorch, nn) is expected


CTOR_CASES = [("LSTM", dict(dropout=1.5)), ("LSTM", dict(dropout=True)),
              ("LSTM", dict(proj_size=-1)), ("LSTM", dict(proj_size=4)),
              ("LSTM", dict(num_layers=0)), ("GRU", dict(hidden_size=0)),
              ("GRU", dict(hidden_size=2.0)), ("GRU", dict(proj_size=2)),
              ("RNN", dict(proj_size=2)), ("RNN", dict(nonlinearity="sigmoid"))]


@pytest.mark.parametrize("case", range(len(CTOR_CASES)))
def test_constructor_errors(case):
    name, kw = CTOR_CASES[case]
    args = dict(input_size=3, hidden_size=4)
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _err(lambda: getattr(tnn, name)(**args))
        assert expected is not None
        assert _err(lambda: getattr(nn, name)(**args)) is expected


def test_dropout_warning_and_batch_zero():
    with pytest.warns(UserWarning):
        nn.LSTM(3, 4, dropout=0.3)
    out, h = nn.GRU(3, 4)(numtorch.ones(5, 0, 3))
    assert tuple(out.shape) == (5, 0, 4) and tuple(h.shape) == (1, 0, 4)


def test_double_backward_through_lstm():
    """The recurrence is built from differentiable ops, so second derivatives exist."""
    m = nn.LSTM(2, 3, dtype=numtorch.float64)
    x = numtorch.randn(3, 1, 2, dtype=numtorch.float64, requires_grad=True)
    assert numtorch.autograd.gradcheck(lambda x: m(x)[0], (x,))
    assert numtorch.autograd.gradgradcheck(lambda x: m(x)[1][1], (x,))


@pytest.mark.parametrize("pick", ["c_n", "h_n_first", "output_forward_half"])
def test_gradients_through_part_of_the_result(pick):
    """Losses that use only part of the result: same gradients, and the same parameters get
    none, as in PyTorch."""
    ours, theirs = _pair("LSTM", 2, 3, num_layers=2, bidirectional=True)
    _copy_weights(ours, theirs)
    ours.to(numtorch.float64)
    theirs.double()
    x = RNG.standard_normal((4, 2, 2))
    xo = numtorch.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    take = {"c_n": lambda r: r[1][1].sum(), "h_n_first": lambda r: r[1][0][0].sum(),
            "output_forward_half": lambda r: r[0][:, :, :3].sum()}[pick]
    take(ours(xo)).backward()
    take(theirs(xt)).backward()
    _close(xo.grad, xt.grad, 1e-11)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert (p.grad is None) == (q.grad is None), n
        if q.grad is not None:
            _close(p.grad, q.grad, 1e-11, n)
