"""Attention: F.scaled_dot_product_attention, MultiheadAttention and the Transformer layers
against PyTorch, with weights copied across: outputs, attention weights, gradients of inputs
and parameters, masks, layouts, reprs, state_dict keys, init and errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn as nn
import numtorch.nn.functional as F
from conftest import require_torch

torch = require_torch()
TF = torch.nn.functional

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}
DT = {np.float32: (numtorch.float32, torch.float32), np.float64: (numtorch.float64,
                                                                  torch.float64)}


@pytest.fixture(autouse=True)
def _seeded():
    """Module inits draw from the global generators: seed both so every test sees the same
    weights whatever ran before it (float32 tolerances depend on the weights)."""
    torch.manual_seed(0)
    numtorch.manual_seed(0)


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _close(a, b, dtype):
    a = a.detach().numpy() if hasattr(a, "detach") else a
    b = b.detach().numpy() if hasattr(b, "detach") else b
    np.testing.assert_allclose(a, b, **TOL[dtype])


def _leaf(lib, a, dtype, grad=True):
    return lib.tensor(a.astype(dtype), requires_grad=grad)


def _copy_weights(ours, theirs):
    """Load ``theirs``'s state into ``ours`` after checking the keys match in order."""
    sd = theirs.state_dict()
    assert list(ours.state_dict()) == list(sd)
    ours.load_state_dict({k: numtorch.tensor(v.detach().numpy().copy()) for k, v in sd.items()})


def _check_param_grads(ours, theirs, dtype):
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        assert (mine[name].grad is None) == (p.grad is None), name
        if p.grad is not None:
            _close(mine[name].grad, p.grad, dtype)


def _backward_both(y, z, seed=9):
    g = _r(*z.shape, seed=seed).astype(z.detach().numpy().dtype)
    y.backward(numtorch.tensor(g))
    z.backward(torch.tensor(g))


# ---- scaled_dot_product_attention ---------------------------------------------------------

def _mask(kind, lib, L, S):
    rng = np.random.default_rng(5)
    keep = rng.random((L, S)) > 0.3
    keep[:, 0] = True
    if kind == "bool":
        return lib.tensor(keep)
    if kind == "float":
        return lib.tensor(np.where(keep, rng.standard_normal((L, S)), -np.inf))
    if kind == "dead_row":  # one query row with every key masked out: PyTorch gives 0
        keep[1] = False
        return lib.tensor(keep)
    return None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask", [None, "bool", "float", "dead_row", "causal"])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa(mask, scale, dtype):
    L, S = 4, 6
    arrays = [_r(2, 3, L, 5, seed=1), _r(2, 3, S, 5, seed=2), _r(2, 3, S, 7, seed=3)]
    outs = []
    for lib, fn in ((numtorch, F), (torch, TF)):
        q, k, v = (_leaf(lib, a, dtype) for a in arrays)
        m = None if mask in (None, "causal") else _mask(mask, lib, L, S)
        if m is not None and m.is_floating_point():
            m = m.to(DT[dtype][lib is torch])
        y = fn.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=mask == "causal",
                                            scale=scale)
        outs.append((y, q, k, v))
    (y, *a), (z, *b) = outs
    _close(y, z, dtype)
    _backward_both(y, z)
    for p, q in zip(a, b):
        _close(p.grad, q.grad, dtype)


def test_sdpa_gqa_and_broadcast_mask():
    arrays = [_r(2, 4, 3, 5, seed=1), _r(2, 2, 6, 5, seed=2), _r(2, 2, 6, 5, seed=3)]
    keep = np.random.default_rng(0).random((2, 1, 3, 6)) > 0.4
    keep[..., 0] = True
    res = []
    for lib, fn in ((numtorch, F), (torch, TF)):
        q, k, v = (_leaf(lib, a, np.float64) for a in arrays)
        y = fn.scaled_dot_product_attention(q, k, v, attn_mask=lib.tensor(keep),
                                            enable_gqa=True)
        y.sum().backward()
        res.append([y, q.grad, k.grad, v.grad])
    for p, q in zip(*res):
        _close(p, q, np.float64)


def test_sdpa_errors():
    q = numtorch.randn(1, 2, 3)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, q, q, attn_mask=numtorch.ones(2, 2), is_causal=True)
    with pytest.raises(RuntimeError):
        F.scaled_dot_product_attention(q, q.double(), q)


# ---- MultiheadAttention ---------------------------------------------------------------------

def _mha_pair(dtype, **kw):
    nt, tt = DT[dtype]
    theirs = torch.nn.MultiheadAttention(dtype=tt, **kw)
    ours = nn.MultiheadAttention(dtype=nt, **kw)
    if theirs.in_proj_bias is not None:  # give the zero-initialised biases some values
        with torch.no_grad():
            theirs.in_proj_bias.normal_()
            theirs.out_proj.bias.normal_()
    _copy_weights(ours, theirs)
    return ours, theirs


def _masks(lib, kind, L, S, N, H):
    rng = np.random.default_rng(11)
    attn = kpm = None
    if kind in ("attn_bool", "both"):
        keep = rng.random((L, S)) > 0.3
        keep[:, 0] = True
        attn = lib.tensor(~keep)  # True = not allowed
    if kind == "attn_float":
        attn = lib.tensor(rng.standard_normal((L, S)))
    if kind == "attn_3d":
        attn = lib.tensor(rng.standard_normal((N * H, L, S)))
    if kind in ("kpm", "both"):
        pad = np.zeros((N, S), dtype=bool)
        pad[0, -2:] = True
        pad[-1, 1] = True
        kpm = lib.tensor(pad)
    return attn, kpm


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", [None, "attn_bool", "attn_float", "attn_3d", "kpm", "both"])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_self_attention(dtype, batch_first, masks, need_weights, average):
    L, N, E, H = 5, 3, 8, 2
    ours, theirs = _mha_pair(dtype, embed_dim=E, num_heads=H, batch_first=batch_first)
    x = _r(N, L, E, seed=1) if batch_first else _r(L, N, E, seed=1)
    res = []
    for lib, m in ((numtorch, ours), (torch, theirs)):
        xt = _leaf(lib, x, dtype)
        attn, kpm = _masks(lib, masks, L, L, N, H)
        if attn is not None and attn.is_floating_point():
            attn = attn.to(xt.dtype)
        out, w = m(xt, xt, xt, key_padding_mask=kpm, attn_mask=attn,
                   need_weights=need_weights, average_attn_weights=average)
        res.append((out, w, xt))
    (y, wy, xa), (z, wz, xb) = res
    _close(y, z, dtype)
    assert (wy is None) == (wz is None)
    if wz is not None:
        assert tuple(wy.shape) == tuple(wz.shape)
        _close(wy, wz, dtype)
    _backward_both(y, z)
    _close(xa.grad, xb.grad, dtype)
    _check_param_grads(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opts", [dict(), dict(kdim=3, vdim=6), dict(add_bias_kv=True),
                                  dict(add_zero_attn=True), dict(bias=False),
                                  dict(kdim=3, vdim=6, add_bias_kv=True, add_zero_attn=True)])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_cross_attention(dtype, opts, need_weights):
    L, S, N, E = 4, 6, 2, 8
    ours, theirs = _mha_pair(dtype, embed_dim=E, num_heads=4, **opts)
    kd, vd = opts.get("kdim", E), opts.get("vdim", E)
    arrays = [_r(L, N, E, seed=1), _r(S, N, kd, seed=2), _r(S, N, vd, seed=3)]
    res = []
    for lib, m in ((numtorch, ours), (torch, theirs)):
        q, k, v = (_leaf(lib, a, dtype) for a in arrays)
        _, kpm = _masks(lib, "kpm", L, S, N, 4)
        out, w = m(q, k, v, key_padding_mask=kpm, need_weights=need_weights)
        res.append((out, w, q, k, v))
    (y, wy, *a), (z, wz, *b) = res
    _close(y, z, dtype)
    if wz is not None:
        _close(wy, wz, dtype)
    _backward_both(y, z)
    for p, q in zip(a, b):
        _close(p.grad, q.grad, dtype)
    _check_param_grads(ours, theirs, dtype)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched_and_eval(need_weights):
    ours, theirs = _mha_pair(np.float64, embed_dim=6, num_heads=3, dropout=0.5)
    ours.eval(), theirs.eval()
    x, kpm = _r(4, 6, seed=1), np.array([False, False, True, False])
    mask3 = _r(3, 4, 4, seed=2)
    with torch.no_grad():  # PyTorch's inference path where it applies
        z, wz = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm),
                       attn_mask=torch.tensor(mask3), need_weights=need_weights)
    xt = numtorch.tensor(x)
    y, wy = ours(xt, xt, xt, key_padding_mask=numtorch.tensor(kpm),
                 attn_mask=numtorch.tensor(mask3), need_weights=need_weights)
    assert tuple(y.shape) == (4, 6)
    _close(y, z, np.float64)
    if need_weights:
        _close(wy, wz, np.float64)


def test_mha_is_causal_hint_and_fully_masked_rows():
    ours, theirs = _mha_pair(np.float64, embed_dim=4, num_heads=2)
    x = _r(3, 2, 4, seed=1)
    causal = np.triu(np.ones((3, 3), dtype=bool), 1)
    pad = np.ones((2, 3), dtype=bool)
    pad[0] = False  # batch 1 has every key masked
    for kw in (dict(attn_mask=causal, is_causal=True, need_weights=False),
               dict(attn_mask=causal, is_causal=True),
               dict(key_padding_mask=pad, need_weights=False),
               dict(key_padding_mask=pad)):  # NaN rows with need_weights, as PyTorch's
        y, wy = ours(*(numtorch.tensor(x),) * 3,
                     **{k: numtorch.tensor(v) if isinstance(v, np.ndarray) else v
                        for k, v in kw.items()})
        z, wz = theirs(*(torch.tensor(x),) * 3,
                       **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                          for k, v in kw.items()})
        _close(y, z, np.float64)
        if wz is not None:
            _close(wy, wz, np.float64)


def test_mha_repr_keys_and_init():
    numtorch.manual_seed(0)
    for kw in (dict(), dict(kdim=3, vdim=5, add_bias_kv=True), dict(bias=False)):
        ours, theirs = nn.MultiheadAttention(64, 4, **kw), torch.nn.MultiheadAttention(64, 4,
                                                                                      **kw)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert tuple(p.shape) == tuple(q.shape), n
    m = nn.MultiheadAttention(64, 4)
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6.0 / (64 + 192))  # xavier_uniform_ on (3E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert not m.in_proj_bias.detach().numpy().any()
    assert not m.out_proj.bias.detach().numpy().any()
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert isinstance(m.out_proj, nn.Linear)


def test_mha_errors():
    with pytest.raises(AssertionError):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(AssertionError):
        torch.nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError):
        nn.MultiheadAttention(0, 2)
    m = nn.MultiheadAttention(4, 2)
    x = numtorch.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(x, x, x, attn_mask=numtorch.zeros(3, 4))
    with pytest.raises(RuntimeError, match="is_causal"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError):
        m(x, x, x, attn_mask=numtorch.zeros(3, 3, dtype=numtorch.int64))


# ---- Transformer layers ---------------------------------------------------------------------

def _layer_pair(cls_name, dtype, *args, **kw):
    nt, tt = DT[dtype]
    act = kw.pop("activation", "relu")
    acts = {"module": (nn.GELU(), torch.nn.GELU()),
            "fn": (F.silu, TF.silu)}.get(act, (act, act))
    theirs = getattr(torch.nn, cls_name)(*args, dtype=tt, activation=acts[1], **kw)
    ours = getattr(nn, cls_name)(*args, dtype=nt, activation=acts[0], **kw)
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.normal_()
    _copy_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation,masks", [("relu", "both"), ("gelu", "kpm"),
                                              ("module", "attn_float"), ("fn", None)])
def test_encoder_layer(dtype, batch_first, norm_first, activation, masks):
    L, N, E, H = 5, 3, 8, 2
    ours, theirs = _layer_pair("TransformerEncoderLayer", dtype, E, H, 16, dropout=0.0,
                               batch_first=batch_first, norm_first=norm_first,
                               activation=activation)
    assert repr(ours) == repr(theirs)
    x = _r(N, L, E, seed=1) if batch_first else _r(L, N, E, seed=1)
    res = []
    for lib, m in ((numtorch, ours), (torch, theirs)):
        xt = _leaf(lib, x, dtype)
        attn, kpm = _masks(lib, masks, L, L, N, H)
        if attn is not None and attn.is_floating_point():
            attn = attn.to(xt.dtype)
        res.append((m(xt, src_mask=attn, src_key_padding_mask=kpm), xt))
    (y, xa), (z, xb) = res
    _close(y, z, dtype)
    _backward_both(y, z)
    _close(xa.grad, xb.grad, dtype)
    _check_param_grads(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_causal(dtype, norm_first):
    L, N, E = 6, 2, 8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [_layer_pair("TransformerEncoderLayer", dtype, E, 2, 12, dropout=0.0,
                             norm_first=norm_first) for _ in range(2)]
        ours = nn.TransformerEncoder(pairs[0][0], 3, norm=nn.LayerNorm(E, dtype=DT[dtype][0]))
        theirs = torch.nn.TransformerEncoder(pairs[1][1], 3,
                                             norm=torch.nn.LayerNorm(E, dtype=DT[dtype][1]))
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # make the layers differ
    _copy_weights(ours, theirs)
    assert repr(ours) == repr(theirs)
    x = _r(L, N, E, seed=1)
    res = []
    for lib, m in ((numtorch, ours), (torch, theirs)):
        xt = _leaf(lib, x, dtype)
        mask = nn.Transformer.generate_square_subsequent_mask(L) if lib is numtorch else \
            torch.nn.Transformer.generate_square_subsequent_mask(L)
        res.append((m(xt, mask=mask.to(xt.dtype)), xt))
    (y, xa), (z, xb) = res
    _close(y, z, dtype)
    _backward_both(y, z)
    _close(xa.grad, xb.grad, dtype)
    _check_param_grads(ours, theirs, dtype)


def test_encoder_inference_zeroes_padding_as_pytorch():
    """In eval mode without grad, PyTorch drops padded positions (their outputs are 0 before
    the final norm); numtorch matches it, and matches the plain path with grad."""
    ours_l, theirs_l = _layer_pair("TransformerEncoderLayer", np.float64, 8, 2, 16,
                                   batch_first=True)
    ours = nn.TransformerEncoder(ours_l, 2).eval()
    theirs = torch.nn.TransformerEncoder(theirs_l, 2).eval()
    _copy_weights(ours, theirs)
    x = _r(3, 5, 8, seed=1)
    pad = np.zeros((3, 5), dtype=bool)
    pad[0, 3:] = True
    pad[2, 4:] = True
    for grad in (False, True):
        with torch.set_grad_enabled(grad), numtorch.set_grad_enabled(grad):
            z = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad))
            y = ours(numtorch.tensor(x), src_key_padding_mask=numtorch.tensor(pad))
        _close(y, z, np.float64)


def test_encoder_warnings_and_errors():
    with pytest.warns(UserWarning, match="batch_first was not True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), 2, enable_nested_tensor=False)
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    e = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 3,
                              enable_nested_tensor=False)
    assert e.layers[0].linear1.weight is not e.layers[1].linear1.weight


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer(dtype, batch_first, norm_first):
    S, T, N, E = 5, 4, 2, 8
    nt, tt = DT[dtype]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.Transformer(E, 2, 2, 2, 12, dropout=0.0, batch_first=batch_first,
                                      norm_first=norm_first, dtype=tt)
        ours = nn.Transformer(E, 2, 2, 2, 12, dropout=0.0, batch_first=batch_first,
                              norm_first=norm_first, dtype=nt)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    _copy_weights(ours, theirs)
    assert repr(ours) == repr(theirs)
    src = _r(N, S, E, seed=1) if batch_first else _r(S, N, E, seed=1)
    tgt = _r(N, T, E, seed=2) if batch_first else _r(T, N, E, seed=2)
    pad = np.zeros((N, S), dtype=bool)
    pad[1, -2:] = True
    res = []
    for lib, m in ((numtorch, ours), (torch, theirs)):
        s, t = _leaf(lib, src, dtype), _leaf(lib, tgt, dtype)
        mask = type(m).generate_square_subsequent_mask(T).to(s.dtype)
        y = m(s, t, tgt_mask=mask, src_key_padding_mask=lib.tensor(pad),
              memory_key_padding_mask=lib.tensor(pad))
        res.append((y, s, t))
    (y, *a), (z, *b) = res
    _close(y, z, dtype)
    _backward_both(y, z)
    for p, q in zip(a, b):
        _close(p.grad, q.grad, dtype)
    _check_param_grads(ours, theirs, dtype)


def test_generate_square_subsequent_mask():
    np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                                  torch.nn.Transformer.generate_square_subsequent_mask(4)
                                  .numpy())


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["both", "attn_bool", None])
def test_encoder_layer_inference_path(norm_first, masks):
    """PyTorch's eval-mode, no-grad inference kernel gives the same numbers as ours."""
    ours, theirs = _layer_pair("TransformerEncoderLayer", np.float32, 8, 2, 16,
                               batch_first=True, norm_first=norm_first)
    ours.eval(), theirs.eval()
    x = _r(3, 5, 8, seed=1).astype(np.float32)
    with torch.no_grad():
        z = theirs(torch.tensor(x), *_masks(torch, masks, 5, 5, 3, 2))
    y = ours(numtorch.tensor(x), *_masks(numtorch, masks, 5, 5, 3, 2))
    _close(y, z, np.float32)


def test_attention_dropout():
    q = numtorch.randn(2, 3, 4)
    assert not F.scaled_dot_product_attention(q, q, q, dropout_p=1.0).numpy().any()
    m = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = numtorch.randn(3, 2, 4)
    with numtorch.no_grad():
        a, b = m(x, x, x)[1], m(x, x, x)[1]
        assert not np.allclose(a.numpy(), b.numpy())  # a fresh mask each call in training
        m.eval()
        a, b = m(x, x, x)[1], m(x, x, x)[1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_allclose(a.numpy().sum(-1), 1.0, rtol=1e-5)


def test_sdpa_gradcheck_and_gradgradcheck():
    from numtorch.autograd import gradcheck, gradgradcheck
    q, k, v = (numtorch.tensor(_r(2, 3, 4, seed=s), requires_grad=True) for s in (1, 2, 3))
    keep = numtorch.tensor(np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=bool))

    def fn(a, b, c):
        return F.scaled_dot_product_attention(a, b, c, attn_mask=keep)
    assert gradcheck(fn, (q, k, v))
    assert gradgradcheck(fn, (q, k, v))


@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_unbatched(batch_first):
    ours, theirs = _layer_pair("TransformerEncoderLayer", np.float64, 6, 3, 10, dropout=0.0,
                               batch_first=batch_first)
    x, pad = _r(4, 6, seed=1), np.array([False, False, False, True])
    res = []
    for lib, m in ((numtorch, ours), (torch, theirs)):
        xt = _leaf(lib, x, np.float64)
        res.append((m(xt, src_key_padding_mask=lib.tensor(pad)), xt))
    (y, xa), (z, xb) = res
    assert tuple(y.shape) == (4, 6)
    _close(y, z, np.float64)
    _backward_both(y, z)
    _close(xa.grad, xb.grad, np.float64)
    _check_param_grads(ours, theirs, np.float64)


@pytest.mark.parametrize("masks", ["both", "kpm", None])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_inference_path(masks, need_weights):
    """PyTorch's batch-first eval/no-grad MultiheadAttention kernel gives our numbers."""
    ours, theirs = _mha_pair(np.float32, embed_dim=8, num_heads=2, batch_first=True)
    ours.eval(), theirs.eval()
    x = _r(3, 5, 8, seed=1).astype(np.float32)
    with torch.no_grad():
        a, k = _masks(torch, masks, 5, 5, 3, 2)
        z, wz = theirs(*(torch.tensor(x),) * 3, attn_mask=a, key_padding_mask=k,
                       need_weights=need_weights)
    a, k = _masks(numtorch, masks, 5, 5, 3, 2)
    y, wy = ours(*(numtorch.tensor(x),) * 3, attn_mask=a, key_padding_mask=k,
                 need_weights=need_weights)
    _close(y, z, np.float32)
    assert (wy is None) == (wz is None)
    if wz is not None:
        _close(wy, wz, np.float32)
