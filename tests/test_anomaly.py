"""Anomaly detection: switches, the NaN check, forward tracebacks, compared with PyTorch."""
from __future__ import annotations

import warnings

import pytest

import numtorch
from conftest import require_torch

torch = require_torch()
LIBS = [numtorch, torch]


def nan_function(lib):
    class NaNBackward(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    return NaNBackward


def raising_function(lib):
    class Raises(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("bug in backward")

    return Raises


@pytest.fixture(autouse=True)
def _restore():
    yield
    numtorch.autograd.set_detect_anomaly(False)
    torch.autograd.set_detect_anomaly(False)


@pytest.mark.parametrize("lib", LIBS, ids=["numtorch", "torch"])
def test_switches(lib):
    ag = lib.autograd
    # NOTE: torch has these two at the top level only; numtorch in numtorch.autograd
    enabled = getattr(lib, "is_anomaly_enabled", None) or ag.is_anomaly_enabled
    check_nan = getattr(lib, "is_anomaly_check_nan_enabled", None) \
        or ag.is_anomaly_check_nan_enabled
    assert not enabled()
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled.*debugging"):
        mode = ag.detect_anomaly(check_nan=False)
    with mode:
        assert enabled() and not check_nan()
    assert not enabled() and check_nan()
    ag.set_detect_anomaly(True)
    assert enabled()
    with ag.set_detect_anomaly(False):
        assert not enabled()
    assert enabled()
    ag.set_detect_anomaly(False)

    if lib is torch:
        return  # NOTE: torch's detect_anomaly is no decorator; numtorch's is
    with pytest.warns(UserWarning):
        @ag.detect_anomaly()
        def inside():
            return enabled()

    assert inside() and not enabled()


def _line_of(marker: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if marker in line)


@pytest.mark.parametrize("lib", LIBS, ids=["numtorch", "torch"])
def test_nan_in_backward_raises(lib):
    x = lib.ones(3, requires_grad=True)
    with warnings.catch_warnings(record=True), lib.autograd.detect_anomaly():
        y = nan_function(lib).apply(x).sum()  # forward-site
        with pytest.raises(RuntimeError, match="returned nan values in its 0th output") as info:
            y.backward()
    if lib is numtorch:
        msg = str(info.value)
        assert "Function 'NaNBackwardBackward'" in msg
        assert f"line {_line_of('# forward-site')}" in msg and "test_anomaly.py" in msg


@pytest.mark.parametrize("lib", LIBS, ids=["numtorch", "torch"])
def test_nan_unchecked(lib):
    x = lib.ones(3, requires_grad=True)
    nan_function(lib).apply(x).sum().backward()  # off: no error
    assert lib.isnan(x.grad).all()
    with warnings.catch_warnings(record=True), lib.autograd.detect_anomaly(check_nan=False):
        nan_function(lib).apply(x).sum().backward()


def test_builtin_op_nan_names_node():
    x = numtorch.zeros(2, requires_grad=True)
    with warnings.catch_warnings(record=True), numtorch.autograd.detect_anomaly():
        y = x.sqrt() * 0  # d sqrt at 0 is inf; inf * 0 = nan
        with pytest.raises(RuntimeError, match="'SqrtBackward0' returned nan"):
            y.sum().backward()


@pytest.mark.parametrize("lib", LIBS, ids=["numtorch", "torch"])
def test_error_in_backward_shows_forward_trace(lib):
    x = lib.ones(3, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught, lib.autograd.detect_anomaly():
        warnings.simplefilter("always")
        y = raising_function(lib).apply(x).sum()  # raising-site
        with pytest.raises(ValueError, match="bug in backward") as info:
            y.backward()
    messages = [str(w.message) for w in caught]
    assert any("Error detected in RaisesBackward" in m for m in messages)
    if lib is numtorch:
        line = f"line {_line_of('# raising-site')}"
        assert any(line in m for m in messages)
        assert any(line in note for note in info.value.__notes__)


def test_no_trace_recorded_when_off():
    x = numtorch.ones(3, requires_grad=True)
    y = x * 2
    assert getattr(y.grad_fn, "_anomaly_trace", None) is None
    with warnings.catch_warnings(record=True), numtorch.autograd.detect_anomaly():
        z = x * 2
        w = y * 1  # created inside, on a node created outside
    assert z.grad_fn._anomaly_trace is not None
    nan_out = nan_function(numtorch).apply(x)
    numtorch.autograd.set_detect_anomaly(True)
    try:
        with pytest.raises(RuntimeError, match="before anomaly detection was enabled"):
            (nan_out * 1 + w).sum().backward()
    finally:
        numtorch.autograd.set_detect_anomaly(False)


def test_ok_backward_unchanged_under_anomaly():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True), numtorch.autograd.detect_anomaly():
        (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_inf_in_backward_raises_numtorch_only():
    """numtorch also reports an infinite gradient (PyTorch checks NaN only)."""
    class InfBackward(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g / 0.0  # +inf for a positive grad_output

    x = numtorch.ones(3, requires_grad=True)
    with warnings.catch_warnings(record=True), numtorch.autograd.detect_anomaly():
        y = InfBackward.apply(x).sum()  # inf-site
        with pytest.raises(RuntimeError, match="'InfBackwardBackward' returned inf values") as e:
            y.backward()
    assert "inf-site" in str(e.value)
    # off: no error, the inf reaches .grad
    x2 = numtorch.ones(3, requires_grad=True)
    InfBackward.apply(x2).sum().backward()
    assert numtorch.isinf(x2.grad).all()
