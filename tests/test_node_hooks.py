"""Hooks on graph nodes and leaves: arguments, replacement, order, removal, against PyTorch."""
from __future__ import annotations

import pytest

import numtorch
from conftest import require_torch

torch = require_torch()


def plain(x):
    """Tensors, tuples of them and None as nested lists, for comparing logs."""
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(plain(v) for v in x)
    return x.detach().tolist()


def run_both(scenario):
    logs = []
    for lib in (numtorch, torch):
        log = []
        scenario(lib, log)
        logs.append(log)
    return logs


def test_pre_and_post_hook_arguments_order_and_replacement():
    def scenario(lib, log):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0])  # no grad: None in grad_inputs
        y = a * b
        y.register_hook(lambda g: log.append(("tensor", plain(g))))
        y.grad_fn.register_prehook(lambda go: log.append(("pre1", plain(go))))
        y.grad_fn.register_prehook(lambda go: (go[0] * 10,))
        y.grad_fn.register_prehook(lambda go: log.append(("pre3", plain(go))))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post1", plain(gi), plain(go))))
        y.grad_fn.register_hook(lambda gi, go: (gi[0] + 1, None))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post3", plain(gi))))
        y.sum().backward()
        log.append(("grad", plain(a.grad)))

    ours, theirs = run_both(scenario)
    assert theirs[0] == ("tensor", [1.0, 1.0])
    assert ours == theirs


def test_custom_function_hooks():
    def scenario(lib, log):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.k = k
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None

        x = lib.tensor([1.0, -1.0], requires_grad=True)
        y = Twice.apply(x, 3.0)
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", plain(gi), plain(go))))
        handle = y.grad_fn.register_prehook(lambda go: log.append("removed hook ran"))
        handle.remove()
        y.backward(lib.tensor([1.0, 2.0]))
        log.append(plain(x.grad))

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_accumulate_grad_node_hooks():
    def scenario(lib, log):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * 2).sum()
        acc = y.grad_fn.next_functions[0][0].next_functions[0][0]
        # NOTE: torch names it 'torch::autograd::AccumulateGrad'; numtorch 'AccumulateGrad'
        log.append(acc.name().split("::")[-1])
        x.register_hook(lambda g: log.append(("tensor", plain(g))))
        acc.register_prehook(lambda go: (go[0] * 10,))
        acc.register_hook(lambda gi, go: log.append(("post", plain(gi), plain(go))))
        x.register_post_accumulate_grad_hook(lambda t: log.append(("acc", plain(t.grad))))
        y.backward()
        log.append(plain(x.grad))

    ours, theirs = run_both(scenario)
    assert theirs[-1] == [20.0, 20.0, 20.0]
    assert ours == theirs


def test_hook_returning_wrong_count_raises():
    for lib in (numtorch, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = a * 3
        y.grad_fn.register_prehook(lambda go: (go[0], go[0]))
        with pytest.raises(RuntimeError, match="incorrect number"):
            y.sum().backward()
        y = a * lib.tensor([1.0, 1.0])
        y.grad_fn.register_hook(lambda gi, go: (gi[0], gi[0]))  # replaces a None slot
        with pytest.raises(RuntimeError, match="None"):
            y.sum().backward()


def test_post_accumulate_grad_hook():
    def scenario(lib, log):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        h1 = w.register_post_accumulate_grad_hook(lambda t: log.append(("h1", plain(t.grad))))
        w.register_post_accumulate_grad_hook(lambda t: log.append(("h2", t is w)))
        (w * w).sum().backward()
        h1.remove()
        (w * 3).sum().backward()
        log.append(plain(w.grad))

    ours, theirs = run_both(scenario)
    assert ours == theirs
    for lib in (numtorch, torch):
        with pytest.raises(RuntimeError):
            (lib.ones(2, requires_grad=True) * 2).register_post_accumulate_grad_hook(print)


def test_hook_in_optimizer_style_step():
    # the documented use: update a parameter right after its gradient is ready
    def scenario(lib, log):
        w = lib.tensor([1.0, 2.0], requires_grad=True)

        def step(t):
            with lib.no_grad():
                t.sub_(0.5 * t.grad)
            t.grad = None

        w.register_post_accumulate_grad_hook(step)
        (w * w).sum().backward()
        log.append((plain(w), w.grad))

    ours, theirs = run_both(scenario)
    assert ours == theirs == [([0.0, 0.0], None)]


def test_non_callable_hook_rejected():
    # NOTE: torch accepts it and fails only when backward calls it
    y = numtorch.ones(2, requires_grad=True) * 2
    with pytest.raises(TypeError):
        y.grad_fn.register_hook(3)
