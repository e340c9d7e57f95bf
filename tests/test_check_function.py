"""check_function on correct custom Functions (all pass) and deliberately wrong ones."""
from __future__ import annotations

import pytest

import numtorch as torch
from numtorch.autograd import Function, GradcheckError, check_function, once_differentiable


class MyReLU(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class Mul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        gx = grad_output * y if ctx.needs_input_grad[0] else None
        gy = grad_output * x if ctx.needs_input_grad[1] else None
        return gx, gy


class OffByTwo(Mul):
    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return 2 * grad_output * y, grad_output * x


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.sum(0) * 3


class ForgottenInput(Mul):
    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * y


class InPlaceSaved(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        x.mul_(2)  # writes to the input it saved, without mark_dirty
        return x * 1

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 2


class NaNBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 2 * x * ((x - x) / (x - x))  # 0/0: NaN


class NumpyExp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        y, = ctx.saved_tensors
        return grad_output * y


class WrongDoubleBackward(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 3 * x.detach() * x.detach()  # right values, no second derivative


class ChattyMul(Mul):
    @staticmethod
    def backward(ctx, grad_output):  # ignores needs_input_grad: allowed, the engine drops it
        x, y = ctx.saved_tensors
        return grad_output * y, grad_output * x


class DependsOnNeeds(Mul):
    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        both = all(ctx.needs_input_grad)
        scale = 1 if both else 5
        return grad_output * y * scale, grad_output * x * scale


def _inputs(*shapes):
    torch.manual_seed(0)
    return [torch.randn(*s) for s in shapes]


def _status(report):
    return {c.name: c.status for c in report.checks}


@pytest.mark.parametrize("fn, shapes", [(MyReLU, [(3, 4)]), (Mul, [(3, 4), (3, 4)]),
                                        (ChattyMul, [(2, 3), (2, 3)])])
def test_correct_functions_pass(fn, shapes, capsys):
    report = check_function(fn, *_inputs(*shapes))
    assert report, str(report)
    out = capsys.readouterr().out
    assert f"check_function({fn.__name__})" in out and "all checks passed" in out
    assert "FAIL" not in out


def test_mul_runs_every_check():
    status = _status(check_function(Mul, *_inputs((3, 4), (3, 4)), verbose=False))
    assert set(status.values()) == {"PASS"}
    assert len(status) == 7


def test_off_by_factor_is_caught():
    report = check_function(OffByTwo, *_inputs((3, 4), (3, 4)), verbose=False)
    assert not report
    detail = report["backward"].detail
    assert report["backward"].status == "FAIL"
    assert "2 times" in detail and "'x'" in detail


def test_wrong_shape_is_caught():
    report = check_function(WrongShape, *_inputs((3, 4)), verbose=False)
    assert report["backward"].status == "FAIL"
    assert "WrongShapeBackward" in report["backward"].detail


def test_forgotten_input_is_caught():
    report = check_function(ForgottenInput, *_inputs((3, 4), (3, 4)), verbose=False)
    assert report["backward"].status == "FAIL"
    assert "incorrect number of gradients" in report["backward"].detail


def test_in_place_write_to_saved_input_is_caught():
    report = check_function(InPlaceSaved, *_inputs((3, 4)), verbose=False)
    assert report["forward"].status == "FAIL"
    assert "in place" in report["forward"].detail and "mark_dirty" in report["forward"].detail
    assert _status(report)["backward"] == "SKIP"


def test_nan_in_backward_is_caught():
    report = check_function(NaNBackward, *_inputs((2, 3)), verbose=False)
    assert report["backward"].status == "FAIL"
    assert "is nan at index" in report["backward"].detail


def test_once_differentiable_skips_double_backward():
    report = check_function(NumpyExp, *_inputs((2, 3)), verbose=False)
    assert report, str(report)
    assert report["double backward"].status == "SKIP"
    assert "once_differentiable" in report["double backward"].detail


def test_wrong_double_backward_is_caught():
    report = check_function(WrongDoubleBackward, *_inputs((2, 3)), verbose=False)
    assert report["backward"].status == "PASS"
    assert report["double backward"].status == "FAIL"


def test_needs_input_grad_dependence_is_caught():
    report = check_function(DependsOnNeeds, *_inputs((2, 3), (2, 3)), verbose=False)
    assert report["needs_input_grad"].status == "FAIL"
    assert "only input that requires grad" in report["needs_input_grad"].detail


def test_broadcast_skips_when_forward_rejects_it():
    class MatMul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a.mm(b)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g.mm(b.t()), a.t().mm(g)

    report = check_function(MatMul, *_inputs((3, 4), (4, 2)), verbose=False)
    assert report, str(report)
    assert report["broadcast"].status == "SKIP"


def test_float32_disagreement_is_caught():
    class Upcasts(Function):
        @staticmethod
        def forward(ctx, x):
            return x.double() * 2  # float32 in, float64 out: a silent upcast

        @staticmethod
        def backward(ctx, g):
            return g * 2

    report = check_function(Upcasts, *_inputs((4,)), verbose=False)
    assert report["backward"].status == "PASS"
    assert report["float32"].status == "FAIL"
    assert "float64 for float32 inputs" in report["float32"].detail


def test_raise_exception_and_examples_untouched():
    x, y = _inputs((2, 2), (2, 2))
    before = x.clone()
    with pytest.raises(GradcheckError, match="OffByTwo"):
        check_function(OffByTwo, x, y, verbose=False, raise_exception=True)
    assert torch.equal(x, before) and x.grad is None and not x.requires_grad


def test_only_inputs_that_require_grad_are_checked():
    x, y = _inputs((2, 2), (2, 2))
    report = check_function(OffByTwo, x, y.requires_grad_(), verbose=False)
    assert report, str(report)  # the wrong gradient is x's, which is not checked


def test_rejects_apply_instead_of_class():
    with pytest.raises(TypeError, match="Function subclass"):
        check_function(Mul.apply, *_inputs((2,), (2,)))


def test_float32_value_mismatch_is_reported():
    class DtypeDependent(Function):
        @staticmethod
        def forward(ctx, x):
            return x + (0.01 if x.dtype == torch.float32 else 0.0)

        @staticmethod
        def backward(ctx, g):
            return g

    report = check_function(DtypeDependent, *_inputs((3,)), verbose=False)
    assert report["float32"].status == "FAIL"
    assert "output 0: at index (0,), float32 gives" in report["float32"].detail


def test_non_tensor_arguments_and_setup_context_style():
    class Scale(Function):
        @staticmethod
        def forward(x, alpha):
            return x * alpha

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.alpha = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.alpha, None

    report = check_function(Scale, *_inputs((2, 3)), 2.5, verbose=False)
    assert report, str(report)
    assert "x=[2, 3]*, alpha=2.5" in report.inputs
