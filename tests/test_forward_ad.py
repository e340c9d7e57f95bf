"""forward_ad (dual levels, make_dual, unpack_dual), tangents through in-place writes, and
custom Functions' jvp / save_for_forward, against torch.autograd.forward_ad."""
from __future__ import annotations

import numpy as np
import pytest

import numtorch
import numtorch.autograd.forward_ad as fw
from conftest import require_torch

torch = require_torch()
tfw = torch.autograd.forward_ad


def _arr(*shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def _same_error(fn):
    """fn(lib, fwad) must raise the same exception type in both libraries."""
    with pytest.raises(Exception) as theirs:
        fn(torch, tfw)
    with pytest.raises(type(theirs.value)):
        fn(numtorch, fw)


# ---- levels, make_dual, unpack_dual ------------------------------------------------------------

def test_dual_level_numbers_and_clears_tangents():
    x = numtorch.tensor([1.0, 2.0])
    with fw.dual_level() as level:
        assert level == 0
        d = fw.make_dual(x, numtorch.tensor([3.0, 4.0]))
        y = d * 2
        assert fw.unpack_dual(y).tangent.tolist() == [6.0, 8.0]
    assert fw.unpack_dual(d).tangent is None and fw.unpack_dual(y).tangent is None
    assert fw._enabled is False
    level = fw.enter_dual_level()
    assert level == 0
    fw.exit_dual_level(level=level)


def test_dual_level_as_decorator():
    @fw.dual_level()
    def f(x, t):
        return fw.unpack_dual(fw.make_dual(x, t).sin()).tangent

    x, t = numtorch.tensor([0.5]), numtorch.tensor([2.0])
    assert f(x, t).item() == pytest.approx(2.0 * np.cos(0.5))
    assert fw._enabled is False


def test_unpack_dual_fields_and_views():
    x = numtorch.tensor([1.0, 2.0])
    t = numtorch.tensor([0.5, 0.25])
    with fw.dual_level():
        d = fw.make_dual(x, t)
        assert d is not x and d._base is x  # a view of the primal, as in PyTorch
        u = fw.unpack_dual(d)
        assert isinstance(u, tuple) and u._fields == ("primal", "tangent")
        assert u.tangent is t and u[1] is t
        assert fw.unpack_dual(u.primal).tangent is None
        assert fw.unpack_dual(x).tangent is None
        assert fw.unpack_dual(d.detach()).tangent is None  # detach drops the tangent too


def test_make_dual_keeps_reverse_mode_history():
    x = numtorch.tensor([1.0, 2.0], requires_grad=True)
    with fw.dual_level():
        d = fw.make_dual(x, numtorch.tensor([1.0, 1.0]))
        y = (d * d).sum()
        (g,) = numtorch.autograd.grad(y, x)
    assert g.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("case", [
    "outside", "shape", "int_primal", "int_tangent", "twice", "nested", "nested_enter",
    "bad_level", "exit_none", "exit_wrong", "unpack_number",
])
def test_errors_match_torch(case):
    def run(lib, fwad):
        x = lib.tensor([1.0, 2.0])
        t = lib.tensor([0.5, 0.5])
        if case == "outside":
            return fwad.make_dual(x, t)
        if case == "exit_none":
            return fwad.exit_dual_level()
        with fwad.dual_level():
            if case == "shape":
                fwad.make_dual(x, lib.tensor([1.0]))
            elif case == "int_primal":
                fwad.make_dual(lib.tensor([1, 2]), t)
            elif case == "int_tangent":
                fwad.make_dual(x, lib.tensor([1, 2]))
            elif case == "twice":
                fwad.make_dual(fwad.make_dual(x, t), t)
            elif case == "nested":
                with fwad.dual_level():
                    pass
            elif case == "nested_enter":
                fwad.enter_dual_level()
            elif case == "bad_level":
                fwad.make_dual(x, t, level=3)
            elif case == "exit_wrong":
                fwad.exit_dual_level(level=5)
            elif case == "unpack_number":
                fwad.unpack_dual(3.0)
    _same_error(run)
    assert fw._level == -1 or fw.exit_dual_level() is None


def test_level_survives_errors_inside():
    with pytest.raises(RuntimeError):
        with fw.dual_level():
            raise RuntimeError("boom")
    assert not fw._enabled


def test_dual_level_is_shared_by_threads_as_in_torch():
    """PyTorch's forward-AD levels are process-wide: another thread sees the active level (its
    ops propagate tangents, it may make duals) and cannot enter a second level."""
    import threading

    def run(lib, fwad):
        seen = {}
        with fwad.dual_level():
            d = fwad.make_dual(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]))

            def work():
                seen["tangent"] = fwad.unpack_dual(d * 2).tangent.tolist()
                e = fwad.make_dual(lib.tensor([0.0]), lib.tensor([1.0]))
                seen["made"] = fwad.unpack_dual(e.cos()).tangent.tolist()
                try:
                    with fwad.dual_level():
                        seen["nested"] = "entered"
                except RuntimeError:
                    seen["nested"] = "RuntimeError"
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
        return seen
    assert run(numtorch, fw) == run(torch, tfw)
    assert run(numtorch, fw)["nested"] == "RuntimeError"


# ---- tangents through ops, in-place writes and reverse mode ----------------------------------

def _tangent_of(lib, fwad, f, *pairs):
    with fwad.dual_level():
        duals = [fwad.make_dual(lib.from_numpy(p.copy()), lib.from_numpy(t.copy()))
                 for p, t in pairs]
        out = f(lib, *duals)
        t = fwad.unpack_dual(out).tangent
        return None if t is None else np.array(t.detach().numpy())


@pytest.mark.parametrize("name,f", [
    ("chain", lambda lib, x, y: (x * y).sin().exp() + x / (y * y + 1)),
    ("mlp", lambda lib, x, w: lib.tanh(x @ w).sum(dim=1).log_softmax(dim=0)),
    ("add_", lambda lib, x, y: (x * 1).add_(y)),
    ("mul_ by plain", lambda lib, x, y: (x * 1).mul_(y.detach())),
    ("copy_ into plain", lambda lib, x, y: lib.zeros(3, 3, dtype=lib.float64).copy_(x * y)),
    ("setitem into plain", lambda lib, x, y: _setitem(lib.zeros(3, 3, dtype=lib.float64),
                                                      (1, slice(None)), x[0])),
    ("setitem dual", lambda lib, x, y: _setitem(x * 1, 0, y[1] * 2)),
    ("fill_", lambda lib, x, y: (x * 1).fill_(y[0, 0])),
    ("view then in-place", lambda lib, x, y: _view_inplace(x * 1, y)),
])
def test_tangents_match_torch(name, f):
    x, y = _arr(3, 3, seed=1), _arr(3, 3, seed=2) + 2
    tx, ty = _arr(3, 3, seed=3), _arr(3, 3, seed=4)
    expected = _tangent_of(torch, tfw, f, (x, tx), (y, ty))
    got = _tangent_of(numtorch, fw, f, (x, tx), (y, ty))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def _setitem(t, key, v):
    t[key] = v
    return t


def _view_inplace(base, y):
    base[1].mul_(y[2])  # the row's tangent is a view of base's: base sees the change
    return base


def test_tangent_is_differentiable_by_reverse_mode():
    # reverse over forward: d/dx <grad f(x), t> for f = sum(sin(x)**2) is the Hessian times t
    x0, t0 = _arr(4, seed=7), _arr(4, seed=8)
    results = []
    for lib, fwad in ((numtorch, fw), (torch, tfw)):
        x = lib.from_numpy(x0.copy()).requires_grad_(True)
        with fwad.dual_level():
            d = fwad.make_dual(x, lib.from_numpy(t0.copy()))
            jvp = fwad.unpack_dual((d.sin() ** 2).sum()).tangent
        (g,) = lib.autograd.grad(jvp, x)
        results.append(np.array(g.detach().numpy()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


def test_no_level_means_no_tangents_and_no_cost_path():
    x = numtorch.tensor([1.0])
    y = x.exp()
    assert fw._enabled is False and y._fw_grad is None


# ---- custom Functions ----------------------------------------------------------------------

def _functions(lib):
    class MulK(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_forward(x, y)
            ctx.save_for_backward(x, y)
            ctx.k = k
            return x * y * k, x + y

        @staticmethod
        def backward(ctx, g1, g2):
            x, y = ctx.saved_tensors
            return g1 * y * ctx.k + g2, g1 * x * ctx.k + g2, None

        @staticmethod
        def jvp(ctx, tx, ty, tk):
            assert tk is None  # not a tensor
            assert tx is not None and ty is not None  # materialized zeros
            x, y = ctx.saved_tensors
            return (tx * y + x * ty) * ctx.k, tx + ty

    class Sin(lib.autograd.Function):  # setup_context style
        @staticmethod
        def forward(x):
            return x.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            return None

        @staticmethod
        def jvp(ctx, tx):
            (x,) = ctx.saved_tensors
            return tx * x.cos()

    class Lazy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.set_materialize_grads(False)
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, g

        @staticmethod
        def jvp(ctx, tx, ty):
            return tx if ty is None else tx + ty

    class Double_(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def jvp(ctx, tx):
            return tx.mul_(2)

    return MulK, Sin, Lazy, Double_


@pytest.mark.parametrize("which", ["MulK", "Sin", "Lazy", "Double_"])
def test_custom_function_jvp_matches_torch(which):
    x0, y0, tx0 = _arr(3, seed=1), _arr(3, seed=2), _arr(3, seed=3)
    results = []
    for lib, fwad in ((numtorch, fw), (torch, tfw)):
        fns = dict(zip(["MulK", "Sin", "Lazy", "Double_"], _functions(lib)))
        fn = fns[which]
        with fwad.dual_level():
            x = fwad.make_dual(lib.from_numpy(x0.copy()), lib.from_numpy(tx0.copy()))
            y = lib.from_numpy(y0.copy())
            if which == "MulK":
                outs = fn.apply(x, y, 3.0)
            elif which == "Sin":
                outs = (fn.apply(x),)
            elif which == "Lazy":
                outs = (fn.apply(x, y),)
            else:
                outs = (fn.apply(x * 1),)
            results.append([np.array(fwad.unpack_dual(o).tangent.numpy()) for o in outs])
    for got, expected in zip(*results):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_custom_function_forward_sees_no_tangent_and_no_grad():
    seen = {}

    class Probe(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            seen["tangent"] = fw.unpack_dual(x).tangent
            seen["grad"] = numtorch.is_grad_enabled()
            return x * 2

        @staticmethod
        def jvp(ctx, tx):
            seen["jvp_grad"] = numtorch.is_grad_enabled()
            return tx * 2

    with fw.dual_level():
        out = Probe.apply(fw.make_dual(numtorch.ones(2), numtorch.ones(2)))
        assert fw.unpack_dual(out).tangent.tolist() == [2.0, 2.0]
    assert seen == {"tangent": None, "grad": False, "jvp_grad": True}


def _bad(lib, kind):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if kind == "dirty":
                x.mul_(2)
                ctx.mark_dirty(x)
                return x
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, *g):
            return g[0]

        if kind == "count":
            @staticmethod
            def jvp(ctx, tx):
                return tx
        elif kind == "shape":
            @staticmethod
            def jvp(ctx, tx):
                return tx, lib.ones(5)
        elif kind == "type":
            @staticmethod
            def jvp(ctx, tx):
                return tx, 3
        elif kind == "dirty":
            @staticmethod
            def jvp(ctx, tx):
                return tx * 2
    return Bad


@pytest.mark.parametrize("kind", ["missing", "count", "shape", "type", "dirty"])
def test_custom_function_errors_match_torch(kind):
    def run(lib, fwad):
        fn = _bad(lib, kind)
        with fwad.dual_level():
            x = fwad.make_dual(lib.ones(3) * 1, lib.ones(3))
            fn.apply(x * 1)
    _same_error(run)


def test_missing_jvp_message_names_the_function_and_fix():
    fn = _bad(numtorch, "missing")
    with fw.dual_level():
        x = fw.make_dual(numtorch.ones(3), numtorch.ones(3))
        with pytest.raises(NotImplementedError, match="Bad.*jvp"):
            fn.apply(x)
        fn.apply(numtorch.ones(3))  # no tangent in: no jvp needed


def test_save_for_forward_refuses_non_tensors():
    class F(numtorch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x, 3)
            return x

    with pytest.raises(TypeError, match="save_for_forward"):
        F.apply(numtorch.ones(1))


# ---- nn.functional ops (not in op_db) ---------------------------------------------------------

def _nn_cases():
    def F(lib):
        return lib.nn.functional

    img, w3, b3 = _arr(2, 3, 5, 5, seed=11), _arr(4, 3, 3, 3, seed=12), _arr(4, seed=13)
    seq = _arr(2, 3, 7, seed=14)
    probs = 1 / (1 + np.exp(-_arr(4, 3, seed=16)))
    return [
        ("conv2d", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1, stride=2),
         [img, w3, b3]),
        ("conv1d groups", lambda lib, x, w: F(lib).conv1d(x, w[:3], groups=3, dilation=2),
         [seq, _arr(3, 1, 2, seed=17)]),
        ("conv_transpose2d", lambda lib, x, w, b: F(lib).conv_transpose2d(
            x, w, b[:3], stride=2), [_arr(2, 4, 3, 3), w3, b3]),
        ("max_pool2d", lambda lib, x: F(lib).max_pool2d(x, 2, 2), [img]),
        ("max_pool1d", lambda lib, x: F(lib).max_pool1d(x, 3, 2, padding=1), [seq]),
        ("avg_pool2d", lambda lib, x: F(lib).avg_pool2d(x, 3, 2, padding=1), [img]),
        ("adaptive_avg_pool2d", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (2, 3)), [img]),
        ("adaptive_max_pool2d", lambda lib, x: F(lib).adaptive_max_pool2d(x, 2), [img]),
        ("batch_norm train", lambda lib, x, w, b: F(lib).batch_norm(
            x, None, None, w[:3], b[:3], training=True), [img, b3, _arr(4, seed=18)]),
        ("layer_norm", lambda lib, x, w, b: F(lib).layer_norm(x, (5,), w, b),
         [img, _arr(5, seed=22), _arr(5, seed=23)]),
        ("group_norm", lambda lib, x: F(lib).group_norm(x, 3), [img]),
        ("linear", lambda lib, x, w, b: F(lib).linear(x, w, b),
         [_arr(5, 3), _arr(4, 3, seed=19), b3]),
        ("cross_entropy", lambda lib, x: F(lib).cross_entropy(
            x, lib.tensor([0, 2, 1, 2])), [_arr(4, 3, seed=20)]),
        ("cross_entropy none smoothing", lambda lib, x: F(lib).cross_entropy(
            x, lib.tensor([0, 2, 1, 2]), reduction="none", label_smoothing=0.1),
         [_arr(4, 3, seed=20)]),
        ("nll_loss sum", lambda lib, x: F(lib).nll_loss(
            x, lib.tensor([0, 2, 1, 2]), reduction="sum"), [_arr(4, 3, seed=21)]),
        ("mse_loss", lambda lib, x, y: F(lib).mse_loss(x, y), [_arr(4, 3), _arr(4, 3, seed=1)]),
        ("mse_loss none", lambda lib, x, y: F(lib).mse_loss(x, y, reduction="none"),
         [_arr(4, 3), _arr(4, 3, seed=1)]),
        ("binary_cross_entropy", lambda lib, x, y: F(lib).binary_cross_entropy(x, y),
         [probs, probs[::-1].copy()]),
        ("embedding", lambda lib, w: F(lib).embedding(lib.tensor([[0, 2], [3, 3]]), w),
         [_arr(4, 3)]),
        ("pad", lambda lib, x: F(lib).pad(x, (1, 2, 0, 1), value=3.0), [img]),
        ("to float32", lambda lib, x: x.to(lib.float32).sin(), [_arr(3)]),
        ("sum_to_size", lambda lib, x: x.sum_to_size(1, 3), [_arr(4, 3)]),
        ("svd", lambda lib, x: lib.linalg.svd(x, full_matrices=False)[1], [_arr(4, 3)]),
        ("qr", lambda lib, x: lib.linalg.qr(x)[1], [_arr(4, 3)]),
    ]


@pytest.mark.parametrize("name,f,arrays", _nn_cases(), ids=[c[0] for c in _nn_cases()])
def test_nn_tangents_match_torch(name, f, arrays):
    tangents = [_arr(*a.shape, seed=30 + i) for i, a in enumerate(arrays)]
    results = []
    for lib, fwad in ((numtorch, fw), (torch, tfw)):
        with fwad.dual_level():
            duals = [fwad.make_dual(lib.from_numpy(a.copy()), lib.from_numpy(t.copy()))
                     for a, t in zip(arrays, tangents)]
            out = f(lib, *duals)
            t = fwad.unpack_dual(out).tangent
            results.append(np.zeros(tuple(out.shape)) if t is None
                           else np.array(t.detach().numpy()))
    tol = 1e-5 if name == "to float32" else 1e-9
    np.testing.assert_allclose(results[0], results[1], rtol=tol, atol=tol)


def test_jvp_tangent_for_non_differentiable_output_is_refused_like_torch():
    def run(lib, fwad):
        class N(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                a, b = x * 2, x * 3
                ctx.mark_non_differentiable(b)
                return a, b

            @staticmethod
            def jvp(ctx, t):
                return t * 2, t * 3

        with fwad.dual_level():
            N.apply(fwad.make_dual(lib.ones(2), lib.ones(2)))
    _same_error(run)


def test_module_with_full_backward_hook_passes_tangents():
    lin = numtorch.nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gi, go: None)
    x = numtorch.randn(4, 3, requires_grad=True)
    t = numtorch.randn(4, 3)
    with fw.dual_level():
        out = lin(fw.make_dual(x, t))
        tangent = fw.unpack_dual(out).tangent
    expected = t @ lin.weight.detach().T
    np.testing.assert_allclose(tangent.detach().numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


# ---- coverage of the op library and the generic rule -------------------------------------------

# built-in ops without a jvp of their own: forward mode falls back on the double-vjp rule
WITHOUT_JVP = set()


@pytest.mark.parametrize("case", ["x_dual", "y_dual", "scalar_first", "func_jvp"])
def test_floor_divide_refuses_forward_mode_like_torch(case):
    """PyTorch has no forward derivative for floor_divide: NotImplementedError when an operand
    carries a tangent; div(rounding_mode='floor') gives zero tangents instead."""
    x, y = _arr(3, seed=1) * 5, np.array([2.0, -1.5, 3.0])

    def run(lib, fwad):
        if case == "func_jvp":
            return lib.func.jvp(lambda a: a // 2, (lib.tensor(x),), (lib.ones(3),))
        with fwad.dual_level():
            a, b = lib.tensor(x), lib.tensor(y)
            if case == "y_dual":
                return fwad.make_dual(b, lib.ones(3)).__rfloordiv__(a)
            a = fwad.make_dual(a, lib.ones(3))
            return 7.0 // a if case == "scalar_first" else lib.floor_divide(a, b)
    _same_error(run)
    with pytest.raises(NotImplementedError, match="floor_divide"):
        run(numtorch, fw)


def test_floor_rounding_div_has_zero_tangent_like_torch():
    def run(lib, fwad):
        with fwad.dual_level():
            a = fwad.make_dual(lib.tensor(_arr(4) * 3), lib.ones(4, dtype=lib.float64))
            out = fwad.unpack_dual(lib.div(a, 2.0, rounding_mode="floor"))
            return out.primal.tolist(), out.tangent.tolist()
    assert run(numtorch, fw) == run(torch, tfw)


def test_every_builtin_op_has_a_jvp():
    import importlib
    import inspect
    import pkgutil

    import numtorch.ops as ops
    from numtorch.autograd.function import Function
    missing = set()
    for info in pkgutil.iter_modules(ops.__path__):
        module = importlib.import_module(f"numtorch.ops.{info.name}")
        for name, cls in vars(module).items():
            if (inspect.isclass(cls) and issubclass(cls, Function) and cls._raw
                    and cls._differentiable and cls.jvp is Function.jvp):
                missing.add(name)
    assert missing == WITHOUT_JVP


def test_builtin_op_without_jvp_uses_the_double_vjp_rule():
    from numtorch import _backend as B
    from numtorch.autograd.function import Function

    class Cube(Function):  # y = x**3 with a backward only
        _raw = True

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return B.np.power(x, 3)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    x = numtorch.tensor([0.5, -2.0], dtype=numtorch.float64, requires_grad=True)
    t = numtorch.tensor([1.0, 3.0], dtype=numtorch.float64)
    with fw.dual_level():
        tangent = fw.unpack_dual(Cube.apply(fw.make_dual(x, t))).tangent
    np.testing.assert_allclose(tangent.detach().numpy(), [0.75, 36.0])
    # the generic tangent is differentiable too: d/dx (3 x^2 t) = 6 x t
    (g,) = numtorch.autograd.grad(tangent.sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, -36.0])
