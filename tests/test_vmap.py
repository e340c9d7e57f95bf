"""numtorch.func.vmap: batching every op of op_db (against running each example alone), per-example
gradients against a loop and against torch.func, in_dims/out_dims, nesting, randomness, custom
Functions and the error cases (against torch.func.vmap's exception types)."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
import numtorch.func as NF
from conftest import require_torch
from numtorch.func._pytree import tree_flatten
from op_db import OPS, Const, Maker

torch = require_torch()
TF = torch.func

# ops whose vmap is refused, as PyTorch refuses them (a Python bool out; output shapes that
# depend on the values)
REFUSED = {"equal", "allclose", "nanmedian", "mode_values", "mode_indices"}


def _batch(a):
    return np.stack([a, a * 0.9 + 0.01, a * 1.1 - 0.01]).astype(a.dtype)


def _tensors(a):
    if isinstance(a, Const):
        return numtorch.tensor(a.array)
    if isinstance(a, (tuple, list)):
        return type(a)(_tensors(x) for x in a)
    return a


def _check_op(op, mode):
    """None when vmap over a batch of 3 equals running the 3 examples one by one."""
    dt = "float64" if "float64" in op.dtypes else op.dtypes[0]
    for s in op.samples(Maker(dt, op.domain)):
        flat, dims = [], []
        for a in s.args:
            if isinstance(a, np.ndarray):
                flat.append(numtorch.tensor(_batch(a)))
                dims.append(0)
            elif isinstance(a, (list, tuple)) and a and all(
                    isinstance(x, np.ndarray) for x in a):  # cat, stack: every tensor batched
                flat.append(type(a)(numtorch.tensor(_batch(x)) for x in a))
                dims.append(type(a)(0 for _ in a))
            else:
                flat.append(_tensors(a))
                dims.append(None)
        floats = tuple(i for i, (f, d) in enumerate(zip(flat, dims))
                       if d == 0 and f.is_floating_point()
                       or isinstance(d, (list, tuple)) and f[0].is_floating_point())
        if mode == "grad":
            if not floats:
                continue

            def loss(*xs):
                out = op.op(*xs)
                out = out[0] if isinstance(out, tuple) else out
                return (out * out).sum()
            call = NF.grad(loss, argnums=floats)
        else:
            call = op.op
        if all(d is None for d in dims):
            continue
        def example(f, d, i):
            if isinstance(d, (list, tuple)):
                return type(f)(t[i] for t in f)
            return f[i] if d == 0 else f
        try:  # samples the op itself refuses (error samples of other dtypes) are skipped
            ref = [call(*[example(f, d, i) for f, d in zip(flat, dims)]) for i in range(3)]
        except Exception:  # noqa: BLE001
            continue
        try:
            if mode == "nested":  # the batch of 3 as the inner of two vmaps (outer size 1)
                def lift(f, d):
                    if isinstance(d, (list, tuple)):
                        return type(f)(t.unsqueeze(1) for t in f), type(d)(1 for _ in d)
                    return (f.unsqueeze(1), 1) if d == 0 else (f, None)
                fl, d2 = zip(*[lift(f, d) for f, d in zip(flat, dims)])
                inner = NF.vmap(call, in_dims=tuple(dims))
                out = NF.vmap(inner, in_dims=tuple(d2))(*fl)
                out = [o[0] for o in tree_flatten(out)[0]]
            else:
                out = NF.vmap(call, in_dims=tuple(dims))(*flat)
        except Exception as e:  # noqa: BLE001
            return f"{s.desc}: {type(e).__name__}: {str(e)[:200]}"
        outs = tree_flatten(out)[0]
        refs = [tree_flatten(r)[0] for r in ref]
        for k, o in enumerate(outs):
            expect = np.stack([r[k].detach().numpy() for r in refs])
            if tuple(o.shape) != expect.shape or not np.allclose(
                    o.detach().numpy(), expect, rtol=1e-6, atol=1e-8, equal_nan=True):
                return f"{s.desc}: values differ (output {k})"
    return None


@pytest.mark.parametrize("mode", ["forward", "grad", "nested"])
def test_every_op_batches(mode):
    ops = OPS if mode != "nested" else OPS[::3]
    if mode == "grad":
        ops = [op for op in ops if op.differentiable]
    with np.errstate(all="ignore"):
        failures = {op.name: _check_op(op, mode) for op in ops}
    failures = {k: v for k, v in failures.items() if v is not None and k not in REFUSED}
    assert not failures, failures
    refused = [op for op in ops if op.name in REFUSED]
    for op in refused:  # and the refused ones do raise
        assert _check_op(op, "forward") is not None, op.name


# ---- per-example gradients --------------------------------------------------------------------
def _mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.Tanh(), lib.nn.Linear(8, 4),
                             lib.nn.GELU(), lib.nn.Linear(4, 3)).double()


def _same_weights(ours, theirs):
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        p.data = numtorch.tensor(tp.detach().numpy())


def _loss(lib, model):
    def loss(params, x, y):
        out = lib.func.functional_call(model, params, (x.unsqueeze(0),))
        return lib.nn.functional.cross_entropy(out, y.unsqueeze(0))
    return loss


def close(ours, theirs, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-7)


def test_per_example_gradients_mlp():
    m, tm = _mlp(numtorch), _mlp(torch)
    _same_weights(m, tm)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    params = {k: v.detach() for k, v in m.named_parameters()}
    tparams = {k: v.detach() for k, v in tm.named_parameters()}
    ours = NF.vmap(NF.grad(_loss(numtorch, m)), in_dims=(None, 0, 0))(
        params, numtorch.tensor(x), numtorch.tensor(y))
    theirs = TF.vmap(TF.grad(_loss(torch, tm)), in_dims=(None, 0, 0))(
        tparams, torch.tensor(x), torch.tensor(y))
    for k in theirs:
        close(ours[k], theirs[k])
    # the same as a Python loop of ordinary backward passes
    for i in range(6):
        m.zero_grad()
        out = m(numtorch.tensor(x[i:i + 1]))
        numtorch.nn.functional.cross_entropy(out, numtorch.tensor(y[i:i + 1])).backward()
        for k, p in m.named_parameters():
            close(ours[k][i], p.grad)


def test_per_example_gradients_cnn():
    def build(lib):
        lib.manual_seed(1)
        return lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3, padding=1), lib.nn.ReLU(),
                                 lib.nn.MaxPool2d(2), lib.nn.Flatten(),
                                 lib.nn.Linear(12, 2)).double()
    m, tm = build(numtorch), build(torch)
    _same_weights(m, tm)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((4, 2, 4, 4)), rng.integers(0, 2, 4)
    ours = NF.vmap(NF.grad(_loss(numtorch, m)), in_dims=(None, 0, 0))(
        {k: v.detach() for k, v in m.named_parameters()}, numtorch.tensor(x),
        numtorch.tensor(y))
    theirs = TF.vmap(TF.grad(_loss(torch, tm)), in_dims=(None, 0, 0))(
        {k: v.detach() for k, v in tm.named_parameters()}, torch.tensor(x), torch.tensor(y))
    for k in theirs:
        close(ours[k], theirs[k])


def test_ensemble_with_stack_module_state():
    models = [_mlp(numtorch) for _ in range(3)]
    for i, mod in enumerate(models):
        for p in mod.parameters():
            p.data = p.data * (i + 1)
    params, buffers = NF.stack_module_state(models)
    x = numtorch.randn(5, 3, dtype=numtorch.float64)

    def run(p, b, x):
        return NF.functional_call(models[0], (p, b), (x,))
    out = NF.vmap(run, in_dims=(0, 0, None))(params, buffers, x)
    for i, mod in enumerate(models):
        close(out[i], mod(x))


def test_grad_through_vmap_and_jacobians():
    a = np.random.default_rng(2).standard_normal((4, 3))
    x, tx = numtorch.tensor(a), torch.tensor(a)

    def f(lib):
        return lambda v: (v.sin() * v.sum()).exp()
    close(NF.grad(lambda v: NF.vmap(f(numtorch))(v).sum())(x),
          TF.grad(lambda v: TF.vmap(f(torch))(v).sum())(tx))
    close(NF.vmap(NF.jacrev(f(numtorch)))(x), TF.vmap(TF.jacrev(f(torch)))(tx))
    close(NF.vmap(NF.hessian(lambda v: (v ** 3).prod()))(x),
          TF.vmap(TF.hessian(lambda v: (v ** 3).prod()))(tx))
    # backward() from outside reaches inputs that require grad, and tensors the function
    # captures (their gradient sums over the examples)
    xr, txr = x.clone().requires_grad_(), tx.clone().requires_grad_()
    w, tw = x[0].clone().requires_grad_(), tx[0].clone().requires_grad_()
    NF.vmap(lambda v: f(numtorch)(v) * w)(xr).sum().backward()
    TF.vmap(lambda v: f(torch)(v) * tw)(txr).sum().backward()
    close(xr.grad, txr.grad)
    close(w.grad, tw.grad)


# ---- in_dims, out_dims, nesting, chunks ---------------------------------------------------------
def _pairs(*shapes):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in shapes]
    return [numtorch.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


def test_in_dims_and_out_dims():
    (x, w, z), (tx, tw, tz) = _pairs((4, 3), (3,), (3, 4))
    cases = [
        (lambda lib: lib.func.vmap(lambda a, b: a * b, in_dims=(0, None)), (x, w), (tx, tw)),
        (lambda lib: lib.func.vmap(lambda a, b: a @ b, in_dims=(1, 0)), (z, x), (tz, tx)),
        (lambda lib: lib.func.vmap(lambda a: a.outer(a), out_dims=2), (x,), (tx,)),
        (lambda lib: lib.func.vmap(lambda a: a.sum(0), in_dims=-1), (x,), (tx,)),
        (lambda lib: lib.func.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},)),
         ({"a": x, "b": w},), ({"a": tx, "b": tw},)),
        (lambda lib: lib.func.vmap(lambda a: (a.sum(), a * 2), out_dims=(0, 1)), (x,), (tx,)),
        (lambda lib: lib.func.vmap(lambda a, scale=1.0: a * scale), (x,), (tx,)),
        (lambda lib: lib.func.vmap(lambda a: a.softmax(-1), chunk_size=3), (x,), (tx,)),
        (lambda lib: lib.func.vmap(lambda a: [a.max(), {"m": a.mean()}]), (x,), (tx,)),
    ]
    for make, ours_args, theirs_args in cases:
        ours = make(numtorch)(*ours_args)
        theirs = make(torch)(*theirs_args)
        flat_o = ours if isinstance(ours, (tuple, list)) else [ours]
        flat_t = theirs if isinstance(theirs, (tuple, list)) else [theirs]
        for o, t in zip(flat_o, flat_t):
            if isinstance(t, dict):
                o, t = o["m"], t["m"]
            close(o, t)
    # an output that is the same for every example: repeated, or left as it is
    out = NF.vmap(lambda a: numtorch.ones(2))(x)
    assert tuple(out.shape) == (4, 2)
    out = NF.vmap(lambda a: (a, numtorch.ones(2)), out_dims=(0, None))(x)
    assert tuple(out[1].shape) == (2,)
    assert NF.vmap(lambda a: (a, 3), out_dims=(0, None))(x)[1] == 3


def test_nested_vmap():
    (x, y), (tx, ty) = _pairs((4, 3), (5, 3))

    def pairwise(lib):
        dot = lambda a, b: (a * b).sum()  # noqa: E731
        return lib.func.vmap(lib.func.vmap(dot, in_dims=(None, 0)), in_dims=(0, None))
    close(pairwise(numtorch)(x, y), pairwise(torch)(tx, ty))
    close(pairwise(numtorch)(x, y), x @ y.t())
    per_pair = NF.vmap(NF.vmap(NF.grad(lambda a, b: (a * b).sin().sum())), in_dims=(0, 0))
    tper_pair = TF.vmap(TF.vmap(TF.grad(lambda a, b: (a * b).sin().sum())), in_dims=(0, 0))
    xx, txx = x.reshape(2, 2, 3), tx.reshape(2, 2, 3)
    close(per_pair(xx, xx * 2), tper_pair(txx, txx * 2))


def test_ops_beyond_op_db():
    (x,), (tx,) = _pairs((4, 3))
    idx = [0, 2, 1, 0]
    cases = [
        lambda lib, t: lib.func.vmap(lambda a, i: a[i])(t, lib.tensor(idx)),
        lambda lib, t: lib.func.vmap(lambda a: a[[2, 0]])(t),
        lambda lib, t: lib.func.vmap(lambda a: lib.cat([a, a[:1]]))(t),
        lambda lib, t: lib.func.vmap(lambda a: a.clone().mul_(2).add_(1))(t),
        lambda lib, t: lib.func.vmap(lambda a: lib.where(a > 0, a, a * 0.1))(t),
        lambda lib, t: lib.func.vmap(lambda a: a + lib.zeros(3, dtype=lib.float64))(t),
        lambda lib, t: lib.func.vmap(lambda a: lib.nn.functional.gelu(a))(t),
        lambda lib, t: lib.func.vmap(lambda a: lib.einsum("i,j->ij", a, a))(t),
    ]
    for case in cases:
        close(case(numtorch, x), case(torch, tx))

    def setitem(lib):
        def f(a):
            b = a.clone()
            b[1] = a[0] * 3
            return b
        return lib.func.vmap(f)
    close(setitem(numtorch)(x), setitem(torch)(tx))
    emb, temb = numtorch.nn.Embedding(6, 2), torch.nn.Embedding(6, 2)
    emb.weight.data = numtorch.tensor(temb.weight.detach().numpy())
    ids = np.array([[1, 5], [3, 3], [0, 2]])
    close(NF.vmap(emb)(numtorch.tensor(ids)), TF.vmap(temb)(torch.tensor(ids)))


# ---- randomness ---------------------------------------------------------------------------------
def test_randomness():
    x = numtorch.zeros(4, 3)
    for lib, t in ((numtorch, x), (torch, torch.zeros(4, 3))):
        rand, dropout = lib.rand, lib.nn.functional.dropout
        with pytest.raises(RuntimeError):
            lib.func.vmap(lambda a, rand=rand: a + rand(3))(t)
        with pytest.raises(RuntimeError):
            lib.func.vmap(lambda a, dropout=dropout: dropout(a, 0.5))(t)
        with pytest.raises(RuntimeError):
            lib.func.vmap(lambda a: a, randomness="sometimes")(t)
    same = NF.vmap(lambda a: a + numtorch.rand(3), randomness="same")(x)
    assert np.array_equal(same.numpy(), np.broadcast_to(same.numpy()[0], (4, 3)))
    diff = NF.vmap(lambda a: a + numtorch.randn(3), randomness="different")(x)
    assert len({tuple(r) for r in diff.numpy().tolist()}) == 4
    like = NF.vmap(lambda a: numtorch.rand_like(a), randomness="different")(x)
    assert like.shape == (4, 3) and len({tuple(r) for r in like.numpy().tolist()}) == 4
    drop = NF.vmap(lambda a: numtorch.nn.functional.dropout(a + 1, 0.5),
                   randomness="different")(numtorch.zeros(50, 20))
    assert set(np.unique(drop.numpy())) <= {0.0, 2.0} and 0.3 < (drop.numpy() == 0).mean() < 0.7


# ---- custom Functions ---------------------------------------------------------------------------
def _functions(lib):
    class Old(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

    class CubeGen(Cube):
        generate_vmap_rule = True

    class CubeRule(Cube):
        @staticmethod
        def vmap(info, in_dims, x):
            calls.append((info.batch_size, in_dims))
            return CubeRule.apply(x), in_dims[0]

    class Both(CubeRule):
        generate_vmap_rule = True
    calls = []
    return Old, Cube, CubeGen, CubeRule, Both, calls


def test_custom_functions_under_vmap():
    (x,), (tx,) = _pairs((4, 3))
    ours, theirs = _functions(numtorch), _functions(torch)
    for lib, fns, t in ((numtorch, ours, x), (torch, theirs, tx)):
        old, cube, _, _, both, _ = fns
        with pytest.raises(RuntimeError):
            lib.func.vmap(old.apply)(t)
        with pytest.raises(RuntimeError):
            lib.func.grad(lambda a, old=old: old.apply(a).sum())(t[0])
        with pytest.raises(RuntimeError):
            lib.func.vmap(cube.apply)(t)
        with pytest.raises(RuntimeError):
            lib.func.vmap(both.apply)(t)
    for fn, tfn in ((ours[2], theirs[2]), (ours[3], theirs[3])):
        # generated rule, own vmap rule: values and per-example gradients
        close(NF.vmap(fn.apply)(x), TF.vmap(tfn.apply)(tx))
        close(NF.vmap(NF.grad(lambda a, fn=fn: fn.apply(a).sum()))(x),
              TF.vmap(TF.grad(lambda a, tfn=tfn: tfn.apply(a).sum()))(tx))
    assert ours[5] and ours[5][0] == (4, (0,))


# ---- errors -------------------------------------------------------------------------------------
def test_errors_match_torch():
    (x, y5), (tx, ty5) = _pairs((4, 3), (5, 3))
    cases = [
        lambda lib, a, b: lib.func.vmap(lambda p: p * 2, out_dims=None)(a),
        lambda lib, a, b: lib.func.vmap(lambda p: (p, 3))(a),
        lambda lib, a, b: lib.func.vmap(lambda p, q: p, in_dims=(0,))(a, a),
        lambda lib, a, b: lib.func.vmap(lambda p: p, in_dims=2)(a),
        lambda lib, a, b: lib.func.vmap(lambda p, q: p + q)(a, b),
        lambda lib, a, b: lib.func.vmap(lambda p, q: p)(a, 3.0),
        lambda lib, a, b: lib.func.vmap(lambda: 1)(),
        lambda lib, a, b: lib.func.vmap(lambda p: p, in_dims=None)(a),
        lambda lib, a, b: lib.func.vmap(lambda p: p.sum().item())(a),
        lambda lib, a, b: lib.func.vmap(lambda p: p if p.sum() > 0 else -p)(a),
        lambda lib, a, b: lib.func.vmap(lambda p: lib.zeros(3, dtype=p.dtype).add_(p))(a),
        lambda lib, a, b: lib.func.vmap(lambda p: p, out_dims=3)(a),
        lambda lib, a, b: lib.func.vmap(lambda p: p, chunk_size=0)(a),
        lambda lib, a, b: lib.func.vmap(lambda p: p, in_dims=1.0)(a),
        lambda lib, a, b: lib.func.vmap(lambda p: p[p > 0])(a),
    ]
    for case in cases:
        with pytest.raises(Exception) as theirs:
            case(torch, tx, ty5)
        with pytest.raises(type(theirs.value)):
            case(numtorch, x, y5)


def test_batch_norm_in_training_mode():
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)).double()
    m, tm = build(numtorch), build(torch)
    _same_weights(m, tm)
    a = np.random.default_rng(4).standard_normal((2, 5, 3))
    for lib, mod, x in ((numtorch, m, numtorch.tensor(a)), (torch, tm, torch.tensor(a))):
        with pytest.raises(RuntimeError):  # the running statistics are not batched
            lib.func.vmap(mod)(x)
    NF.replace_all_batch_norm_modules_(m)
    TF.replace_all_batch_norm_modules_(tm)
    assert m[1].running_mean is None and not m[1].track_running_stats
    close(numtorch.vmap(m)(numtorch.tensor(a)), torch.vmap(tm)(torch.tensor(a)))


def test_per_example_gradients_attention_model():
    def build(lib):
        lib.manual_seed(0)

        class Tiny(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = lib.nn.Embedding(11, 8)
                self.att = lib.nn.MultiheadAttention(8, 2, batch_first=True)
                self.ln = lib.nn.LayerNorm(8)
                self.out = lib.nn.Linear(8, 11)

            def forward(self, ids):
                h = self.emb(ids)
                return self.out(self.ln(h + self.att(h, h, h)[0]))
        return Tiny().double()
    m, tm = build(numtorch), build(torch)
    _same_weights(m, tm)
    rng = np.random.default_rng(5)
    ids, tgt = rng.integers(0, 11, (4, 5)), rng.integers(0, 11, (4, 5))

    def loss(lib, mod):
        def f(p, i, t):
            logits = lib.func.functional_call(mod, p, (i.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(logits.reshape(-1, 11), t)
        return f
    ours = NF.vmap(NF.grad(loss(numtorch, m)), in_dims=(None, 0, 0))(
        {k: v.detach() for k, v in m.named_parameters()}, numtorch.tensor(ids),
        numtorch.tensor(tgt))
    theirs = TF.vmap(TF.grad(loss(torch, tm)), in_dims=(None, 0, 0))(
        {k: v.detach() for k, v in tm.named_parameters()}, torch.tensor(ids), torch.tensor(tgt))
    for k in theirs:
        close(ours[k], theirs[k])
