"""Generic op tests driven from op_db: forward values and dtypes, gradients and second
derivatives against PyTorch, float64 finite differences, and error types."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
from conftest import CUDA_ALL_DTYPES, DEVICES, REAL_GPU, require_torch
from op_db import ALL, OPS, Const, Maker

torch = require_torch()


# ---- converting samples ---------------------------------------------------------------------

def _convert(lib, a, grad_inputs, requires_grad, device="cpu"):
    """A sample argument as ``lib``'s value on ``device``; float arrays become leaves that may
    require grad."""
    if isinstance(a, np.ndarray):
        t = lib.from_numpy(a)  # shares the sample's memory and strides (non-contiguous)
        if device != "cpu":
            t = t.to(device)
        if requires_grad and a.dtype.kind == "f":
            t.requires_grad_(True)
            grad_inputs.append(t)
        return t
    if isinstance(a, Const):
        return lib.from_numpy(a.array.copy()).to(device)
    if isinstance(a, tuple):
        return tuple(_convert(lib, p, grad_inputs, requires_grad, device) for p in a)
    return a


def build(lib, sample, requires_grad=False, device="cpu"):
    """(args, differentiable inputs) for ``lib``, with the tensors on ``device``."""
    inputs = []
    args = tuple(_convert(lib, a, inputs, requires_grad, device) for a in sample.args)
    return args, inputs


def dtype_name(d) -> str:
    return str(d).split(".")[-1]


def as_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)  # force: torch may give a ZeroTensor
    return np.asarray(t.detach().cpu().numpy())


def assert_close(ours, theirs, tol, what):
    assert isinstance(ours, numtorch.Tensor), f"{what}: got {type(ours).__name__}"
    assert tuple(ours.shape) == tuple(theirs.shape), \
        f"{what}: shape {tuple(ours.shape)} != torch's {tuple(theirs.shape)}"
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), \
        f"{what}: dtype {ours.dtype} != torch's {theirs.dtype}"
    rtol, atol = tol
    np.testing.assert_allclose(as_numpy(ours), as_numpy(theirs), rtol=rtol, atol=atol,
                               equal_nan=True, err_msg=what)


def tol_for(op, dtype):
    """(rtol, atol) for results of ``dtype`` (a name or a dtype): integer and bool results
    must match exactly."""
    return op.tol.get(dtype_name(dtype), (0, 0))


def device_cases(dtypes=None, cuda_dtypes=("float32",)):
    """pytest parameters (op, dtype, sample, device): every case on the CPU; on 'cuda' every
    case with a real GPU (see conftest), else (fake_cupy) only ``cuda_dtypes``, to keep the
    suite fast."""
    params = []
    for device in DEVICES:
        for p in cases(dtypes):
            op, dtype, sample = p.values
            if device == "cuda" and not CUDA_ALL_DTYPES and dtype not in cuda_dtypes:
                continue
            params.append(pytest.param(op, dtype, sample, device, id=f"{p.id}-{device}"))
    return params


def on_device(tol, device):
    """Tolerances on ``device``: a real GPU sums floats in another order (cuBLAS, its
    reductions), so inexact comparisons get 100 times the slack there; exact ones stay exact."""
    if device == "cuda" and REAL_GPU and tol != (0, 0):
        return tol[0] * 100, tol[1] * 100
    return tol


def cases(dtypes=None, only=None, fd=False, field="samples"):
    """pytest parameters (op, dtype, sample) over the op database."""
    params = []
    for op in OPS:
        if only is not None and not only(op):
            continue
        gen = getattr(op, field)
        if gen is None:
            continue
        for dtype in (dtypes or op.dtypes):
            for sample in gen(Maker(dtype, op.domain)):
                if fd and not sample.fd:
                    continue
                params.append(pytest.param(op, dtype, sample,
                                           id=f"{op.name}-{dtype}-{sample.desc}"))
    return params


def call(fn, args):
    """(result, None) or (None, the exception)."""
    try:
        return fn(*args), None
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return None, e


# ---- forward ----------------------------------------------------------------------------------

@pytest.mark.parametrize("op,dtype,sample,device",
                         device_cases(cuda_dtypes=("float32", "int64")), indirect=["device"])
def test_forward_matches_torch(op, dtype, sample, device):
    before = [a.copy() for a in sample.args if isinstance(a, np.ndarray)]
    ours_args, _ = build(numtorch, sample, device=device)
    theirs_args, _ = build(torch, sample)
    expected, torch_error = call(op.ref(torch), theirs_args)
    if torch_error is not None:
        with pytest.raises(type(torch_error)):
            op.op(*ours_args)
        return
    out = op.op(*ours_args)
    if op.name not in ("equal", "allclose"):  # these give Python bools, wrapped on the CPU
        assert out.device.type == device, f"{op.name}: the result is on {out.device}"
    assert_close(out, expected, on_device(tol_for(op, expected.dtype), device),
                 f"{op.name}({sample.desc})")
    assert not out.requires_grad
    after = [a for a in sample.args if isinstance(a, np.ndarray)]
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b, err_msg="the op modified its input")


def test_dtype_sweep_covers_integers():
    # the database must keep exercising integer inputs, not only floats
    assert sum("int64" in op.dtypes for op in OPS) >= 20
    assert all(set(op.dtypes) <= set(ALL) for op in OPS)


# ---- backward ---------------------------------------------------------------------------------

def _grad_output(out, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=tuple(out.shape)).astype(dtype_name(out.dtype))


def _grads(lib, out, inputs, v, **kw):
    g = lib.from_numpy(v.copy()).to(out.device)
    return lib.autograd.grad(out, inputs, g, allow_unused=True, **kw)


@pytest.mark.parametrize("op,dtype,sample,device", device_cases(dtypes=("float32", "float64")),
                         indirect=["device"])
def test_backward_matches_torch(op, dtype, sample, device):
    ours_args, ours_inputs = build(numtorch, sample, requires_grad=True, device=device)
    theirs_args, theirs_inputs = build(torch, sample, requires_grad=True)
    expected, torch_error = call(op.ref(torch), theirs_args)
    if torch_error is not None:
        pytest.skip(f"torch rejects this sample: {torch_error}")
    out = op.op(*ours_args)
    assert out.requires_grad == expected.requires_grad, "requires_grad differs from torch's"
    if not expected.requires_grad:
        assert out.grad_fn is None
        return
    if op.same_name and sample.same_name:
        assert out.grad_fn.name() == expected.grad_fn.name()
    assert out.is_leaf is False
    v = _grad_output(expected)
    ours = _grads(numtorch, out, ours_inputs, v)
    theirs = _grads(torch, expected, theirs_inputs, v)
    assert len(ours) == len(theirs) == len(ours_inputs)
    for i, (g, h) in enumerate(zip(ours, theirs)):
        if h is None:
            assert g is None, f"input {i}: torch gives no gradient"
        else:
            assert g.device.type == device, f"grad of input {i} is on {g.device}"
            assert_close(g, h, on_device(tol_for(op, dtype), device), f"grad of input {i}")


def test_comparisons_do_not_require_grad():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    for r in (x == 1, x != 1, x < 1, x <= 1, x > 1, x >= 1):
        assert r.dtype == numtorch.bool
        assert not r.requires_grad and r.grad_fn is None


# ---- finite differences -----------------------------------------------------------------------

def numerical_grads(f, arrays, v, eps=1e-6):
    """Central differences of sum(f(arrays) * v) with respect to each array, element by
    element (arrays are perturbed in place and restored)."""
    grads = []
    for a in arrays:
        g = np.zeros(a.shape, np.float64)
        for idx in np.ndindex(a.shape):
            orig = a[idx]
            a[idx] = orig + eps
            plus = float((as_numpy(f()) * v).sum())
            a[idx] = orig - eps
            minus = float((as_numpy(f()) * v).sum())
            a[idx] = orig
            g[idx] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def test_numerical_grads_helper():
    # d/dx sum(x**3 * v) = 3 x**2 v
    x = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, 2.0, -1.0])
    (g,) = numerical_grads(lambda: numtorch.from_numpy(x) ** 3, [x], v)
    np.testing.assert_allclose(g, 3 * x**2 * v, rtol=1e-8)
    np.testing.assert_array_equal(x, [0.5, -1.0, 2.0])  # restored


@pytest.mark.parametrize("op,dtype,sample", cases(dtypes=("float64",), fd=True,
                                                  only=lambda op: op.differentiable))
def test_gradcheck_float64(op, dtype, sample):
    arrays = [a for a in sample.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if not arrays:
        pytest.skip("no differentiable input")
    args, inputs = build(numtorch, sample, requires_grad=True)
    out = op.op(*args)
    v = _grad_output(out)
    analytic = _grads(numtorch, out, inputs, v)
    # our from_numpy shares the sample's memory, so f sees the perturbed arrays
    numeric = numerical_grads(lambda: op.op(*build(numtorch, sample)[0]), arrays, v)
    for i, (g, n) in enumerate(zip(analytic, numeric)):
        got = np.zeros_like(n) if g is None else as_numpy(g)
        np.testing.assert_allclose(got, n, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{op.name}: gradient of input {i}")


# ---- double backward --------------------------------------------------------------------------

def _second_order(lib, op_fn, sample, seed=2):
    """Gradients of sum(grad(out, inputs, v) * w) with respect to the inputs and v, where v
    requires grad too, so ops whose gradient is linear in v are covered as well."""
    args, inputs = build(lib, sample, requires_grad=True)
    out = op_fn(*args)
    v = lib.from_numpy(_grad_output(out, seed=1)).requires_grad_(True)
    first = lib.autograd.grad(out, inputs, v, create_graph=True, allow_unused=True)
    rng = np.random.default_rng(seed)
    total = None
    for g in first:
        if g is None or not g.requires_grad:
            continue
        w = lib.from_numpy(rng.uniform(-1, 1, size=tuple(g.shape)).astype(dtype_name(g.dtype)))
        term = (g * w).sum()
        total = term if total is None else total + term
    if total is None:
        return first, None
    second = lib.autograd.grad(total, inputs + [v], allow_unused=True)
    return first, second


@pytest.mark.parametrize("op,dtype,sample", cases(dtypes=("float64",),
                                                  only=lambda op: op.differentiable
                                                  and op.gradgrad))
def test_double_backward_matches_torch(op, dtype, sample):
    if not sample.gradgrad:
        pytest.skip("torch's second derivative is NaN here")
    if not any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in sample.args):
        pytest.skip("no differentiable input")
    theirs_first, theirs = _second_order(torch, op.ref(torch), sample)
    ours_first, ours = _second_order(numtorch, op.op, sample)
    for g, h in zip(ours_first, theirs_first):
        if h is not None:
            assert_close(g, h, tol_for(op, dtype), "first-order gradient")
    if theirs is None:
        assert ours is None or all(g is None or not g.abs().sum().item() for g in ours)
        return
    assert ours is not None, "torch's first-order gradients depend on the inputs; ours don't"
    for i, (g, h) in enumerate(zip(ours, theirs)):
        if g is None or h is None:
            other = g if h is None else h
            assert other is None or not as_numpy(other).any(), \
                f"second-order gradient {i}: one side has none, the other is not zero"
            continue
        assert_close(g, h, tol_for(op, dtype), f"second-order gradient of input {i}")


# ---- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("op,dtype,sample", cases(dtypes=("float32",), field="errors"))
def test_error_type_matches_torch(op, dtype, sample):
    theirs_args, _ = build(torch, sample)
    _, torch_error = call(op.ref(torch), theirs_args)
    assert torch_error is not None, f"torch accepts {sample.desc}: fix the error sample"
    ours_args, _ = build(numtorch, sample)
    with pytest.raises(type(torch_error)):
        op.op(*ours_args)
