"""The per-op fast paths (built-in apply, in-place writes, engine checks) keep PyTorch's results
and every error: each case compares with torch or asserts the error a slow path would raise."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
from conftest import require_torch

torch = require_torch()


def _pair(*shape, requires_grad=False, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return (numtorch.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_"])
@pytest.mark.parametrize("other", ["tensor", "int", "float", "broadcast", "float64"])
def test_inplace_writes_match_torch_and_bump_version(op, other):
    x, tx = _pair(3, 4)
    if other == "tensor":
        y, ty = _pair(3, 4, seed=1)
    elif other == "broadcast":
        y, ty = _pair(4, seed=1)
    elif other == "float64":
        y, ty = (t.double() for t in _pair(3, 4, seed=1))
    else:
        y = ty = 3 if other == "int" else -0.25
    memory, version = x._data, x._version
    assert getattr(x, op)(y) is x
    getattr(tx, op)(ty)
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-6)
    assert x._data is memory and x.dtype == numtorch.float32
    assert x._version == version + 1


def test_inplace_write_through_a_view_reaches_the_base():
    x, tx = _pair(4, 4)
    x.t().mul_(2.0)
    tx.t().mul_(2.0)
    np.testing.assert_allclose(x.numpy(), tx.numpy())


def test_inplace_write_into_an_expanded_tensor_still_raises():
    x = numtorch.ones(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="expand"):
        x.add_(numtorch.ones(2, 3))


def test_inplace_write_into_a_saved_tensor_is_still_caught():
    w, _ = _pair(3, requires_grad=True)
    h = w * 1.0
    y = (h * h).sum()
    with numtorch.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation|in-place"):
        y.backward()


def test_gradient_accumulation_adds_in_place_like_torch():
    w, tw = _pair(5, requires_grad=True)
    for lib_w in (w, tw):
        (lib_w * 2).sum().backward()
        (lib_w * lib_w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{"min": 0}, {"max": 0.5}, {"min": -0.5, "max": 0.5},
                                    {"min": float("nan")}])
def test_clamp_one_bound_matches_torch_nan_included(kwargs):
    a = np.array([-1.0, 0.0, 0.25, np.nan, 2.0], np.float32)
    x = numtorch.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    y, ty = x.clamp(**kwargs), tx.clamp(**kwargs)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_full_sum_backward_and_double_backward_match_torch():
    x, tx = _pair(2, 3, requires_grad=True)
    for lib, t in ((numtorch, x), (torch, tx)):
        (g,) = lib.autograd.grad((t * t).sum(), t, create_graph=True)
        (g * g).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_byte_and_bool_masks_still_index_like_torch():
    x, tx = _pair(6)
    for dtype in ("uint8", "bool"):
        mask = np.array([1, 0, 1, 0, 0, 1], dtype)
        y, ty = x.clone(), tx.clone()
        y[numtorch.tensor(mask)] = 0
        ty[torch.tensor(mask).bool()] = 0
        np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_freed_graph_reports_the_second_backward():
    x, _ = _pair(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert y.grad_fn.next_functions[0][0]._freed
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_user_function_gradients_are_still_checked():
    class Bad(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]  # cannot be summed to x's shape

    x, _ = _pair(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad"):
        Bad.apply(x).sum().backward()


def test_user_function_gradient_for_an_input_without_grad_is_dropped():
    class Both(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g, g  # y needs none: the engine drops it, as in PyTorch

    x, _ = _pair(3, requires_grad=True)
    y, _ = _pair(3, seed=1)
    Both.apply(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3, np.float32))
    assert y.grad is None
