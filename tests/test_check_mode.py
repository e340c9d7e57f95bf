"""Check mode: each custom Function's backward verified numerically on its first call."""
from __future__ import annotations

import gc
import os
import subprocess
import sys

import numpy as np
import pytest

import numtorch
from numtorch.autograd import Function, FunctionCheckError, check_functions, once_differentiable
from numtorch.autograd import check_mode as cm
from numtorch.autograd import check_numeric as cn


@pytest.fixture(autouse=True)
def fresh_cache():
    cm._checked.clear()
    yield
    cm._checked.clear()


def leaf(*shape, seed=0, dtype=numtorch.float32):
    data = np.random.default_rng(seed).standard_normal(shape) + 0.1
    return numtorch.tensor(data, dtype=dtype, requires_grad=True)


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return 2 * x * grad_output


class SquareOffByFactor(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return 3 * x * grad_output


class MulAdd(Function):
    """x * w + b, correct."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x * weight + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output * weight, grad_output * x, grad_output


class MulAddForgetsBias(MulAdd):
    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return grad_output * weight, grad_output * x, None


class MulAddWrongWeight(MulAdd):
    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        g = (grad_output * x).clone()
        g[1, 2] = 0  # one element wrong
        return grad_output * weight, g, grad_output


class Cube(Function):
    """Correct first derivative, but its backward is not differentiable through x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return 3 * x.detach() * x * grad_output  # d/dx of this is off: detach drops a term


class CubeOnce(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return numtorch.from_numpy(3 * x.numpy() ** 2 * grad_output.numpy())


class NaNBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * float("nan")


class WritesInput(Function):
    @staticmethod
    def forward(ctx, x):
        x.numpy()[...] *= 2  # modifies the caller's tensor without mark_dirty
        return x * 1

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2


class DirtyDouble(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2


class WritesGradOutput(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_output):
        grad_output.mul_(2)
        return grad_output


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.expand(7)


# ---- correct Functions pass -----------------------------------------------------------------

@pytest.mark.parametrize("fn,n", [(Square, 1), (MulAdd, 3), (CubeOnce, 1)])
def test_correct_functions_pass_and_are_cached(fn, n):
    inputs = [leaf(3, 4, seed=k) for k in range(n)]
    with check_functions():
        y = fn.apply(*inputs)
        y.sum().backward()
    assert len(cm._checked) == 1
    expected = [t.grad.numpy().copy() for t in inputs]
    for t in inputs:
        t.grad = None
    fn.apply(*inputs).sum().backward()  # same gradients without check mode
    for t, e in zip(inputs, expected):
        np.testing.assert_allclose(t.grad.numpy(), e)


def test_cache_is_per_signature():
    calls = []
    orig = cn.Checker.run

    def counting(self):
        calls.append(self.cls)
        orig(self)

    cn.Checker.run = counting
    try:
        with check_functions():
            for _ in range(3):
                Square.apply(leaf(2, 3))
            Square.apply(leaf(5))
    finally:
        cn.Checker.run = orig
    assert calls == [Square, Square]


def test_decorator_and_flag_restored():
    @check_functions()
    def step(x):
        assert numtorch.autograd.is_check_functions_enabled()
        return SquareOffByFactor.apply(x)

    with pytest.raises(FunctionCheckError):
        step(leaf(2, 2))
    assert not numtorch.autograd.is_check_functions_enabled()
    SquareOffByFactor.apply(leaf(2, 2))  # off again: runs unchecked


def test_bare_decorator():
    @check_functions
    def step(x):
        return SquareOffByFactor.apply(x)

    with pytest.raises(FunctionCheckError):
        step(leaf(2, 2))
    assert not numtorch.autograd.is_check_functions_enabled()


def test_builtin_ops_and_unrecorded_calls_are_not_checked():
    with check_functions():
        (leaf(3) * 2).sum().backward()
        SquareOffByFactor.apply(numtorch.ones(3))  # nothing requires grad: nothing to check
    assert not cm._checked


# ---- wrong Functions raise where they are applied -------------------------------------------

def test_off_by_factor_names_class_parameter_element_and_values():
    x = leaf(2, 3)
    with check_functions(), pytest.raises(FunctionCheckError) as info:
        SquareOffByFactor.apply(x)
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert "SquareOffByFactor" in msg and "'x'" in msg
    assert "at element (" in msg and "ratio 1.5" in msg
    assert "test_check_mode.py" in msg  # where it was applied


def test_one_wrong_element_is_localised():
    args = [leaf(3, 4, seed=k) for k in range(3)]
    with check_functions(), pytest.raises(FunctionCheckError) as info:
        MulAddWrongWeight.apply(*args)
    msg = str(info.value)
    assert "'weight'" in msg and "element (1, 2)" in msg
    assert "backward gives 0," in msg and "the numerical derivative is 0," not in msg


def test_large_input_reports_directional_values():
    x = leaf(20, 20)
    with check_functions(), pytest.raises(FunctionCheckError, match="random direction"):
        SquareOffByFactor.apply(x)


def test_forgotten_input_gradient():
    args = [leaf(3, 4, seed=k) for k in range(3)]
    with check_functions(), pytest.raises(FunctionCheckError, match="'bias'.*returned None"):
        MulAddForgetsBias.apply(*args)


def test_input_without_grad_is_not_checked():
    x, w = leaf(3, 4), leaf(3, 4, seed=1)
    b = numtorch.zeros(3, 4)
    with check_functions():
        MulAddForgetsBias.apply(x, w, b)  # bias needs no gradient: None is right


def test_nan_gradient():
    with check_functions(), pytest.raises(FunctionCheckError, match="NaNBackward"):
        NaNBackward.apply(leaf(3))


def test_double_backward_checked_unless_once_differentiable():
    with check_functions(), pytest.raises(FunctionCheckError, match="double backward of Cube"):
        Cube.apply(leaf(2, 2))
    with check_functions():
        CubeOnce.apply(leaf(2, 2))


def test_forward_modifying_input_without_mark_dirty():
    with check_functions(), pytest.raises(FunctionCheckError, match="'x'.*mark_dirty"):
        WritesInput.apply(leaf(3) * 1)


def test_mark_dirty_is_accepted():
    with check_functions():
        y = DirtyDouble.apply(leaf(3) * 1)
    assert y.grad_fn.name() == "DirtyDoubleBackward"


def test_backward_modifying_grad_output():
    with check_functions(), pytest.raises(FunctionCheckError, match="grad_output 0 in place"):
        WritesGradOutput.apply(leaf(3))


def test_wrong_gradient_shape_raised_by_the_check():
    with check_functions(), pytest.raises(RuntimeError, match=r"'x'.*\[7\]|\[7\].*'x'"):
        WrongShape.apply(leaf(3))


def test_failed_signature_is_not_cached():
    for _ in range(2):
        with check_functions(), pytest.raises(FunctionCheckError):
            SquareOffByFactor.apply(leaf(2))


def test_environment_variable_turns_check_mode_on():
    code = ("import numtorch.autograd as a; print(a.is_check_functions_enabled(), "
            "a.is_strict_mode_enabled())")
    env = dict(os.environ, NUMTORCH_CHECK_FUNCTIONS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["True", "True"], out.stderr
    env["NUMTORCH_CHECK_FUNCTIONS"] = "0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr


# ---- saved arrays are read-only while saved (check mode) ------------------------------------

class ZeroesSaved(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        x.detach().numpy()[...] = 0  # an in-place NumPy write to a saved input
        return 2 * x * grad_output


def test_raw_numpy_write_to_saved_input_fails_at_the_line():
    x = leaf(3)
    with check_functions():
        y = Square.apply(x)
        with pytest.raises(ValueError, match="read-only"):
            x.detach().numpy()[0] = 1.0
        y.sum().backward()
    x.detach().numpy()[0] = 1.0  # released by backward: writable again
    gc.collect()  # nodes of earlier tests held in reference cycles release their arrays here
    assert all(entry[0] is not x.detach().numpy() for entry in cm._locked.values())


def test_raw_numpy_write_in_backward_fails():
    x = leaf(3)
    with check_functions(), pytest.raises(ValueError, match="read-only"):
        ZeroesSaved.apply(x)


def test_numtorch_inplace_write_still_works_and_is_caught_by_version():
    x = leaf(3) * 1
    with check_functions():
        y = Square.apply(x)
        with numtorch.no_grad():
            x.add_(1)
            x.zero_()
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            y.sum().backward()


def test_numtorch_inplace_write_to_a_view_of_a_saved_tensor():
    x = leaf(4) * 1
    before = x.detach().numpy().copy()
    with check_functions():
        y = Square.apply(x)
        with numtorch.no_grad():
            x[1:3].add_(1)  # a view made after x was saved (so read-only): still writable
        np.testing.assert_allclose(x.detach().numpy(), before + [0, 1, 1, 0], rtol=1e-6)
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            y.sum().backward()


def test_unused_graph_unlocks_when_collected():
    x = leaf(3)
    with check_functions():
        y = Square.apply(x)
    assert not x.detach().numpy().flags.writeable
    del y
    import gc
    gc.collect()
    assert x.detach().numpy().flags.writeable


# ---- double backward with respect to grad_output ------------------------------------------

class DetachesGradOutput(Function):
    """First derivatives right, double backward wrong: grad_output is cut from the graph."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return 2 * x * grad_output.detach()


def test_double_backward_wrt_grad_output_checked():
    with check_functions(), pytest.raises(FunctionCheckError,
                                          match=r"DetachesGradOutput.*respect to grad_output"):
        DetachesGradOutput.apply(leaf(3))
    with check_functions():  # the correct Square passes the same check
        Square.apply(leaf(3)).sum().backward()
