"""The lean per-op paths of issue 7 (numbers given to NumPy as cached 0-d arrays, the engine
running a chain without its heap, one-output custom Functions recorded inline) keep PyTorch's
results: each case compares with torch, signs of zero and NaN included."""
from __future__ import annotations

import operator
import subprocess
import sys

import numpy as np
import pytest

import numtorch
from conftest import require_torch

torch = require_torch()

NUMBERS = [0, 0.0, -0.0, 3, -7, 0.1, 1e-46, 1e39, 2 ** 40, float("nan"), float("inf")]
OPS = [operator.add, operator.sub, operator.mul, operator.lt, operator.le, operator.gt,
       operator.ge, operator.eq, operator.ne]


def _same(got, want, zero_sign=True):
    got, want = got.detach().numpy(), want.detach().numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    if zero_sign and got.dtype.kind == "f":  # the sign of a zero too
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
def test_tensor_and_number_match_torch(op, dtype):
    a = np.array([-2.5, -0.0, 0.0, 1.0, 3.0e4, np.inf], dtype=dtype)
    for v in NUMBERS:
        if dtype == "float16" and abs(v) > 65504 and v != float("inf"):
            continue  # NOTE: PyTorch computes float16 in float32, where such numbers are finite
        with np.errstate(over="ignore", invalid="ignore"):
            _same(op(numtorch.tensor(a), v), op(torch.tensor(a), v))


@pytest.mark.parametrize("bound", [0, -0.0, 0.5, float("nan")])
def test_clamp_with_one_number_bound_matches_torch(bound):
    a = np.array([-1.0, -0.0, 0.0, 0.25, np.nan], np.float32)
    for kw in ({"min": bound}, {"max": bound}):
        # NOTE: the sign of a zero result where x equals the bound is NumPy's maximum/minimum
        # (it was before these paths), not always PyTorch's
        _same(numtorch.tensor(a).clamp(**kw), torch.tensor(a).clamp(**kw), zero_sign=False)


@pytest.mark.parametrize("value", [0, -0.0, 2.5, float("nan"), 1e30, -7])
def test_masked_number_write_matches_torch(value):
    a = np.array([-1.0, 2.0, -3.0, 4.0], np.float32)
    x, tx = numtorch.tensor(a), torch.tensor(a)
    x[x < 0] = value
    tx[tx < 0] = value
    _same(x, tx)


def test_cached_number_is_not_written_through():
    # the same number used again after a write must still be the number
    x = numtorch.zeros(3)
    y = x + 2.0
    y.add_(1.0)
    z = numtorch.zeros(3) + 2.0
    np.testing.assert_array_equal(z.numpy(), [2.0, 2.0, 2.0])


def _hook_order(lib):
    order = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    a, b = y * 3, y * 4
    c = a.exp() + b
    for name, t in (("y", y), ("a", a), ("b", b), ("c", c)):
        t.register_hook(lambda g, name=name: order.append(name))
    c.sum().backward()
    return order, x.grad


def test_nodes_run_in_torch_order_when_several_are_ready():
    order, grad = _hook_order(numtorch)
    t_order, t_grad = _hook_order(torch)
    assert order == t_order
    np.testing.assert_allclose(grad.numpy(), t_grad.numpy(), rtol=1e-6)


def test_long_chain_backward_matches_torch():
    def run(lib):
        x = lib.tensor(np.linspace(-1, 1, 16, dtype=np.float32), requires_grad=True)
        a = lib.tensor(np.full(16, 0.9, np.float32))
        h = x
        for i in range(60):
            h = h * a if i % 3 == 0 else h + 0.1 if i % 3 == 1 else h.clamp(min=0)
        h.sum().backward()
        return x.grad
    _same(run(numtorch), run(torch))


def _functions(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.save_for_backward(out)  # an output saved: kept without a reference cycle
            return out

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * 2 + out * 0

    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 + 3 * g2

    class Same(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    return Twice, Split, Same


def test_custom_function_outputs_match_torch():
    results = []
    for lib in (numtorch, torch):
        twice, split, same = _functions(lib)
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        y = twice.apply(x)
        p, q = split.apply(y)
        s = same.apply(q)
        assert s is not q
        (p.sum() + s.sum()).backward()
        results.append((x.grad, [p.output_nr, q.output_nr, s.output_nr, y.output_nr],
                        type(s.grad_fn).__name__))
    (g, nrs, name), (tg, t_nrs, t_name) = results
    _same(g, tg)
    assert nrs == t_nrs
    assert name == t_name


def test_saved_output_leaves_no_cycle():
    import gc
    import weakref
    twice, _, _ = _functions(numtorch)
    gc.collect()
    gc.disable()
    try:
        y = twice.apply(numtorch.tensor([1.0], requires_grad=True))
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_builtin_nodes_know_which_inputs_need_a_gradient():
    # built-in forwards save only what backward needs from needs_input_grad (PyTorch's rule
    # for custom Functions: True where the input requires grad)
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    c = numtorch.tensor([3.0, 4.0])
    cases = [(x * c, (True, False)), (c * x, (False, True)), (x * x, (True, True)),
             (x.exp(), (True,)), (x.clamp(min=0), (True, False, False)),
             (x.sum(), (True, False, False, False))]
    for t, want in cases:
        assert tuple(t.grad_fn.needs_input_grad) == want, t.grad_fn
    with numtorch.no_grad():
        assert (x * c).grad_fn is None


def test_negative_zero_first_does_not_poison_the_number_cache():
    """A fresh process that meets -0.0 before 0.0: adding 0.0 to -0.0 must still give +0.0."""
    code = ("import numtorch as t; x = t.tensor([-0.0]); x + (-0.0); x * (-0.0); "
            "print((1 / (x + 0.0)).item(), (1 / (x * 0.0)).item())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    tx = torch.tensor([-0.0])
    assert [float(v) for v in out.stdout.split()] == [(1 / (tx + 0.0)).item(),
                                                       (1 / (tx * 0.0)).item()]
