"""gradcheck and gradgradcheck: right and deliberately wrong Functions, checked against PyTorch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch
from conftest import require_torch
from numtorch.autograd import GradcheckError, gradcheck, gradgradcheck
from op_db import OPS, Maker
from test_ops import build

torch = require_torch()


def functions(lib):
    """The same custom Functions written for ``lib`` (numtorch or torch)."""

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class OffByFactor(Square):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * g

    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    class ForgetsInput(Mul):
        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, None

    class WrongShape(Square):
        @staticmethod
        def backward(ctx, g):
            return g.reshape(-1)  # (8,) for a (2, 4) input: not reducible to it

    class NaNGrad(Square):
        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    class NoMaterialize(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2  # fails on None: it should return None for an undefined grad

    class Noisy(Square):
        calls = [0]

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            Noisy.calls[0] += 1
            return 2 * x * g * (1 + 1e-9 * Noisy.calls[0])

    class IgnoresGradOutput(Square):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g + (g - 1).sum() * 0 + (1 - g.abs().max()) * x

    return dict(Square=Square, OffByFactor=OffByFactor, Mul=Mul, ForgetsInput=ForgetsInput,
                WrongShape=WrongShape, NaNGrad=NaNGrad, NoMaterialize=NoMaterialize,
                Noisy=Noisy, IgnoresGradOutput=IgnoresGradOutput)


def inputs(lib, *shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(lib.from_numpy(rng.uniform(0.5, 1.5, size=s)).requires_grad_() for s in shapes)


def both(name, shapes, **kw):
    """gradcheck's outcome (True, False or an exception type) for numtorch and for torch."""
    results = []
    for lib, check in ((numtorch, gradcheck), (torch, torch.autograd.gradcheck)):
        fn = functions(lib)[name].apply
        try:
            results.append(check(fn, inputs(lib, *shapes), raise_exception=False, **kw))
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            results.append(type(e))
    return results


@pytest.mark.parametrize("name,shapes,expected", [
    ("Square", [(2, 3)], True),
    ("Mul", [(2, 3), (2, 3)], True),
    ("OffByFactor", [(2, 3)], False),
    ("ForgetsInput", [(2, 3), (2, 3)], False),
    ("NaNGrad", [(3,)], False),
    ("WrongShape", [(2, 4)], RuntimeError),
    ("NoMaterialize", [(3,)], TypeError),  # its own error propagates, as in torch
])
@pytest.mark.parametrize("fast_mode", [False, True])
def test_outcome_matches_torch(name, shapes, expected, fast_mode):
    if name == "NoMaterialize" and fast_mode:
        pytest.skip("covered in slow mode")
    ours, theirs = both(name, shapes, fast_mode=fast_mode)
    assert theirs == expected, "the reference itself changed"
    assert ours == expected


def test_nondet_tol_matches_torch():
    assert both("Noisy", [(3,)]) == [False, False]
    assert both("Noisy", [(3,)], nondet_tol=1e-6) == [True, True]


def test_backward_must_scale_by_grad_output():
    # right values for a grad_output of ones, but not linear in grad_output
    assert both("IgnoresGradOutput", [(3,)], check_undefined_grad=False) == [False, False]
    with pytest.raises(GradcheckError, match="grad_output"):
        gradcheck(functions(numtorch)["IgnoresGradOutput"].apply, inputs(numtorch, (3,)))


def test_failure_report_names_indices_values_and_jacobians():
    fns = functions(numtorch)
    x, y = inputs(numtorch, (2, 3), (2, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(fns["ForgetsInput"].apply, (x, y))
    msg = str(info.value)
    assert "output 0 with respect to input 1" in msg
    assert "worst element" in msg and "analytical" in msg and "numerical" in msg
    assert "all zeros" in msg  # the hint for a forgotten gradient
    assert msg.count("[[") == 2  # both 6x6 Jacobians printed

    with pytest.raises(GradcheckError) as info:
        gradcheck(fns["OffByFactor"].apply, (x,))
    msg = str(info.value)
    assert "1.5 times the numerical" in msg
    worst = msg.split("worst element: ")[1].split("\n")[0]
    # the largest |x| has the largest error 1.5 * 2x - 2x
    flat = int(np.argmax(x.detach().numpy()))
    assert str(list(np.unravel_index(flat, (2, 3)))).replace("np.int64(", "") in worst or \
        str([int(i) for i in np.unravel_index(flat, (2, 3))]) in worst


def test_large_jacobian_not_printed_and_fast_mode_locates_element():
    fns = functions(numtorch)
    (x,) = inputs(numtorch, (9, 9))
    with pytest.raises(GradcheckError) as info:
        gradcheck(fns["OffByFactor"].apply, (x,), fast_mode=True)
    msg = str(info.value)
    assert "fast_mode" in msg and "worst element" in msg
    assert "[[" not in msg  # 81 x 81 entries: too many to print


def test_inputs_restored_and_a_tensor_accepted():
    (x,) = inputs(numtorch, (2, 3))
    before = x.detach().numpy().copy()
    assert gradcheck(lambda t: t.sin(), x)
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_input_checks_match_torch():
    for lib, check in ((numtorch, gradcheck), (torch, torch.autograd.gradcheck)):
        with pytest.raises(ValueError):
            check(lambda t: t * 2, (lib.ones(2, dtype=lib.float64),))
        x = lib.ones(1, dtype=lib.float64).expand(3).requires_grad_()
        with pytest.raises(RuntimeError, match="stride 0"):
            check(lambda t: t * 2, (x,))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check(lambda t: t * 2, (lib.ones(2, requires_grad=True),), raise_exception=False)
        assert any("double precision" in str(w.message) for w in caught)


def test_outputs_that_do_not_require_grad():
    for lib, check in ((numtorch, gradcheck), (torch, torch.autograd.gradcheck)):
        (x,) = inputs(lib, (3,))
        assert check(lambda t, d=lib.float64: (t > 0).to(d), (x,))  # constant: passes
        assert not check(lambda t: (t * 2).detach(), (x,), raise_exception=False)


def test_unsupported_modes_raise():
    (x,) = inputs(numtorch, (3,))
    with pytest.raises(NotImplementedError):
        gradcheck(lambda t: t * 2, (x,), check_batched_grad=True)
    with pytest.raises(NotImplementedError):
        gradcheck(lambda t: t * 2, (x,), check_forward_ad=True)
    assert gradcheck(lambda t: t * 2, (x,), check_backward_ad=False)


def test_non_tensor_arguments_and_multiple_outputs():
    x, y = inputs(numtorch, (2, 3), (3,))
    assert gradcheck(lambda a, k, b: (a * k + b, (a * b).sum(0)), (x, 2.5, y))
    assert gradcheck(lambda a, k, b: (a * k + b, (a * b).sum(0)), (x, 2.5, y), fast_mode=True)


def test_gradgradcheck():
    x, y = inputs(numtorch, (2, 3), (2, 3))
    assert gradgradcheck(lambda a, b: (a * b).tanh(), (x, y))
    assert gradgradcheck(lambda a, b: (a * b).tanh(), (x, y), gen_non_contig_grad_outputs=True)
    fns = functions(numtorch)
    assert gradgradcheck(fns["Square"].apply, (x,))


def test_gradgradcheck_catches_a_wrong_double_backward():
    for lib, check in ((numtorch, gradgradcheck), (torch, torch.autograd.gradgradcheck)):
        class DetachedBackward(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x.detach() ** 2 * g  # right value, but no second derivative

        (x,) = inputs(lib, (3,))
        assert lib.autograd.gradcheck(DetachedBackward.apply, (x,))
        assert not check(DetachedBackward.apply, (x,), raise_exception=False)


def _op_cases(step=3):
    """Every ``step``-th differentiable op with its first finite-difference-safe sample."""
    params = []
    for op in [op for op in OPS if op.differentiable][::step]:
        samples = [s for s in op.samples(Maker("float64", op.domain)) if s.fd]
        if samples:
            params.append(pytest.param(op, samples[0], id=f"{op.name}-{samples[0].desc}"))
    return params


@pytest.mark.parametrize("op,sample", _op_cases())
def test_builtin_ops_pass(op, sample):
    args, diff = build(numtorch, sample, requires_grad=True)
    if not diff:
        pytest.skip("no differentiable input")
    positions = [i for i, a in enumerate(args) if any(a is d for d in diff)]

    def f(*tensors):
        full = list(args)
        for p, t in zip(positions, tensors):
            full[p] = t
        return op.op(*full)

    assert gradcheck(f, tuple(diff), atol=1e-6, rtol=1e-4)


def test_non_contiguous_input_perturbed_in_its_own_memory():
    base = np.random.default_rng(1).uniform(0.5, 1.5, size=(3, 8))
    x = numtorch.from_numpy(base[:, ::2]).requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t * t).sum(1), (x,))
    assert gradcheck(functions(numtorch)["Square"].apply, (x,), fast_mode=True)
    np.testing.assert_array_equal(x.detach().numpy(), base[:, ::2])


def test_read_only_input_refused():
    a = np.ones(3)
    a.flags.writeable = False
    with pytest.raises(RuntimeError, match="read-only"):
        gradcheck(lambda t: t * 2, (numtorch.from_numpy(a).requires_grad_(),))
