"""Arrays a custom Function saves for backward are read-only while saved (no mode needed)."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import numtorch
from numtorch.autograd import Function


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return 2 * x * grad_output


class ClobbersSavedInForward(Function):
    """The classic bug: save the input, then overwrite it through NumPy."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        a = x.numpy()
        a[a < 0] = 0  # writes into the saved input's memory
        return numtorch.from_numpy(a.copy())

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * (x > 0)


def leaf(*values):
    return numtorch.tensor(values, requires_grad=True)


def test_numpy_write_to_saved_input_names_the_function():
    x = leaf(1.0, -2.0, 3.0)
    y = Square.apply(x)
    with pytest.raises(ValueError, match=r"read-only.*Square\.forward saved"):
        x.detach().numpy()[0] = 5.0
    with pytest.raises(ValueError, match="Square"):
        x.detach().numpy()[1:][0] = 5.0  # a slice of the handed-out view: named too
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    x.detach().numpy()[0] = 5.0  # backward released it
    assert x.detach().numpy()[0] == 5.0
    assert type(x.detach().numpy()) is np.ndarray


def test_write_in_forward_fails_at_that_line():
    x = numtorch.tensor([1.0, -2.0]) * 1  # not a leaf: numpy() is allowed under grad mode
    x.requires_grad_(False)
    w = leaf(1.0, 1.0)
    with pytest.raises(ValueError, match="ClobbersSavedInForward.forward saved"):
        ClobbersSavedInForward.apply(x * w.detach() + 0 * w)


def test_graph_dropped_without_backward_releases():
    x = leaf(1.0, 2.0)
    y = Square.apply(x)
    assert not x.detach().numpy().flags.writeable
    del y
    gc.collect()
    assert x.detach().numpy().flags.writeable


def test_builtins_do_not_lock_and_no_grad_does_not_lock():
    x = leaf(1.0, 2.0)
    y = x * x  # a built-in op saves x: not locked (numtorch's version counter covers it)
    assert x.detach().numpy().flags.writeable
    with numtorch.no_grad():
        Square.apply(x)
    assert x.detach().numpy().flags.writeable
    del y


def test_inplace_ops_and_optimizers_still_write_and_version_check_reports():
    w = numtorch.nn.Parameter(numtorch.tensor([1.0, 2.0]))
    opt = numtorch.optim.SGD([w], lr=0.1)
    loss = Square.apply(w).sum()
    loss.backward(retain_graph=True)  # the graph, and so the lock, are kept
    opt.step()  # writes the parameter: allowed, and counted as an in-place change
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    x = leaf(1.0, 2.0) * 1
    y = Square.apply(x)
    with numtorch.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
