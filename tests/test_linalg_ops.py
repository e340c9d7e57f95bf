"""linalg checks the generic op tests cannot express: named-tuple results, LinAlgError,
QR's mode='r', non-differentiable cases, and property tests of matmul and einsum shapes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
from conftest import require_torch

torch = require_torch()


def _both(array):
    return numtorch.from_numpy(array.copy()), torch.from_numpy(array.copy())


def _close(ours, theirs, rtol=1e-10, atol=1e-12):
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol)


rng = np.random.default_rng(0)


# ---- named tuples -------------------------------------------------------------------------

@pytest.mark.parametrize("name,fields,make", [
    ("slogdet", ("sign", "logabsdet"), lambda lib, a: lib.linalg.slogdet(a)),
    ("qr", ("Q", "R"), lambda lib, a: lib.linalg.qr(a)),
    ("svd", ("U", "S", "Vh"), lambda lib, a: lib.linalg.svd(a)),
    ("eigh", ("eigenvalues", "eigenvectors"), lambda lib, a: lib.linalg.eigh(a + a.mT)),
])
def test_named_tuple_fields(name, fields, make):
    ours_a, theirs_a = _both(rng.standard_normal((3, 3)))
    ours, theirs = make(numtorch, ours_a), make(torch, theirs_a)
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == len(fields)
    assert ours._fields == fields
    for f in fields:
        assert tuple(getattr(ours, f).shape) == tuple(getattr(theirs, f).shape)
    a, *_ = ours  # unpacks like a tuple
    assert a is ours[0]


def test_torch_slogdet_and_function_forms():
    a = rng.standard_normal((2, 3, 3))
    ours_a, theirs_a = _both(a)
    s, logabs = numtorch.slogdet(ours_a)
    ts, tl = torch.slogdet(theirs_a)
    _close(s, ts)
    _close(logabs, tl)
    _close(ours_a.det(), theirs_a.det())
    _close(numtorch.logdet(ours_a), torch.logdet(theirs_a))


# ---- errors PyTorch raises as torch.linalg.LinAlgError --------------------------------------

@pytest.mark.parametrize("call", [
    lambda lib, z: lib.linalg.inv(z),
    lambda lib, z: lib.linalg.solve(z, lib.ones(3, dtype=z.dtype)),
    lambda lib, z: lib.linalg.cholesky(z - 2 * lib.eye(3, dtype=z.dtype)),
])
def test_linalg_error(call):
    ours_z, theirs_z = _both(np.zeros((3, 3)))
    with pytest.raises(torch.linalg.LinAlgError):
        call(torch, theirs_z)
    with pytest.raises(numtorch.linalg.LinAlgError) as info:
        call(numtorch, ours_z)
    assert isinstance(info.value, RuntimeError)


def test_logdet_of_singular_matrix_is_minus_inf():
    ours_z, theirs_z = _both(np.zeros((2, 2)))
    assert numtorch.logdet(ours_z).item() == torch.logdet(theirs_z).item() == -np.inf
    _close(numtorch.linalg.det(ours_z), torch.linalg.det(theirs_z))


# ---- QR modes ---------------------------------------------------------------------------------

def test_qr_mode_r_gives_empty_q_and_no_gradient():
    a = rng.standard_normal((4, 3))
    ours_a, theirs_a = _both(a)
    ours_a.requires_grad_(True)
    q, r = numtorch.linalg.qr(ours_a, mode="r")
    tq, tr = torch.linalg.qr(theirs_a, mode="r")
    assert tuple(q.shape) == tuple(tq.shape) == (0,)
    _close(r.abs(), tr.abs())
    with pytest.raises(RuntimeError, match="mode='r'"):
        r.sum().backward()


def test_qr_complete_tall_is_not_differentiable():
    ours_a = numtorch.from_numpy(rng.standard_normal((4, 3))).requires_grad_(True)
    q, r = numtorch.linalg.qr(ours_a, mode="complete")
    assert tuple(q.shape) == (4, 4) and tuple(r.shape) == (4, 3)
    with pytest.raises(RuntimeError, match="complete"):
        (q * q).sum().backward()


def test_qr_rejects_unknown_mode():
    with pytest.raises(RuntimeError):
        torch.linalg.qr(torch.ones(2, 2), mode="full")
    with pytest.raises(RuntimeError):
        numtorch.linalg.qr(numtorch.ones(2, 2), mode="full")


# ---- gradient details ----------------------------------------------------------------------

def test_addmm_beta_zero_gives_input_a_zero_gradient():
    c = np.full((2, 2), np.nan)
    m = rng.standard_normal((2, 3))
    n = rng.standard_normal((3, 2))
    grads = []
    for lib in (numtorch, torch):
        ci, mi, ni = (lib.from_numpy(x.copy()).requires_grad_(True) for x in (c, m, n))
        out = lib.addmm(ci, mi, ni, beta=0)
        assert not np.isnan(out.detach().numpy()).any()
        out.sum().backward()
        grads.append(ci.grad)
    _close(*grads)


def test_svd_singular_values_only_use_uv():
    # a repeated singular value: the S-only gradient must stay finite (F has inf there)
    for lib in (numtorch, torch):
        a = lib.eye(3, dtype=lib.float64).requires_grad_(True)
        lib.linalg.svdvals(a).sum().backward()
        assert np.isfinite(a.grad.numpy()).all()
    ours = numtorch.eye(3, dtype=numtorch.float64).requires_grad_(True)
    numtorch.linalg.svdvals(ours).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), np.eye(3))


def test_matrix_rank_and_pinv():
    a = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 5))
    ours_a, theirs_a = _both(a)
    assert numtorch.linalg.matrix_rank(ours_a).item() == torch.linalg.matrix_rank(theirs_a)
    assert numtorch.linalg.matrix_rank(ours_a).dtype == numtorch.int64
    _close(numtorch.linalg.pinv(ours_a), torch.linalg.pinv(theirs_a), 1e-8, 1e-10)


def test_tensor_norm_forms():
    a = rng.standard_normal((3, 4))
    ours_a, theirs_a = _both(a)
    _close(ours_a.norm(), theirs_a.norm())
    _close(ours_a.norm(1, 1), theirs_a.norm(1, 1))
    _close(numtorch.norm(ours_a, "nuc"), torch.norm(theirs_a, "nuc"))
    _close(numtorch.norm(ours_a, dim=0, keepdim=True), torch.norm(theirs_a, dim=0, keepdim=True))


def test_cross_default_dim_is_first_of_size_3():
    a, b = rng.standard_normal((3, 3, 2)), rng.standard_normal((3, 3, 2))
    oa, ta = _both(a)
    ob, tb = _both(b)
    with pytest.warns(UserWarning):
        expected = torch.cross(ta, tb)
    _close(numtorch.cross(oa, ob), expected)


def test_einsum_takes_a_list_of_operands():
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    oa, ta = _both(a)
    ob, tb = _both(b)
    _close(numtorch.einsum("ij,jk", [oa, ob]), torch.einsum("ij,jk", [ta, tb]))


# ---- property tests ------------------------------------------------------------------------

@st.composite
def matmul_shapes(draw):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(st.lists(st.integers(1, 3), max_size=2))
    left = [draw(st.sampled_from([b, 1])) for b in batch]
    right = [draw(st.sampled_from([b, 1])) for b in batch][draw(st.integers(0, len(batch))):]
    x = (k,) if draw(st.booleans()) else (*left, n, k)
    y = (k,) if draw(st.booleans()) else (*right, k, m)
    if draw(st.integers(0, 5)) == 0:  # sometimes a mismatch
        y = y[:-2] + (k + 1,) + y[-1:] if len(y) > 1 else (k + 1,)
    return x, y


@settings(max_examples=60, deadline=None)
@given(matmul_shapes())
def test_matmul_shapes_and_errors_match_torch(shapes):
    xs, ys = shapes
    x, y = rng.standard_normal(xs), rng.standard_normal(ys)
    ox, tx = _both(x)
    oy, ty = _both(y)
    try:
        expected = torch.matmul(tx, ty)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            numtorch.matmul(ox, oy)
        return
    _close(numtorch.matmul(ox, oy), expected)


@st.composite
def einsum_cases(draw):
    letters = "abcd"
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    n_ops = draw(st.integers(1, 3))
    terms = [draw(st.lists(st.sampled_from(letters), min_size=0, max_size=3))
             for _ in range(n_ops)]
    used = sorted(set("".join("".join(t) for t in terms)))
    explicit = draw(st.booleans())
    out = draw(st.permutations(used))[:draw(st.integers(0, len(used)))] if explicit else None
    ell = draw(st.booleans())
    batch = (draw(st.integers(1, 2)),) if ell else ()
    eq = ",".join(("..." if ell else "") + "".join(t) for t in terms)
    if explicit:
        eq += "->" + ("..." if ell else "") + "".join(out)
    shapes = [batch + tuple(sizes[c] for c in t) for t in terms]
    return eq, shapes


@settings(max_examples=80, deadline=None)
@given(einsum_cases())
def test_einsum_matches_torch_with_gradients(case):
    eq, shapes = case
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = [numtorch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    theirs = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    expected = torch.einsum(eq, *theirs)
    out = numtorch.einsum(eq, *ours)
    _close(out, expected)
    v = rng.standard_normal(tuple(expected.shape))
    g_theirs = torch.autograd.grad(expected, theirs, torch.from_numpy(v.copy()),
                                   allow_unused=True)
    g_ours = numtorch.autograd.grad(out, ours, numtorch.from_numpy(v.copy()),
                                    allow_unused=True)
    for g, h in zip(g_ours, g_theirs):
        if h is None:
            assert g is None or not g.numpy().any()
        else:
            _close(g, h)


def test_eigh_gradient_is_symmetric_like_torchs():
    # eigh reads one triangle only; both libraries return the symmetric gradient anyway
    a = rng.standard_normal((2, 3, 3))
    grads = []
    for lib in (numtorch, torch):
        x = lib.from_numpy(a.copy()).requires_grad_(True)
        w, v = lib.linalg.eigh(x, UPLO="U")
        ((v ** 2) * lib.from_numpy(np.arange(9.0).reshape(3, 3))).sum().backward()
        grads.append(x.grad)
    _close(*grads, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(grads[0].numpy(), np.swapaxes(grads[0].numpy(), -1, -2))
