"""Custom ``autograd.Function``s compared with PyTorch: each Function is written once, as a
factory over the library, run on both with the same float64 data, and the values, gradients,
node names and exception types compared."""
from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import numtorch
from conftest import require_torch

torch = require_torch()

LIBS = (numtorch, torch)


# ---- helpers --------------------------------------------------------------------------------

def arrays():
    """Fresh float64 data with negatives (for ReLU) and no zeros (for ReLU's kink)."""
    rng = np.random.default_rng(1234)
    a = rng.standard_normal((3, 4))
    a[np.abs(a) < 0.1] = 0.5
    b = rng.standard_normal((3, 4))
    return a, b


def tensor(lib, arr, requires_grad=False):
    return lib.from_numpy(np.array(arr, dtype=np.float64)).requires_grad_(requires_grad)


def once_differentiable(lib):
    return importlib.import_module(lib.__name__ + ".autograd.function").once_differentiable


def node_name(node):
    """A graph node's type name, e.g. 'MyReLUBackward' (what both libraries print)."""
    return None if node is None else type(node).__name__


def next_names(t):
    return [(node_name(n), i) for n, i in t.grad_fn.next_functions]


def norm(obj):
    """Make a result comparable across libraries: tensors become (array, dtype, requires_grad)."""
    if isinstance(obj, (numtorch.Tensor, torch.Tensor)):
        return ("tensor", obj.detach().numpy().copy(), str(obj.dtype).split(".")[-1],
                obj.requires_grad)
    if isinstance(obj, (tuple, list)):
        return [norm(o) for o in obj]
    if isinstance(obj, dict):
        return {k: norm(v) for k, v in obj.items()}
    return obj


def assert_same(ours, theirs, path="result"):
    if isinstance(theirs, tuple) and theirs and theirs[0] == "tensor":
        assert isinstance(ours, tuple) and ours[0] == "tensor", f"{path}: {ours!r} is no tensor"
        assert ours[2:] == theirs[2:], f"{path}: dtype, requires_grad {ours[2:]} != {theirs[2:]}"
        assert ours[1].shape == theirs[1].shape, f"{path}: shape {ours[1].shape} != torch's"
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12, err_msg=path)
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{path}: {ours} != {theirs}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_same(o, t, f"{path}[{i}]")
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), f"{path}: keys differ"
        for k in theirs:
            assert_same(ours[k], theirs[k], f"{path}[{k!r}]")
    else:
        assert ours == theirs, f"{path}: {ours!r} != torch's {theirs!r}"


def same_on_both(case):
    """Run ``case(lib)`` on both libraries and compare the results; return ours."""
    ours = case(numtorch)
    assert_same(norm(ours), norm(case(torch)))
    return ours


def raises_same(case, expected):
    """Both libraries raise ``expected`` (PyTorch's type, checked here too); return both."""
    caught = []
    for lib in LIBS:
        with pytest.raises(expected) as info:
            case(lib)
        caught.append(info.value)
    assert type(caught[0]) is type(caught[1]), (type(caught[0]), type(caught[1]))
    return caught


# ---- Functions, each written once for both libraries ------------------------------------------

def make_relu(lib):
    class MyReLU(lib.autograd.Function):
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
    return MyReLU


def make_cube(lib, decorate=None):
    """x**3 with a backward of differentiable ops (so it has a second derivative)."""
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 3 * x ** 2

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3
    Cube.backward = staticmethod(decorate(backward) if decorate else backward)
    return Cube


def make_exp(lib):
    """exp saving its output (not its input) for backward."""
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result
    return Exp


def make_scale(lib, log=None):
    """x * k with a Python number k: its gradient slot must be None."""
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.k = k
            if log is not None:
                log.append(("forward", ctx.needs_input_grad))
            return x * k

        @staticmethod
        def backward(ctx, grad_output):
            if log is not None:
                log.append(("backward", ctx.needs_input_grad))
            return grad_output * ctx.k, None
    return Scale


def make_mul_add(lib, log=None, materialize=True):
    """Two inputs, two outputs: (a * b, a + 2b)."""
    class MulAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(a, b)
            return a * b, a + 2 * b

        @staticmethod
        def backward(ctx, g_mul, g_add):
            if log is not None:
                log.append((g_mul, g_add))
            a, b = ctx.saved_tensors
            grad_a = grad_b = None
            if g_mul is not None:
                grad_a, grad_b = g_mul * b, g_mul * a
            if g_add is not None:
                grad_a = g_add if grad_a is None else grad_a + g_add
                grad_b = 2 * g_add if grad_b is None else grad_b + 2 * g_add
            return grad_a, grad_b
    return MulAdd


def make_returning(lib, grads_for):
    """A Function of (x, y) whose backward returns ``grads_for(lib, grad_output)`` as it is."""
    class Returning(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * 2 + y

        @staticmethod
        def backward(ctx, grad_output):
            return grads_for(lib, grad_output)
    return Returning


# ---- the seed's ReLU, names, graph ----------------------------------------------------------

def test_relu_values_grads_and_names():
    a, _ = arrays()

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        y = make_relu(lib).apply(x)
        names = (node_name(y.grad_fn), y.grad_fn.name(), next_names(y))
        (y * y).sum().backward()
        return y, x.grad, names, y.is_leaf

    y, grad, names, _ = same_on_both(case)
    assert names[0] == "MyReLUBackward" and names[2] == [("AccumulateGrad", 0)]
    np.testing.assert_array_equal(grad.numpy(), 2 * np.maximum(a, 0))  # and not just "like torch"


def test_next_functions_skip_non_tensors_and_mark_unused_inputs():
    a, b = arrays()

    def case(lib):
        class Mix(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k, z):
                return x * k + z

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output * 2, None, grad_output
        x = tensor(lib, a, requires_grad=True)
        out1 = Mix.apply(x, 2.0, tensor(lib, b))  # z does not require grad: (None, 0)
        out2 = Mix.apply(x * 1, 3, out1)
        out3 = Mix.apply(out2, 1.5, out2)
        return next_names(out1), next_names(out2), next_names(out3), node_name(out3.grad_fn)

    assert same_on_both(case)[0] == [("AccumulateGrad", 0), (None, 0)]


def test_ctx_is_the_grad_fn_and_keeps_arbitrary_attributes():
    a, _ = arrays()

    def case(lib):
        seen = []

        class Attr(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                seen.append(ctx)
                ctx.k = k
                ctx.shape = tuple(x.shape)
                ctx.extra = {"list": [1, 2]}
                return x * k

            @staticmethod
            def backward(ctx, grad_output):
                seen.append(ctx)
                return grad_output * ctx.k * len(ctx.extra["list"]), None

        x = tensor(lib, a, requires_grad=True)
        out = Attr.apply(x, 4.0)
        out.sum().backward()
        return (seen[0] is out.grad_fn, seen[1] is out.grad_fn, out.grad_fn.k,
                out.grad_fn.shape, x.grad)

    same_on_both(case)


def test_grad_mode_inside_forward_and_backward():
    a, _ = arrays()

    def case(lib):
        modes = []

        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                modes.append(("forward", lib.is_grad_enabled()))
                return x * 2

            @staticmethod
            def backward(ctx, grad_output):
                modes.append(("backward", lib.is_grad_enabled()))
                return grad_output * 2

        x = tensor(lib, a, requires_grad=True)
        lib.autograd.grad(Probe.apply(x).sum(), x)
        lib.autograd.grad(Probe.apply(x).sum(), x, create_graph=True)
        return modes

    same_on_both(case)


# ---- arguments, inputs and outputs ----------------------------------------------------------

@pytest.mark.parametrize("k", [2.5, 3, -1.0])
def test_non_tensor_argument_gets_no_gradient(k):
    a, _ = arrays()

    def case(lib):
        log = []
        x = tensor(lib, a, requires_grad=True)
        out = make_scale(lib, log).apply(x, k)
        out.sum().backward()
        return out, x.grad, log

    same_on_both(case)


def test_needs_input_grad():
    a, b = arrays()

    def case(lib):
        log = []

        class Three(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y, k):
                log.append(ctx.needs_input_grad)
                return x * y * k

            @staticmethod
            def backward(ctx, grad_output):
                log.append(ctx.needs_input_grad)
                return grad_output, grad_output, None

        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b)
        Three.apply(x, y, 2).sum().backward()
        with lib.no_grad():
            quiet = Three.apply(x, y, 2)      # not recorded, still reports requires_grad
        none = Three.apply(y, y, 2)           # nothing requires grad: not recorded
        return log, quiet.requires_grad, quiet.grad_fn, none.requires_grad, none.grad_fn

    assert same_on_both(case)[0][0] == (True, False, False)


def test_multiple_inputs_and_outputs():
    a, b = arrays()

    def case(lib):
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        p, s = make_mul_add(lib).apply(x, y)
        (p * s).sum().backward()
        return p, s, x.grad, y.grad, node_name(p.grad_fn), p.grad_fn is s.grad_fn

    same_on_both(case)


@pytest.mark.parametrize("materialize", [True, False])
@pytest.mark.parametrize("used", [0, 1])
def test_set_materialize_grads(materialize, used):
    a, b = arrays()

    def case(lib):
        log = []
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        outs = make_mul_add(lib, log, materialize).apply(x, y)
        outs[used].sum().backward()
        return log, x.grad, y.grad

    log = same_on_both(case)[0]
    unused = log[0][1 - used]
    assert (unused is None) != materialize


def test_keyword_arguments_are_inputs():
    a, b = arrays()

    def case(lib):
        log = []

        class Keyword(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y=None, scale=1.0):
                log.append(ctx.needs_input_grad)
                ctx.scale = scale
                ctx.save_for_backward(x, y)
                return x * y * scale

            @staticmethod
            def backward(ctx, grad_output):
                x, y = ctx.saved_tensors
                g = grad_output * ctx.scale
                return (g * y, g * x) + (None,) * (len(ctx.needs_input_grad) - 2)

        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        out = Keyword.apply(x, y=y, scale=3.0)
        out.sum().backward()
        return log, x.grad, y.grad, next_names(out)

    assert same_on_both(case)[0] == [(True, True, False)]


def test_non_tensor_output_and_returned_input():
    a, _ = arrays()

    def case(lib):
        class Pair(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, 7

            @staticmethod
            def backward(ctx, grad_output, grad_seven):
                return grad_output * 2

        class Identity(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output * 5

        x = tensor(lib, a, requires_grad=True)
        doubled, seven = Pair.apply(x)
        same = Identity.apply(x)
        facts = (seven, same is x, same.is_leaf, node_name(same.grad_fn), x.grad_fn)
        (doubled.sum() + same.sum()).backward()
        return facts, x.grad

    same_on_both(case)


def test_integer_output_is_not_differentiable():
    a, _ = arrays()

    def case(lib):
        got = []

        class WithMask(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, (x > 0).to(lib.int64)

            @staticmethod
            def backward(ctx, grad_output, grad_mask):
                got.append(grad_mask)
                return grad_output * 2

        x = tensor(lib, a, requires_grad=True)
        y, mask = WithMask.apply(x)
        y.sum().backward()
        return mask, mask.grad_fn, got, x.grad

    same_on_both(case)


# ---- ctx methods ----------------------------------------------------------------------------

def make_add_one(lib, save=False):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            if save:
                ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, grad_output):
            if save:
                x, = ctx.saved_tensors
                return grad_output * x
            return grad_output * 2
    return AddOne


def test_mark_dirty():
    a, _ = arrays()

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        h = x * 3
        out = make_add_one(lib).apply(h)
        out2 = make_add_one(lib).apply(out)
        facts = (out is h, out2 is h, node_name(h.grad_fn),
                 node_name(h.grad_fn.next_functions[0][0]), h._version)
        (out2 * out2).sum().backward()
        plain = tensor(lib, a)                # nothing recorded: still counts as a change
        make_add_one(lib).apply(plain)
        return facts, h, x.grad, plain, plain._version

    same_on_both(case)


def test_mark_dirty_with_saved_output():
    a, _ = arrays()

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        h = x.clone()
        out = make_add_one(lib, save=True).apply(h)
        version = out._version
        out.sum().backward()
        return version, x.grad

    same_on_both(case)

    def modified(lib):
        h = tensor(lib, a, requires_grad=True).clone()
        out = make_add_one(lib, save=True).apply(h)
        out.mul_(3)
        out.sum().backward()

    ours, theirs = raises_same(modified, RuntimeError)
    for e in (ours, theirs):
        assert "is at version 3; expected version 2" in str(e)
    assert "AddOneBackward" in str(ours)


def test_mark_dirty_on_leaf_requiring_grad_raises():
    a, _ = arrays()
    raises_same(lambda lib: make_add_one(lib).apply(tensor(lib, a, requires_grad=True)),
                RuntimeError)


def test_mark_non_differentiable():
    a, _ = arrays()

    def make(lib, log):
        class TwoOut(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y1, y2 = x * 2, x * 3
                ctx.mark_non_differentiable(y2)
                return y1, y2

            @staticmethod
            def backward(ctx, g1, g2):
                log.append(g2)
                return g1 * 2
        return TwoOut

    def case(lib):
        log = []
        x = tensor(lib, a, requires_grad=True)
        y1, y2 = make(lib, log).apply(x)
        facts = (y1.requires_grad, y2.requires_grad, y2.grad_fn, node_name(y1.grad_fn))
        y1.sum().backward()
        return facts, y2, log, x.grad

    same_on_both(case)

    def backward_through_it(lib):
        make(lib, []).apply(tensor(lib, a, requires_grad=True))[1].sum().backward()

    raises_same(backward_through_it, RuntimeError)


def test_save_for_backward_accepts_none_and_rejects_other_values():
    a, _ = arrays()

    def make(lib, extra):
        class Save(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, extra)
                return x * 2

            @staticmethod
            def backward(ctx, grad_output):
                x, other = ctx.saved_tensors
                assert other is None
                return grad_output * 2
        return Save

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        make(lib, None).apply(x).sum().backward()
        return x.grad

    same_on_both(case)
    raises_same(lambda lib: make(lib, 3).apply(tensor(lib, a, requires_grad=True)), TypeError)


# ---- setup_context, vjp, once_differentiable, double backward -------------------------------

def test_setup_context_style():
    a, _ = arrays()

    def case(lib):
        log = []

        class Power(lib.autograd.Function):
            @staticmethod
            def forward(x, p=3.0):
                return x ** p

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, p = inputs
                log.append((len(inputs), ctx.needs_input_grad))
                ctx.p = p
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, grad_output):
                x, = ctx.saved_tensors
                return grad_output * ctx.p * x ** (ctx.p - 1), None

        x = tensor(lib, a, requires_grad=True)
        grads = []
        for out in (Power.apply(x), Power.apply(x, 2.0), Power.apply(x, p=4.0)):
            grads.append(lib.autograd.grad(out.sum(), x)[0])
        return log, grads, node_name(Power.apply(x).grad_fn)

    same_on_both(case)


def test_vjp_alias():
    a, _ = arrays()

    def case(lib):
        class Five(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 5

            @staticmethod
            def vjp(ctx, grad_output):
                return grad_output * 5

        x = tensor(lib, a, requires_grad=True)
        Five.apply(x).sum().backward()
        return x.grad

    same_on_both(case)


def test_missing_forward_or_backward_raise_not_implemented():
    a, _ = arrays()

    def no_backward(lib):
        class NoBackward(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 5
        NoBackward.apply(tensor(lib, a, requires_grad=True)).sum().backward()

    def no_forward(lib):
        class NoForward(lib.autograd.Function):
            pass
        NoForward.apply(tensor(lib, a, requires_grad=True))

    raises_same(no_backward, NotImplementedError)
    raises_same(no_forward, NotImplementedError)


@pytest.mark.parametrize("maker", [make_cube, make_exp], ids=["saved_input", "saved_output"])
def test_double_backward(maker):
    a, _ = arrays()

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        out = maker(lib).apply(x)
        gx, = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        ggx, = lib.autograd.grad(gx.sum(), x, retain_graph=True)
        (gx * gx).sum().backward()
        return gx, node_name(gx.grad_fn), ggx, x.grad

    same_on_both(case)


def test_once_differentiable():
    a, _ = arrays()

    def first_order(lib):
        x = tensor(lib, a, requires_grad=True)
        make_cube(lib, once_differentiable(lib)).apply(x).sum().backward()
        return x.grad

    def second_order_graph(lib):
        x = tensor(lib, a, requires_grad=True)
        out = make_cube(lib, once_differentiable(lib)).apply(x)
        # the incoming gradient (2 * out) requires grad, so a graph would be recorded
        gx, = lib.autograd.grad((out * out).sum(), x, create_graph=True)
        return gx, node_name(gx.grad_fn)

    same_on_both(first_order)
    assert same_on_both(second_order_graph)[1] == "Error"
    raises_same(lambda lib: second_order_graph(lib)[0].sum().backward(), RuntimeError)


# ---- what the engine checks in a backward's result ------------------------------------------

def test_too_many_or_too_few_gradients_raise():
    a, b = arrays()

    def call(grads_for):
        def case(lib):
            x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
            make_returning(lib, grads_for).apply(x, y).sum().backward()
        return case

    for grads_for in (lambda lib, g: g,
                      lambda lib, g: (g * 2, g, g),
                      lambda lib, g: (g * 2, g, None, g)):
        ours, theirs = raises_same(call(grads_for), RuntimeError)
        assert "ReturningBackward" in str(ours) and "incorrect number of gradients" in str(ours)


def test_extra_trailing_none_gradients_are_accepted():
    a, b = arrays()

    def case(lib):
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        make_returning(lib, lambda lib, g: (g * 2, g * 3, None, None)).apply(x, y).sum() \
            .backward()
        return x.grad, y.grad

    same_on_both(case)


def test_list_of_gradients_raises():
    a, b = arrays()

    def case(lib):
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        make_returning(lib, lambda lib, g: [g * 2, g]).apply(x, y).sum().backward()

    raises_same(case, RuntimeError)


def test_gradient_must_be_tensor_or_none():
    a, b = arrays()

    def case(lib):
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        make_returning(lib, lambda lib, g: (2.0, None)).apply(x, y).sum().backward()

    raises_same(case, RuntimeError)


@pytest.mark.parametrize("grad", ["tensor", "number"])
def test_gradient_for_non_tensor_input_raises(grad):
    a, _ = arrays()

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        other = (lambda g: g) if grad == "tensor" else (lambda g: 1.0)
        make_returning(lib, lambda lib, g: (g * 2, other(g))).apply(x, 1.5).sum().backward()

    ours, theirs = raises_same(case, RuntimeError)
    assert "ReturningBackward" in str(ours) and "position 2" in str(ours)


def test_gradient_for_input_without_requires_grad_is_dropped():
    a, b = arrays()

    def case(lib):
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b)
        make_returning(lib, lambda lib, g: (g * 2, g)).apply(x, y).sum().backward()
        return x.grad, y.grad

    same_on_both(case)


@pytest.mark.parametrize("shape", [(4,), (1, 4), (3, 1), (1, 1), ()])
def test_broadcast_shaped_gradient_is_summed_to_the_input_shape(shape):
    a, _ = arrays()
    rng = np.random.default_rng(5)
    c = rng.standard_normal(shape)
    weight = rng.standard_normal((3, 4))

    def case(lib):
        class Add(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, bias):
                return x + bias

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output, grad_output  # bias's gradient in the broadcast shape

        x, bias = tensor(lib, a, requires_grad=True), tensor(lib, c, requires_grad=True)
        (Add.apply(x, bias) * tensor(lib, weight)).sum().backward()
        return x.grad, bias.grad

    grads = same_on_both(case)
    assert tuple(grads[1].shape) == shape


@pytest.mark.parametrize("extra", [(1, 3, 4), (2, 3, 4), (2, 1, 3, 4)])
def test_gradient_with_extra_leading_dims_is_summed(extra):
    a, b = arrays()

    def case(lib):
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        ones = lib.ones(extra, dtype=lib.float64)
        make_returning(lib, lambda lib, g: (g * 2, g * ones)).apply(x, y).sum().backward()
        return x.grad, y.grad

    same_on_both(case)


@pytest.mark.parametrize("bad", [(4,), (3, 1), (), (2, 4, 4)])
def test_irreducible_gradient_shape_raises_naming_function_index_and_shapes(bad):
    a, b = arrays()

    def case(lib):
        x, y = tensor(lib, a, requires_grad=True), tensor(lib, b, requires_grad=True)
        make_returning(lib, lambda lib, g: (g * 2, lib.ones(bad, dtype=lib.float64))) \
            .apply(x, y).sum().backward()

    for e in raises_same(case, RuntimeError):
        message = str(e)
        assert "ReturningBackward" in message and "index 1" in message
        assert str(list(bad)) in message and "[3, 4]" in message


def test_gradient_dtype_is_cast_to_the_input_dtype():
    a, _ = arrays()

    def case(lib):
        class Casting(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * 2 + y * 2

            @staticmethod
            def backward(ctx, grad_output):
                return (grad_output * 2).float(), (grad_output > 0).to(lib.int64)

        x = tensor(lib, a, requires_grad=True)
        y = lib.from_numpy(a.astype(np.float32)).requires_grad_()
        Casting.apply(x, y).sum().backward()
        return x.grad, y.grad

    same_on_both(case)


# ---- the seed's two pitfalls ----------------------------------------------------------------

def make_without_staticmethod(lib, which):
    class Plain(lib.autograd.Function):
        if which == "forward":
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output * 2
        else:
            @staticmethod
            def forward(ctx, x):
                return x * 2

            def backward(ctx, grad_output):
                return grad_output * 2
    return Plain


@pytest.mark.parametrize("which", ["forward", "backward"])
def test_missing_staticmethod_is_an_error_at_class_definition(which):
    # NOTE: a deliberate difference: PyTorch accepts this class silently (it works because
    # the plain function is looked up on the class); numtorch rejects it with the fix.
    a, _ = arrays()
    Plain = make_without_staticmethod(torch, which)
    x = tensor(torch, a, requires_grad=True)
    Plain.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(a.shape, 2.0))

    with pytest.raises(TypeError, match=rf"@staticmethod.*def {which}\(ctx"):
        make_without_staticmethod(numtorch, which)


def test_calling_an_instance_raises_and_names_apply():
    a, _ = arrays()

    def case(lib):
        with warnings.catch_warnings():  # PyTorch warns on instantiation before it raises
            warnings.simplefilter("ignore", DeprecationWarning)
            fn = make_relu(lib)()
        fn(tensor(lib, a, requires_grad=True))

    ours, _ = raises_same(case, RuntimeError)
    assert "MyReLU.apply" in str(ours)


# ---- saved tensors: freeing and in-place changes --------------------------------------------

def test_saved_tensors_are_freed_after_backward():
    a, _ = arrays()

    def backward_twice(lib):
        x = tensor(lib, a, requires_grad=True)
        loss = make_cube(lib).apply(x).sum()
        loss.backward()
        loss.backward()

    def read_after_backward(lib):
        x = tensor(lib, a, requires_grad=True)
        out = make_cube(lib).apply(x)
        out.sum().backward()
        return out.grad_fn.saved_tensors

    raises_same(backward_twice, RuntimeError)
    raises_same(read_after_backward, RuntimeError)


def test_retain_graph_keeps_saved_tensors():
    a, _ = arrays()

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        out = make_cube(lib).apply(x)
        loss = out.sum()
        loss.backward(retain_graph=True)
        first = x.grad.clone()
        saved, = out.grad_fn.saved_tensors
        loss.backward()
        return first, x.grad, saved

    same_on_both(case)


@pytest.mark.parametrize("where", ["input", "output", "leaf"])
def test_in_place_change_of_saved_tensor_raises_at_backward(where):
    a, _ = arrays()

    def case(lib):
        x = tensor(lib, a, requires_grad=True)
        if where == "input":
            h = x * 1
            out = make_cube(lib).apply(h)
            h.mul_(2)
        elif where == "output":
            out = make_exp(lib).apply(x)
            out.add_(1)
        else:
            out = make_cube(lib).apply(x)
            with lib.no_grad():
                x.mul_(2)
        out.sum().backward()

    ours, theirs = raises_same(case, RuntimeError)
    for e in (ours, theirs):
        assert "is at version 1; expected version 0" in str(e)
    name = "ExpBackward" if where == "output" else "CubeBackward"
    assert name in str(ours)
