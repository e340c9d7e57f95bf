"""Strict mode: the engine's silent repairs of a custom backward's gradients become errors."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
from numtorch.autograd import (
    Function,
    FunctionCheckError,
    check_functions,
    is_strict_mode_enabled,
    set_strict_mode,
    strict_mode,
)
from numtorch.autograd import check_mode as cm


class AddBias(Function):
    """x + bias with bias broadcast; backward leaves the bias gradient in the broadcast shape."""

    @staticmethod
    def forward(ctx, x, bias):
        return x + bias

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class AddBiasReduced(AddBias):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output.sum(0)


class Float64Grad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.to(numtorch.float64) * 2


def inputs():
    x = numtorch.ones(3, 4, requires_grad=True)
    bias = numtorch.zeros(4, requires_grad=True)
    return x, bias


def test_repairs_are_silent_without_strict_mode():
    x, bias = inputs()
    AddBias.apply(x, bias).sum().backward()
    np.testing.assert_array_equal(bias.grad.numpy(), np.full(4, 3.0))
    x = numtorch.ones(3, requires_grad=True)
    Float64Grad.apply(x).sum().backward()
    assert x.grad.dtype == numtorch.float32


def test_broadcast_gradient_raises_naming_parameter_shapes_and_fix():
    x, bias = inputs()
    y = AddBias.apply(x, bias).sum()
    with strict_mode(), pytest.raises(FunctionCheckError) as info:
        y.backward()
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "AddBiasBackward" in msg and "'bias'" in msg
    assert "[3, 4]" in msg and "[4]" in msg and "sum_to_size((4,))" in msg


def test_dtype_cast_raises_naming_both_dtypes():
    x = numtorch.ones(3, requires_grad=True)
    y = Float64Grad.apply(x).sum()
    with strict_mode(), pytest.raises(FunctionCheckError, match=r"float64.*'x'.*float32"):
        y.backward()


def test_correct_function_passes_in_strict_mode():
    x, bias = inputs()
    with strict_mode():
        AddBiasReduced.apply(x, bias).sum().backward()
        (x * bias).sum().backward()  # built-in ops keep their engine-side reduction
    np.testing.assert_array_equal(bias.grad.numpy(), np.full(4, 3.0) + 3.0)


def test_set_strict_mode_and_decorator():
    set_strict_mode(True)
    try:
        assert is_strict_mode_enabled()
        x, bias = inputs()
        with pytest.raises(FunctionCheckError):
            AddBias.apply(x, bias).sum().backward()
    finally:
        set_strict_mode(False)
    assert not is_strict_mode_enabled()

    @strict_mode()
    def run():
        x, bias = inputs()
        AddBias.apply(x, bias).sum().backward()

    with pytest.raises(FunctionCheckError):
        run()


def test_check_mode_implies_strict_mode():
    cm._checked.clear()
    x, bias = inputs()
    with check_functions(), pytest.raises(FunctionCheckError, match="'bias'"):
        AddBias.apply(x, bias)
    cm._checked.clear()
