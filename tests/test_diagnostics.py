"""Diagnostics for custom Functions: parameter names and call sites in gradient-contract errors,
the ctx-attribute warning, and ctx.retain_graph / ctx.create_graph inside backward."""
from __future__ import annotations

import sys
import warnings

import pytest

import numtorch
from numtorch.autograd import Function, check_functions, detect_anomaly
from numtorch.autograd import check_mode as cm


@pytest.fixture(autouse=True)
def fresh_cache():
    cm._checked.clear()
    yield
    cm._checked.clear()


class TooFew(Function):
    @staticmethod
    def forward(ctx, x, weight):
        return x * weight

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class NotATensor(Function):
    @staticmethod
    def forward(ctx, x, scale):
        return x * scale

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.numpy(), None


class BadShape(Function):
    @staticmethod
    def forward(ctx, x, weight):
        return x * weight

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output[:1, :1].expand(5, 5)


class GradForNumber(Function):
    @staticmethod
    def forward(ctx, x, scale):
        return x * scale

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class SeesPassOptions(Function):
    seen: list = []

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        SeesPassOptions.seen.append((ctx.retain_graph, ctx.create_graph))
        return grad_output * 2


def leaves():
    return numtorch.ones(2, 3, requires_grad=True), numtorch.ones(2, 3, requires_grad=True)


def test_wrong_count_lists_parameters():
    y = TooFew.apply(*leaves()).sum()
    line = sys._getframe().f_lineno - 1
    with pytest.raises(RuntimeError, match=r"expected 2, got 1.*input 0 \('x'\), input 1 "
                                           r"\('weight'\)") as info:
        y.backward()
    # the place of the apply call is recorded for every user Function, not only in check mode
    assert f"applied at {__file__}:{line}" in str(info.value)


def test_non_tensor_gradient_names_parameter():
    x = numtorch.ones(3, requires_grad=True)
    y = NotATensor.apply(x, 2.0).sum()
    with pytest.raises(RuntimeError, match=r"ndarray.*input 0 \('x'\).*as_tensor"):
        y.backward()


def test_gradient_for_a_number_names_parameter():
    x = numtorch.ones(3, requires_grad=True)
    y = GradForNumber.apply(x, 2.0).sum()
    with pytest.raises(RuntimeError, match=r"position 2.*input 1 \('scale'\)"):
        y.backward()


def test_bad_shape_names_parameter():
    y = BadShape.apply(*leaves()).sum()
    with pytest.raises(RuntimeError, match=r"\[5, 5\].*\[2, 3\].*input 1 \('weight'\)"):
        y.backward()


def test_check_mode_names_the_call_site():
    with check_functions(), pytest.raises(RuntimeError) as info:
        TooFew.apply(*leaves())
    assert "applied at" in str(info.value) and "test_diagnostics.py" in str(info.value)


def test_anomaly_mode_names_the_call_site():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anomaly mode's own "slows training" warning
        with detect_anomaly(check_nan=False):
            y = TooFew.apply(*leaves()).sum()
        with pytest.raises(RuntimeError, match=r"applied at .*test_diagnostics.py:\d+"):
            y.backward()


def stores_on_ctx():
    class StoresOnCtx(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2
    return StoresOnCtx


def test_tensor_stored_on_ctx_warns_in_check_mode():
    x = numtorch.ones(3, requires_grad=True)
    fn = stores_on_ctx()
    with check_functions(), \
            pytest.warns(UserWarning, match=r"StoresOnCtx.*ctx\.x.*save_for") as w:
        fn.apply(x)
    assert w[0].filename == __file__  # points at the apply call
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fn.apply(x)  # once per class: later calls cost a set lookup


def test_tensor_stored_on_ctx_warns_without_check_mode():
    x = numtorch.ones(3, requires_grad=True)
    with pytest.warns(UserWarning, match=r"StoresOnCtx.*ctx\.x.*applied at") as w:
        stores_on_ctx().apply(x)
    assert w[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stores_on_ctx().apply(x.detach())  # nothing requires grad: nothing recorded, no warning


def test_ctx_sees_retain_graph_and_create_graph():
    SeesPassOptions.seen.clear()
    x = numtorch.ones(3, requires_grad=True)
    SeesPassOptions.apply(x).sum().backward()
    SeesPassOptions.apply(x).sum().backward(retain_graph=True)
    numtorch.autograd.grad(SeesPassOptions.apply(x).sum(), x, create_graph=True)
    assert SeesPassOptions.seen == [(False, False), (True, False), (True, True)]
