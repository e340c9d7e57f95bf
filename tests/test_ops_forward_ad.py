"""Forward-mode AD for every op in op_db: tangents against torch.autograd.forward_ad on the same
inputs and tangents, and jvp-vs-vjp consistency (<J t, u> == <t, J^T u>) per op."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
import numtorch.autograd.forward_ad as fw
from conftest import require_torch
from op_db import OPS, Const, Maker

torch = require_torch()
tfw = torch.autograd.forward_ad

SAMPLES_PER_OP = 2


def _float_array(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _tangents(sample, seed=3):
    """A random tangent for every floating-point array argument (also inside tuples)."""
    rng = np.random.default_rng(seed)

    def one(a):
        if isinstance(a, tuple):
            return tuple(one(p) for p in a)
        return rng.uniform(-1, 1, size=a.shape) if _float_array(a) else None
    return [one(a) for a in sample.args]


def _flat(tangents):
    for t in tangents:
        if isinstance(t, tuple):
            yield from _flat(t)
        elif t is not None:
            yield t


def _cases():
    params = []
    for op in OPS:
        if not op.differentiable:
            continue
        samples = op.samples(Maker("float64", op.domain))
        samples = [s for s in samples if any(True for _ in _flat(_tangents(s)))]
        for sample in samples[:SAMPLES_PER_OP]:
            params.append(pytest.param(op, sample, id=f"{op.name}-{sample.desc}"))
    return params


CASES = _cases()


def _convert(lib, a, t, dual, inputs):
    if isinstance(a, np.ndarray):
        x = lib.from_numpy(a.copy())
        if t is not None:
            inputs.append(x)
            if dual:
                x = dual.make_dual(x, lib.from_numpy(np.asarray(t, dtype=a.dtype)))
        return x
    if isinstance(a, Const):
        return lib.from_numpy(a.array.copy())
    if isinstance(a, tuple):
        return tuple(_convert(lib, p, tp, dual, inputs) for p, tp in zip(a, t or (None,) * len(a)))
    return a


def _outputs(out):
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if hasattr(o, "dtype") and o.dtype.is_floating_point]


def _np(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)
    return np.asarray(t.detach().numpy())


def _forward_tangents(lib, dual, op_fn, sample, tangents):
    """(primal outputs as arrays, their tangents as arrays or None) under a dual level."""
    with dual.dual_level():
        inputs = []
        args = tuple(_convert(lib, a, t, dual, inputs) for a, t in zip(sample.args, tangents))
        outs = _outputs(op_fn(*args))
        result = []
        for o in outs:
            p, t = dual.unpack_dual(o)
            result.append((_np(p), None if t is None else _np(t)))
    return result


def _torch_tangents(op, sample, tangents):
    try:
        return _forward_tangents(torch, tfw, op.ref(torch), sample, tangents)
    except (NotImplementedError, RuntimeError) as e:
        pytest.skip(f"torch has no forward-mode AD here: {str(e)[:80]}")


@pytest.mark.parametrize("op,sample", CASES)
def test_forward_ad_matches_torch(op, sample):
    tangents = _tangents(sample)
    theirs = _torch_tangents(op, sample, tangents)
    ours = _forward_tangents(numtorch, fw, op.op, sample, tangents)
    assert len(ours) == len(theirs)
    for i, ((p, t), (tp, tt)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(p, tp, rtol=1e-7, atol=1e-9, err_msg=f"primal {i}")
        if tt is None:
            assert t is None or not np.abs(t).sum(), f"output {i}: torch's tangent is zero"
            continue
        assert t is not None, f"output {i}: no tangent, torch has one"
        assert t.shape == tt.shape, f"output {i}: tangent shape"
        np.testing.assert_allclose(t, tt, rtol=1e-7, atol=1e-9, err_msg=f"tangent {i}")


@pytest.mark.parametrize("op,sample", CASES)
def test_jvp_agrees_with_vjp(op, sample):
    # <J t, u> computed by forward mode must equal <t, J^T u> computed by reverse mode
    tangents = _tangents(sample)
    jt = _forward_tangents(numtorch, fw, op.op, sample, tangents)
    inputs = []
    args = tuple(_convert(numtorch, a, t, None, inputs) for a, t in zip(sample.args, tangents))
    for x in inputs:
        x.requires_grad_(True)
    outs = [o for o in _outputs(op.op(*args)) if o.requires_grad]
    if not outs:
        pytest.skip("no differentiable output")
    rng = np.random.default_rng(5)
    us = [rng.uniform(-1, 1, size=tuple(o.shape)) for o in outs]
    grads = numtorch.autograd.grad(outs, inputs, [numtorch.from_numpy(u) for u in us],
                                   allow_unused=True)
    lhs = sum(float((t * u).sum()) for (_, t), u in zip(jt, us) if t is not None)
    ts = list(_flat(tangents))
    rhs = sum(float((_np(g) * t).sum()) for g, t in zip(grads, ts) if g is not None)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-8, atol=1e-9)


def test_every_differentiable_op_is_covered():
    assert len(CASES) > 300


def _forward_over_reverse(lib, dual, op_fn, sample, tangents):
    """Tangents of the gradients grad(out, inputs, u) taken inside a dual level: Hessian
    (or mixed second derivative) times the tangent, as jacfwd(jacrev(f)) computes it."""
    with dual.dual_level():
        inputs = []
        args = tuple(_convert(lib, a, t, None, inputs) for a, t in zip(sample.args, tangents))
        for x in inputs:
            x.requires_grad_(True)
        duals = iter([dual.make_dual(x, lib.from_numpy(np.asarray(t)))
                      for x, t in zip(inputs, _flat(tangents))])
        args = tuple(_swap(a, inputs, duals) for a in args)
        outs = [o for o in _outputs(op_fn(*args)) if o.requires_grad]
        if not outs:
            return None
        rng = np.random.default_rng(5)
        us = [lib.from_numpy(rng.uniform(-1, 1, size=tuple(o.shape))) for o in outs]
        # create_graph: torch's own tangents are only right with it (det, solve, ...)
        grads = lib.autograd.grad(outs, inputs, us, allow_unused=True, create_graph=True)
        result = []
        for g, x in zip(grads, inputs):
            t = None if g is None else dual.unpack_dual(g).tangent
            result.append(np.zeros(tuple(x.shape)) if t is None else _np(t))
    return result


def _swap(a, inputs, duals):
    if isinstance(a, tuple):
        return tuple(_swap(p, inputs, duals) for p in a)
    return next(duals) if any(a is x for x in inputs) else a


@pytest.mark.parametrize("op,sample", [c for c in CASES if c.values[0].gradgrad][::2])
def test_forward_over_reverse_matches_torch(op, sample):
    tangents = _tangents(sample)
    try:
        theirs = _forward_over_reverse(torch, tfw, op.ref(torch), sample, tangents)
    except (NotImplementedError, RuntimeError) as e:
        pytest.skip(f"torch has no forward-over-reverse here: {str(e)[:80]}")
    ours = _forward_over_reverse(numtorch, fw, op.op, sample, tangents)
    if theirs is None:
        return
    for i, (g, h) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(g, h, rtol=1e-6, atol=1e-8, err_msg=f"input {i}")
