"""The autograd engine against PyTorch: the graph, backward()/grad(), freeing and retaining
saved tensors, deep graphs, grad mode, version counters, in-place history, hooks and gradient
accumulation. Each scenario is written once over ``lib`` and run with numtorch and torch."""
from __future__ import annotations

import gc
import math
import sys
import threading
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
from conftest import require_torch

torch = require_torch()
LIBS = (numtorch, torch)


# ---- helpers ----------------------------------------------------------------------------------

def _plain(v):
    """Results in a form both libraries share: tensors become (values, dtype, requires_grad)."""
    if isinstance(v, (numtorch.Tensor, torch.Tensor)):
        return ("tensor", np.array(v.detach().numpy(), copy=True), str(v.dtype).split(".")[-1],
                v.requires_grad)
    if isinstance(v, (list, tuple)):
        return type(v)(_plain(p) for p in v)
    if isinstance(v, dict):
        return {k: _plain(p) for k, p in v.items()}
    return v


def assert_same(ours, theirs, path="result", rtol=1e-6, atol=1e-7):
    """Recursively compare numtorch's results with torch's (tensors by value, dtype and
    requires_grad; everything else by equality)."""
    ours, theirs = _plain(ours), _plain(theirs)
    _compare(ours, theirs, path, rtol, atol)


def _compare(ours, theirs, path, rtol, atol):
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        assert isinstance(ours, tuple) and ours and ours[0] == "tensor", \
            f"{path}: {ours!r} is not a tensor"
        assert ours[1].shape == theirs[1].shape, f"{path}: shape {ours[1].shape} != " \
                                                 f"{theirs[1].shape}"
        assert ours[2:] == theirs[2:], f"{path}: (dtype, requires_grad) {ours[2:]} != {theirs[2:]}"
        np.testing.assert_allclose(ours[1], theirs[1], rtol=rtol, atol=atol, err_msg=path)
    elif isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)) and len(ours) == len(theirs), \
            f"{path}: {ours!r} != {theirs!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _compare(a, b, f"{path}[{i}]", rtol, atol)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{path}: keys differ"
        for k in theirs:
            _compare(ours[k], theirs[k], f"{path}[{k!r}]", rtol, atol)
    else:
        assert ours == theirs, f"{path}: {ours!r} != torch's {theirs!r}"


def check_same(scenario, **tol):
    """Run ``scenario(lib)`` with both libraries and compare the results."""
    assert_same(scenario(numtorch), scenario(torch), **tol)


def check_same_error(scenario):
    """``scenario(lib)`` raises in torch; numtorch must raise the same exception type.
    Returns numtorch's exception."""
    with pytest.raises(Exception) as theirs:  # noqa: B017 - any type; it is compared below
        scenario(torch)
    with pytest.raises(theirs.type) as ours:
        scenario(numtorch)
    return ours.value


def leaf(lib, values, dtype="float32"):
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)


def graph(fn):
    """A node and everything below it as nested (type name, ((child, input_nr), ...))."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple((graph(n), nr) for n, nr in fn.next_functions))


# ---- the graph --------------------------------------------------------------------------------

GRAPHS = {
    "mul add": lambda L, x, w, c: x * w + c,
    "scalar operand": lambda L, x, w, c: x * 2 - 1,
    "shared subexpression": lambda L, x, w, c: (x * x).exp() + x,
    "reduction": lambda L, x, w, c: x.relu().sum(),
    "unary chain": lambda L, x, w, c: (-x).sigmoid() * x.tanh(),
    "constant tensor": lambda L, x, w, c: x - c,
    "mm": lambda L, x, w, c: x.reshape(1, 3).mm(w.reshape(3, 1)),
    "clamp and pow": lambda L, x, w, c: x.clamp(-1, 1) ** 2,
    "comparison mask": lambda L, x, w, c: x * (x > 0),
    "reflected python number": lambda L, x, w, c: 2 * x + 3,
}


@pytest.mark.parametrize("expr", GRAPHS.values(), ids=GRAPHS.keys())
def test_graph_structure_matches_torch(expr):
    def scenario(L):
        x = leaf(L, [0.5, -1.0, 2.0])
        w = leaf(L, [1.0, 2.0, 3.0])
        c = L.tensor([1.0, 1.0, 1.0])
        out = expr(L, x, w, c)
        return graph(out.grad_fn), out.grad_fn.name(), out.is_leaf, out.requires_grad
    check_same(scenario)


def test_leaf_node_is_accumulate_grad_holding_the_leaf():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        acc = (x * 2).grad_fn.next_functions[0][0]
        again = (x * 3).grad_fn.next_functions[0][0]  # one accumulator per leaf
        return (type(acc).__name__, acc.variable is x, acc.next_functions, again is acc,
                x.grad_fn, x.is_leaf)
    check_same(scenario)


def test_requires_grad_propagation_and_detach():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        c = L.tensor([3.0, 4.0])
        d = x.detach()
        flags = [(t.requires_grad, t.is_leaf, t.grad_fn is None)
                 for t in (x, c, c * 2, x * c, c + x, d, d * x, x.sum())]
        d[0] = 7.0  # the same memory
        return flags, x


def test_non_leaf_grad_is_none_and_warns():
    for L in LIBS:
        y = leaf(L, [1.0, 2.0]) * 2
        y.sum().backward()
        with pytest.warns(UserWarning):
            assert y.grad is None


def test_requires_grad_on_integer_tensor_raises():
    check_same_error(lambda L: L.tensor([1, 2]).requires_grad_())


# ---- backward() -------------------------------------------------------------------------------

def test_backward_accumulates_into_leaves():
    def scenario(L):
        x = leaf(L, [0.5, -1.0, 2.0], "float64")
        w = leaf(L, [[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]], "float64")
        y = w @ x                   # used on two paths
        z = (y.exp() * y + y.sigmoid()).sum()
        z.backward()
        first = (x.grad.clone(), w.grad.clone())
        (x * x).sum().backward()    # accumulates into x.grad only
        return first, x.grad, w.grad
    check_same(scenario, rtol=1e-12, atol=1e-12)


def test_backward_with_gradient_for_non_scalar():
    def scenario(L):
        x = leaf(L, [[1.0, 2.0], [3.0, 4.0]])
        (x * x).backward(L.tensor([[1.0, 0.5], [-1.0, 2.0]]))
        g = x.grad.clone()
        (x * 3).backward(L.tensor([[1, 2], [3, 4]]))  # an integer gradient is cast
        return g, x.grad
    check_same(scenario)


@pytest.mark.parametrize("case", [
    lambda L: (leaf(L, [1.0, 2.0]) * 2).backward(),                          # non-scalar
    lambda L: (leaf(L, [1.0, 2.0]) * 2).backward(L.ones(3)),                  # wrong shape
    lambda L: (leaf(L, [1.0, 2.0]) * 2).backward([1.0, 1.0]),                 # not tensors
    lambda L: L.tensor([1.0, 2.0]).sum().backward(),                         # no grad
    lambda L: leaf(L, [1.0]).detach().backward(),
], ids=["non-scalar", "wrong shape", "list of floats", "no requires_grad", "detached"])
def test_backward_errors(case):
    check_same_error(case)


def test_autograd_backward_several_tensors_and_inputs():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        w = leaf(L, [3.0, -1.0])
        L.autograd.backward([x * w, (x * x).sum()], [L.tensor([1.0, 2.0]), None])
        first = (x.grad.clone(), w.grad.clone())
        x.grad = None
        w.grad = None
        (x * w).sum().backward(inputs=[w])
        return first, x.grad, w.grad
    check_same(scenario)


SAVING_OPS = {
    "mul": lambda x: (x * x).sum(),
    "exp": lambda x: x.exp().sum(),
    "div": lambda x: (1 / x).sum(),
    "pow": lambda x: (x ** 3).sum(),
    "sigmoid": lambda x: x.sigmoid().sum(),
    "matmul": lambda x: x @ x,
}


@pytest.mark.parametrize("f", SAVING_OPS.values(), ids=SAVING_OPS.keys())
def test_second_backward_through_freed_graph_raises(f):
    def scenario(L):
        y = f(leaf(L, [1.0, 2.0]))
        y.backward()
        y.backward()
    check_same_error(scenario)

    def grad_twice(L):
        x = leaf(L, [1.0, 2.0])
        y = f(x)
        L.autograd.grad(y, x)
        L.autograd.grad(y, x)
    check_same_error(grad_twice)


@pytest.mark.parametrize("f", SAVING_OPS.values(), ids=SAVING_OPS.keys())
def test_retain_graph_allows_a_second_backward(f):
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        y = f(x)
        y.backward(retain_graph=True)
        first = x.grad.clone()
        (g,) = L.autograd.grad(y, x, retain_graph=True)
        y.backward()
        return first, x.grad, g
    check_same(scenario)


def test_graph_without_saved_tensors_runs_twice():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        y = (x + x - 1).sum()
        y.backward()
        y.backward()
        return x.grad
    check_same(scenario)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_create_graph_gives_higher_derivatives():
    def scenario(L):
        x = leaf(L, [0.5, 2.0], "float64")
        y = (x ** 3 * x.sin()).sum()
        y.backward(create_graph=True)
        g = x.grad
        x.grad = None
        g.sum().backward()
        second = x.grad
        (d1,) = L.autograd.grad((x ** 4).sum(), x, create_graph=True)
        (d2,) = L.autograd.grad(d1.sum(), x, create_graph=True)
        (d3,) = L.autograd.grad(d2.sum(), x)
        return g.requires_grad, g.grad_fn is not None, g, second, d1, d2, d3
    check_same(scenario, rtol=1e-12, atol=1e-12)


# ---- autograd.grad() ----------------------------------------------------------------------------

def test_grad_values_and_leaves_untouched():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        w = leaf(L, [3.0, 4.0])
        y = x * w
        z = (y * y).sum()
        gx, gy, gw = L.autograd.grad(z, [x, y, w], retain_graph=True)
        (gs,) = L.autograd.grad(y, x, grad_outputs=L.tensor([1.0, -1.0]))
        dup = L.autograd.grad((x * 2).sum(), [x, x])
        return gx, gy, gw, gs, dup, x.grad, w.grad
    check_same(scenario)


def test_grad_allow_unused():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        w = leaf(L, [3.0, 4.0])
        unused = L.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
        zeros = L.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True)
        return unused, zeros
    check_same(scenario)


@pytest.mark.parametrize("case", [
    lambda L, x, w: L.autograd.grad((x * 2).sum(), [x, w]),
    lambda L, x, w: L.autograd.grad(x * 2, x),
    lambda L, x, w: L.autograd.grad(x * 2, x, grad_outputs=L.ones(3)),
    lambda L, x, w: L.autograd.grad((x * 2).sum(), L.tensor([1.0])),
    lambda L, x, w: L.autograd.grad(x.detach().sum(), x),
], ids=["unused input", "non-scalar", "grad_outputs shape", "input without grad",
        "output without grad"])
def test_grad_errors(case):
    check_same_error(lambda L: case(L, leaf(L, [1.0, 2.0]), leaf(L, [3.0, 4.0])))


# ---- deep graphs --------------------------------------------------------------------------------

def test_chain_of_100k_ops_backpropagates_iteratively():
    n = 100_000
    factor = 1.00001
    x = numtorch.tensor(1.5, dtype=numtorch.float64, requires_grad=True)
    y = x
    for i in range(n):
        y = y * factor if i % 2 else y + 0.5
    expected = factor ** (n // 2)
    limit = sys.getrecursionlimit()
    (g,) = numtorch.autograd.grad(y, x, retain_graph=True)
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert math.isclose(g.item(), expected, rel_tol=1e-9)
    assert math.isclose(x.grad.item(), expected, rel_tol=1e-9)
    del y, g
    gc.collect()  # tearing the chain down must not recurse either


# ---- grad mode ----------------------------------------------------------------------------------

def test_grad_mode_context_managers():
    def scenario(L):
        x = leaf(L, [1.0])
        seen = []
        with L.no_grad():
            seen.append((L.is_grad_enabled(), (x * 2).requires_grad))
            with L.enable_grad():
                seen.append((L.is_grad_enabled(), (x * 2).requires_grad))
            seen.append(L.is_grad_enabled())
        seen.append(L.is_grad_enabled())
        with L.set_grad_enabled(False):
            seen.append((x * 2).requires_grad)
        seen.append(L.is_grad_enabled())
        L.set_grad_enabled(False)
        seen.append(((x * 2).requires_grad, L.is_grad_enabled()))
        L.set_grad_enabled(True)
        try:
            with L.no_grad():
                raise KeyError
        except KeyError:
            seen.append(L.is_grad_enabled())
        return seen
    check_same(scenario)


def test_grad_mode_decorators():
    def scenario(L):
        x = leaf(L, [1.0])

        @L.no_grad()
        def a(t):
            return t * 2

        @L.no_grad
        def b(t):
            return t * 2

        @L.enable_grad()
        def c(t):
            return t * 2

        @L.set_grad_enabled(False)
        def d(t):
            return t * 2

        with L.no_grad():
            from_c = c(x).requires_grad
        return (a(x).requires_grad, b(x).requires_grad, from_c, d(x).requires_grad,
                L.is_grad_enabled(), a.__name__)
    check_same(scenario)


def test_no_grad_decorates_generator_functions():
    def scenario(L):
        x = leaf(L, [1.0])

        @L.no_grad()
        def gen(t):
            yield (t * 2).requires_grad
            yield (t * 3).requires_grad
            return "done"

        g = gen(x)
        first = next(g)
        between = (L.is_grad_enabled(), (x * 2).requires_grad)  # the caller's mode
        second = next(g)
        with pytest.raises(StopIteration) as stop:
            next(g)
        return first, between, second, stop.value.value
    check_same(scenario)


def test_grad_mode_is_thread_local():
    def scenario(L):
        seen = {}

        def child():
            seen["child starts"] = L.is_grad_enabled()
            L.set_grad_enabled(False)
            seen["child set"] = L.is_grad_enabled()

        with L.no_grad():
            t = threading.Thread(target=child)
            t.start()
            t.join()
            seen["main inside"] = L.is_grad_enabled()
        seen["main after"] = L.is_grad_enabled()
        return seen
    check_same(scenario)


# ---- version counters and in-place ops ----------------------------------------------------------

def test_version_counter_increments():
    def scenario(L):
        x = L.ones(3)
        v = x[0]               # a view shares the counter
        d = x.detach()         # so does detach
        versions = [x._version]
        x.add_(1)
        versions.append((x._version, v._version, d._version))
        x[1] = 5.0
        x.mul_(2)
        x += 1
        x.zero_()
        x.fill_(2.0)
        x.copy_(L.zeros(3))
        x.clamp_(0, 1)
        d.sub_(1)
        versions.append((x._version, v._version, d._version))
        return versions, x
    check_same(scenario)


MODIFIED_SAVED = {
    "output of exp": (lambda L, x, w: (x.exp(), lambda y: y.add_(1)), "ExpBackward0"),
    "input of mul": (lambda L, x, w: (x * w, lambda y: w.mul_(2)), "MulBackward0"),
    "output of sigmoid": (lambda L, x, w: (x.sigmoid(), lambda y: y.mul_(2)),
                          "SigmoidBackward0"),
    "setitem on a saved input": (lambda L, x, w: ((lambda h: (h.sin(), h))(x * 1),
                                                  None), "SinBackward0"),
}


@pytest.mark.parametrize("make,node", MODIFIED_SAVED.values(), ids=MODIFIED_SAVED.keys())
def test_modifying_a_saved_tensor_raises_at_backward(make, node):
    def scenario(L):
        x = leaf(L, [1.0, 2.0, 3.0])
        w = L.ones(3)
        y, modify = make(L, x, w)
        if modify is None:      # y = (sin(h), h): write into h, which sin saved
            y, h = y
            h[0] = 1.0
        else:
            modify(y)           # no error yet: the check happens at backward
        y.sum().backward()
    err = check_same_error(scenario)
    assert isinstance(err, RuntimeError)
    message = str(err)
    assert node in message, f"the message should name {node}: {message}"
    assert "version 1" in message and "version 0" in message, message


def test_modifying_a_tensor_backward_does_not_need_is_fine():
    def scenario(L):
        x = leaf(L, [1.0, 2.0, 3.0])
        w = L.ones(3)
        y = x + w       # add saves nothing
        w.add_(1)
        z = x * 2
        x_out = z.clone()
        z.add_(1)       # z itself is not saved by anything
        (y.sum() + z.sum() + x_out.sum()).backward()
        return x.grad
    check_same(scenario)


INPLACE_ON_LEAF = {
    "add_": lambda x: x.add_(1),
    "mul_": lambda x: x.mul_(2),
    "iadd": lambda x: x.__iadd__(1),
    "zero_": lambda x: x.zero_(),
    "fill_": lambda x: x.fill_(1.0),
    "clamp_": lambda x: x.clamp_(0, 1),
    "setitem": lambda x: x.__setitem__(0, 5.0),
    "view of leaf": lambda x: x[0].mul_(2),
}


@pytest.mark.parametrize("op", INPLACE_ON_LEAF.values(), ids=INPLACE_ON_LEAF.keys())
def test_inplace_on_leaf_requiring_grad(op):
    check_same_error(lambda L: op(leaf(L, [1.0, 2.0])))

    def under_no_grad(L):
        x = leaf(L, [1.0, 2.0])
        with L.no_grad():
            op(x)
        return x, x.is_leaf, x._version
    check_same(under_no_grad)


INPLACE_REBASE = {
    "add_": (lambda y, w: y.add_(1), True),
    "add_ tensor": (lambda y, w: y.add_(w, alpha=2), True),
    "sub_": (lambda y, w: y.sub_(w), True),
    "mul_": (lambda y, w: y.mul_(w), True),
    "div_": (lambda y, w: y.div_(w), True),
    "pow_": (lambda y, w: y.pow_(2), True),
    "neg_": (lambda y, w: y.neg_(), True),
    "clamp_": (lambda y, w: y.clamp_(-1.0, 3.0), True),
    "relu_": (lambda y, w: y.relu_(), True),
    "iadd": (lambda y, w: y.__iadd__(w), True),
    "imul": (lambda y, w: y.__imul__(w), True),
    "zero_": (lambda y, w: y.zero_(), False),
    "fill_": (lambda y, w: y.fill_(2.0), False),
    "copy_": (lambda y, w: y.copy_(w), False),
}


@pytest.mark.parametrize("op,same_name", INPLACE_REBASE.values(), ids=INPLACE_REBASE.keys())
def test_inplace_on_non_leaf_rebases_history(op, same_name):
    def scenario(L):
        x = leaf(L, [-1.0, 0.5, 2.0], "float64")
        w = leaf(L, [1.5, -2.0, 0.5], "float64")
        y = x * 2
        before = y.grad_fn
        out = op(y, w)
        assert out is y, "an in-place op returns the tensor itself"
        name = y.grad_fn.name() if same_name else None
        (y * L.tensor([1.0, 2.0, 3.0], dtype=L.float64)).sum().backward()
        return name, y.grad_fn is not before, y.is_leaf, y, x.grad, w.grad
    check_same(scenario)


SETITEM = {
    "bool mask": lambda L: L.tensor([True, False, True]),
    "int tensor": lambda L: L.tensor([2, 0]),
    "int": lambda L: 1,
    "slice": lambda L: slice(1, None),
}


@pytest.mark.parametrize("key", SETITEM.values(), ids=SETITEM.keys())
def test_setitem_differentiable_in_history_and_value(key):
    def scenario(L):
        x = leaf(L, [1.0, -2.0, 3.0], "float64")
        v = leaf(L, 5.0, "float64")
        y = x * 2
        y[key(L)] = v * 3
        (y * L.tensor([1.0, 2.0, 3.0], dtype=L.float64)).sum().backward()
        return y, x.grad, v.grad
    check_same(scenario)


VIEW_INPLACE = {
    "int index +=": lambda L, x, y: y[1].__iadd__(1),
    "column +=": lambda L, x, y: y[:, 0].__iadd__(1),
    "row mul_ by tensor": lambda L, x, y: y[0].mul_(x[1]),
    "view(-1) setitem": lambda L, x, y: y.view(-1).__setitem__(4, x[0, 0] * 7),
    "t() slice clamp_": lambda L, x, y: y.t()[1:, 0].clamp_(0, 5),
    "transpose mul_": lambda L, x, y: y.transpose(0, 1)[0].mul_(2),
    "reshape mul_": lambda L, x, y: y.reshape(3, 2)[0].mul_(2),
    "unsqueeze mul_": lambda L, x, y: y.unsqueeze(0)[0, 1].mul_(2),
    "view of a view setitem": lambda L, x, y: y[1].__setitem__(slice(1, None), x[0, :2] * 3),
    "flatten slice zero_": lambda L, x, y: y.flatten()[1:3].zero_(),
    "T setitem": lambda L, x, y: y.T.__setitem__(2, x[0, 0] * 3),
    "permute mul_": lambda L, x, y: y.permute(1, 0)[0].mul_(2),
}


@pytest.mark.parametrize("op", VIEW_INPLACE.values(), ids=VIEW_INPLACE.keys())
def test_inplace_on_view_rewrites_the_base_history(op):
    def scenario(L):
        x = leaf(L, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "float64")
        y = x * 2
        op(L, x, y)
        (y * L.arange(6.0, dtype=L.float64).reshape(2, 3)).sum().backward()
        return y, x.grad, y.is_leaf, y._version
    check_same(scenario)


def test_inplace_on_view_of_base_without_grad():
    def scenario(L):
        w = leaf(L, [1.0, 2.0])
        b = L.zeros(3)
        b[0:2].add_(w * 3)
        flags = (b.requires_grad, b.is_leaf)
        (b * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return flags, b, w.grad
    check_same(scenario)


def test_inplace_on_view_of_strided_base():
    def scenario(L):
        w = leaf(L, [1.0, 2.0], "float64")
        base = L.from_numpy(np.arange(12.0).reshape(4, 3).T)  # non-contiguous, no grad
        base[1].mul_(w.sum())
        base[:, 2:].add_(w[0])
        (base * L.arange(12.0, dtype=L.float64).reshape(3, 4)).sum().backward()
        return base, w.grad
    check_same(scenario)


def test_view_sees_inplace_changes_of_its_base():
    def scenario(L):
        x = leaf(L, [[1.0, 2.0], [3.0, 4.0]])
        y = x * 2
        v = y[1]
        y.add_(1)
        v.sum().backward()
        return v, v._version, x.grad
    check_same(scenario)


def test_view_history_follows_inplace_changes_of_its_base():
    def scenario(L):
        x = leaf(L, [[1.0, 2.0], [3.0, 4.0]])
        y = x * 2
        v = y[1]
        y.mul_(3)
        v.sum().backward()
        return x.grad
    check_same(scenario)


def test_inplace_on_expanded_tensor_raises():
    check_same_error(lambda L: L.ones(1).expand(3).add_(1))
    check_same_error(lambda L: (leaf(L, [1.0]) * 2).expand(3).mul_(2))


def test_inplace_through_data_is_not_tracked():
    def scenario(L):
        w = leaf(L, [1.0, 2.0])
        y = (w * w).sum()
        w.data.mul_(2)  # hidden from autograd, as optimizers used to do
        y.backward()
        return w._version, w.grad
    check_same(scenario)


# ---- hooks and retain_grad ----------------------------------------------------------------------

def test_tensor_hooks():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        calls = []
        hx = x.register_hook(lambda g: calls.append(("x", g.clone())))
        y = x * 2
        y.register_hook(lambda g: g + 1)
        y.register_hook(lambda g: g * 10)        # hooks compose in registration order
        ((y + 1) * (y * 3)).sum().backward()     # one call each, with the summed gradient
        first = x.grad.clone()
        hx.remove()
        x.register_hook(lambda g: g * 0)
        (x * 5).sum().backward()                 # removed hook silent; new one zeroes
        return calls, first, x.grad
    check_same(scenario)


def test_hook_on_tensor_without_grad_raises():
    check_same_error(lambda L: L.tensor([1.0]).register_hook(lambda g: g))


def test_retain_grad():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        x.retain_grad()                          # no-op on a leaf
        y = x * x
        y.retain_grad()
        y.register_hook(lambda g: g * 2)         # retained grad sees the hooked value
        z = (y * 3).sum()
        z.backward(retain_graph=True)
        once = y.grad.clone()
        z.backward()                             # accumulates
        return x.retains_grad, y.retains_grad, once, y.grad, x.grad
    check_same(scenario)


def test_retain_grad_on_tensor_without_grad_raises():
    check_same_error(lambda L: L.tensor([1.0]).retain_grad())


def test_gradients_accumulate_and_reset():
    def scenario(L):
        x = leaf(L, [1.0, 2.0])
        seen = []
        for k in (1.0, 2.0, 3.0):
            (x * k).sum().backward()
            seen.append(x.grad.clone())
        x.grad.zero_()
        (x * x).sum().backward()
        seen.append(x.grad.clone())
        x.grad = None
        (x * 4).sum().backward()
        seen.append(x.grad)
        return seen
    check_same(scenario)


# ---- leaves' .grad never aliases another tensor -------------------------------------------------

def _sum_of_leaves(L, create_graph):
    a, b = leaf(L, [1.0, 2.0]), leaf(L, [3.0, 4.0])
    (a + b).sum().backward(create_graph=create_graph)
    a.grad.zero_()
    return b.grad


def _own_gradient(L, create_graph):
    x, g = leaf(L, [1.0, 2.0]), L.tensor([3.0, 4.0])
    x.backward(g, create_graph=create_graph)
    x.grad.zero_()
    return g


def _through_clone(L, create_graph):
    x, g = leaf(L, [1.0, 2.0]), L.tensor([3.0, 4.0])
    x.clone().backward(g, create_graph=create_graph)
    x.grad.mul_(0)
    return g


def _broadcast(L, create_graph):
    a, b = leaf(L, [[1.0], [2.0]]), leaf(L, [3.0, 4.0])
    (a * 1 + b).sum().backward(create_graph=create_graph)
    a.grad.zero_()
    b.grad.zero_()
    return a.grad, b.grad


def _hook_result(L, create_graph):
    x, kept = leaf(L, [1.0, 2.0]), L.tensor([5.0, 6.0])
    x.register_hook(lambda g: kept)
    (x * 2).sum().backward(create_graph=create_graph)
    x.grad.zero_()
    return kept


def _retained(L, create_graph):
    x, g = leaf(L, [1.0, 2.0]), L.tensor([3.0, 4.0])
    y = x.clone()
    y.retain_grad()
    y.backward(g, create_graph=create_graph)
    x.grad.zero_()
    return y.grad, g


def _accumulated(L, create_graph):
    x, w = leaf(L, [1.0, 2.0]), leaf(L, [1.0, 1.0])
    (x + w).sum().backward(create_graph=create_graph)
    (x + w).sum().backward(create_graph=create_graph)
    x.grad.zero_()
    return w.grad


ALIASING = {f.__name__.strip("_"): f for f in (_sum_of_leaves, _own_gradient, _through_clone,
                                               _broadcast, _hook_result, _retained,
                                               _accumulated)}


@pytest.mark.parametrize("create_graph", [False, True], ids=["plain", "create_graph"])
@pytest.mark.parametrize("scenario", ALIASING.values(), ids=ALIASING.keys())
def test_leaf_grad_does_not_alias(scenario, create_graph):
    with warnings.catch_warnings():
        # torch warns about create_graph=True with .grad; not what is tested here
        warnings.simplefilter("ignore", UserWarning)
        ours = scenario(numtorch, create_graph)
        theirs = scenario(torch, create_graph)
    # torch's gradients built with create_graph may require grad; compare values only
    assert_same(_values(ours), _values(theirs))


def _values(v):
    if isinstance(v, (numtorch.Tensor, torch.Tensor)):
        return v.detach().numpy().tolist()
    return [_values(p) for p in v]


# ---- the engine checks what a backward returns --------------------------------------------------

def test_wrong_gradient_shape_from_a_function_names_it():
    def make(L):
        class BadShape(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return L.ones(5)

        return BadShape

    err = check_same_error(lambda L: make(L).apply(leaf(L, [1.0, 2.0])).sum().backward())
    assert "BadShape" in str(err)


# ---- broadcasting in binary ops (property test) ------------------------------------------------

BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x ** y,
}


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                max_side=3),
       name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**16))
def test_broadcasting_binary_ops_match_torch(shapes, name, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = rng.uniform(0.5, 2.0, a_shape)
    b = rng.uniform(0.5, 2.0, b_shape)
    g = rng.uniform(-1.0, 1.0, shapes.result_shape)
    f = BINARY[name]

    def scenario(L):
        x = L.tensor(a, requires_grad=True)
        y = L.tensor(b, requires_grad=True)
        out = f(x, y)
        out.backward(L.tensor(g))
        return out, x.grad, y.grad, (x < y), tuple(x.grad.shape), tuple(y.grad.shape)
    check_same(scenario, rtol=1e-12, atol=1e-12)
