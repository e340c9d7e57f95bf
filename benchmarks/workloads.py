"""The benchmark workloads of issue 7, each for numtorch, PyTorch and the plain-NumPy floor.

A workload's ``build(impl, size)`` returns the step function of one implementation ("numtorch",
"pytorch" or "numpy"; only that library is imported); each ``step()`` runs one unit of work and
returns what the agreement check compares (losses, gradients, outputs). All three start from the
same float32 arrays (made by a seeded generator; the framework weights are copied from them), so
``check`` can compare them before anything is timed. ``size="tiny"`` shrinks the shapes for the
test suite.
"""
from __future__ import annotations

import floor
import numpy as np

LIBS = ("numtorch", "pytorch", "numpy")


def _lib(impl):
    """The framework module for "numtorch" or "pytorch" (imported only when asked for)."""
    if impl == "numtorch":
        import numtorch
        return numtorch
    import torch
    return torch


def _np(t):
    return t.detach().numpy().copy() if hasattr(t, "detach") else np.asarray(t)


def to_numpy(result):
    """A step's result with its tensors as NumPy arrays (for comparing across processes)."""
    return {k: _np(v) for k, v in result.items()}


def _custom_relu(lib):
    """The seed program's ReLU, written as a custom autograd Function."""
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
    return MyReLU.apply


def _close(name, got, want, rtol, atol=0.0, kink_frac=0.0):
    """Assert got ~ want; ``kink_frac`` tolerates that fraction of elements off (gradients just
    past a ReLU's kink, where float32 rounding of the input can flip the side)."""
    got, want = np.asarray(_np(got), np.float64), np.asarray(_np(want), np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: shape {got.shape} != {want.shape}")
    scale = np.abs(want).max() if want.size else 0.0
    bad = np.abs(got - want) > atol + rtol * np.maximum(np.abs(want), scale * 1e-3)
    if bad.sum() > kink_frac * bad.size:
        raise AssertionError(f"{name}: {int(bad.sum())} of {bad.size} elements differ; max "
                             f"abs diff {np.abs(got - want).max():.3g} (scale {scale:.3g})")


class Workload:
    name = ""
    unit = "ms/step"
    per = 1  # units of work per step call (ops for the overhead chain)
    scale = 1e3  # seconds -> unit
    rtol = 1e-4
    kink_frac = 0.0

    def build(self, impl, size="full"):
        """The step function of implementation ``impl`` (one of LIBS)."""
        raise NotImplementedError

    def run_check(self, step, steps=3):
        """The results of ``steps`` calls, as NumPy arrays."""
        return [to_numpy(step()) for _ in range(steps)]

    def check(self, res):
        """Compare each implementation's results ({impl: run_check(...)}) to PyTorch's."""
        ref = res["pytorch"]
        for k, runs in res.items():
            for i, (got, want) in enumerate(zip(runs, ref)):
                for key in want:
                    _close(f"{self.name}: {k} step {i} {key}", got[key], want[key], self.rtol,
                           kink_frac=self.kink_frac)


# ---- 1. seed ---------------------------------------------------------------------------------

class Seed(Workload):
    """The seed program: two-layer net with a custom ReLU Function and hand-written SGD."""

    name = "seed"
    rtol = 1e-3

    @staticmethod
    def arrays(size="full"):
        n, d_in, h, d_out = (64, 1000, 100, 10) if size == "full" else (8, 20, 10, 3)
        rng = np.random.default_rng(0)
        return [rng.standard_normal(s).astype(np.float32)
                for s in ((n, d_in), (n, d_out), (d_in, h), (h, d_out))]

    def build(self, impl, size="full"):
        arrays = self.arrays(size)
        if impl == "numpy":
            return self._numpy(arrays)
        return self._framework(_lib(impl), arrays)

    @staticmethod
    def _framework(lib, arrays):
        x, y, w1, w2 = (lib.tensor(a) for a in arrays)
        w1.requires_grad_()
        w2.requires_grad_()
        relu = _custom_relu(lib)

        def step():
            nonlocal w1, w2
            loss = (relu(x.mm(w1)).mm(w2) - y).pow(2).sum()
            loss.backward()
            with lib.no_grad():
                w1 -= 1e-6 * w1.grad
                w2 -= 1e-6 * w2.grad
                w1.grad.zero_()
                w2.grad.zero_()
            return {"loss": loss.item()}
        return step

    @staticmethod
    def _numpy(arrays):
        x, y, w1, w2 = (a.copy() for a in arrays)

        def step():
            nonlocal w1, w2
            h = x @ w1
            h_relu = h.clip(min=0)
            diff = h_relu @ w2 - y
            loss = float((diff * diff).sum())
            g_pred = 2.0 * diff
            g_w2 = h_relu.T @ g_pred
            g_h = g_pred @ w2.T
            g_h[h < 0] = 0
            g_w1 = x.T @ g_h
            w1 -= 1e-6 * g_w1
            w2 -= 1e-6 * g_w2
            return {"loss": loss}
        return step


# ---- 2. overhead -----------------------------------------------------------------------------

class Overhead(Workload):
    """A chain of 100 elementwise ops on (16,) float32 tensors that require grad: h * a, h + b,
    custom ReLU, repeated; ``mode`` is "forward", "forward+backward" or "no-grad forward"."""

    unit = "us/op"
    per = OPS = 100
    scale = 1e6
    rtol = 1e-5

    def __init__(self, mode):
        self.mode = mode
        self.name = f"overhead, {mode}"

    def build(self, impl, size="full"):
        rng = np.random.default_rng(0)
        arrays = [rng.standard_normal(16).astype(np.float32) for _ in range(3)]
        if impl == "numpy":
            return self._numpy(arrays)
        return self._framework(_lib(impl), arrays)

    def _framework(self, lib, arrays):
        x = lib.tensor(arrays[0], requires_grad=True)
        a, b = lib.tensor(arrays[1]), lib.tensor(arrays[2])
        relu = _custom_relu(lib)
        ops = self.OPS

        def chain():
            h = x
            for i in range(ops):
                k = i % 3
                h = h * a if k == 0 else h + b if k == 1 else relu(h)
            return h

        if self.mode == "forward":
            return lambda: {"y": chain()}
        if self.mode == "no-grad forward":
            def step():
                with lib.no_grad():
                    return {"y": chain()}
            return step

        def step():
            x.grad = None
            chain().sum().backward()
            return {"grad": x.grad}
        return step

    def _numpy(self, arrays):
        x, a, b = arrays
        ops = self.OPS

        def forward(keep):
            h, saved = x, []
            for i in range(ops):
                k = i % 3
                if k == 2:
                    if keep:
                        saved.append(h)
                    h = np.maximum(h, 0)
                else:
                    h = h * a if k == 0 else h + b
            return h, saved

        if self.mode != "forward+backward":
            return lambda: {"y": forward(False)[0]}

        def step():
            h, saved = forward(True)
            g = np.ones_like(h)
            for i in reversed(range(ops)):
                k = i % 3
                if k == 0:
                    g = g * a
                elif k == 2:
                    g = g.copy()
                    g[saved.pop() < 0] = 0
            return {"grad": g}
        return step


# ---- 3. mlp ----------------------------------------------------------------------------------

def _linear_arrays(rng, sizes):
    """Linear layers' (weight, bias) as PyTorch initialises them (uniform, 1/sqrt(fan_in))."""
    out = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        out.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        out.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return out


def _load(lib, params, arrays):
    with lib.no_grad():
        for p, a in zip(params, arrays):
            p.copy_(lib.tensor(a))


class MLP(Workload):
    """784-512-512-10 MLP, ReLU, cross-entropy, SGD (lr 0.01), batch 128."""

    name = "mlp"
    rtol = 1e-3

    def build(self, impl, size="full"):
        sizes, n = ((784, 512, 512, 10), 128) if size == "full" else ((12, 8, 8, 3), 5)
        rng = np.random.default_rng(0)
        arrays = _linear_arrays(rng, sizes)
        x = rng.standard_normal((n, sizes[0])).astype(np.float32)
        y = rng.integers(0, sizes[-1], n)
        if impl == "numpy":
            return self._numpy(arrays, x, y)
        return self._framework(_lib(impl), sizes, arrays, x, y)

    @staticmethod
    def _framework(lib, sizes, arrays, x, y):
        nn = lib.nn
        model = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(),
                              nn.Linear(sizes[1], sizes[2]), nn.ReLU(),
                              nn.Linear(sizes[2], sizes[3]))
        _load(lib, model.parameters(), arrays)
        opt = lib.optim.SGD(model.parameters(), lr=0.01)
        xt, yt = lib.tensor(x), lib.tensor(y)

        def step():
            loss = nn.functional.cross_entropy(model(xt), yt)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return {"loss": loss.item()}
        return step

    @staticmethod
    def _numpy(arrays, x, y):
        params = [a.copy() for a in arrays]

        def step():
            w1, b1, w2, b2, w3, b3 = params
            h1 = np.maximum(x @ w1.T + b1, 0)
            h2 = np.maximum(h1 @ w2.T + b2, 0)
            loss, g = floor.cross_entropy(h2 @ w3.T + b3, y)
            grads = [None] * 6
            grads[4], grads[5] = g.T @ h2, g.sum(0)
            g = g @ w3
            g *= h2 > 0
            grads[2], grads[3] = g.T @ h1, g.sum(0)
            g = g @ w2
            g *= h1 > 0
            grads[0], grads[1] = g.T @ x, g.sum(0)
            for p, gp in zip(params, grads):
                p -= 0.01 * gp
            return {"loss": loss}
        return step


# ---- 4. conv ---------------------------------------------------------------------------------

class Conv(Workload):
    """Conv2d forward + backward: input (32, 3, 32, 32) requiring grad, 16 filters 3x3,
    padding 1, bias, then ReLU and sum; the gradients of input, weight and bias."""

    name = "conv"
    rtol = 1e-3
    kink_frac = 1e-3  # input-gradient elements next to an output at ReLU's kink

    def build(self, impl, size="full"):
        n, c, hw, o = (32, 3, 32, 16) if size == "full" else (2, 3, 6, 4)
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
        bound = 1 / np.sqrt(c * 9)
        w = rng.uniform(-bound, bound, (o, c, 3, 3)).astype(np.float32)
        b = rng.uniform(-bound, bound, o).astype(np.float32)
        if impl == "numpy":
            return self._numpy(x, w, b)
        return self._framework(_lib(impl), x, w, b)

    @staticmethod
    def _framework(lib, x, w, b):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        conv2d = lib.nn.functional.conv2d

        def step():
            for t in (xt, wt, bt):
                t.grad = None
            loss = conv2d(xt, wt, bt, padding=1).relu().sum()
            loss.backward()
            return {"loss": loss.item(), "dx": xt.grad, "dw": wt.grad, "db": bt.grad}
        return step

    @staticmethod
    def _numpy(x, w, b):
        ws = {}

        def step():
            y, cols = floor.conv2d_forward(x, w, b, 1, ws)
            loss = float(np.maximum(y, 0).sum())
            dx, dw, db = floor.conv2d_backward((y > 0).astype(y.dtype), cols, w, x.shape, 1,
                                               ws)
            return {"loss": loss, "dx": dx, "dw": dw, "db": db}
        return step


class CNN(Workload):
    """A small CNN training step: conv 3->16 3x3 pad 1, BatchNorm2d, ReLU, max-pool 2, conv
    16->32 3x3 pad 1, ReLU, max-pool 2, Linear 32*8*8 -> 10, cross-entropy, SGD (lr 0.01);
    batch 32 of 3x32x32."""

    name = "cnn"
    rtol = 2e-3

    def build(self, impl, size="full"):
        n, hw, c1, c2 = (32, 32, 16, 32) if size == "full" else (4, 8, 4, 6)
        rng = np.random.default_rng(0)
        arrays = []
        for cin, cout in ((3, c1), (c1, c2)):
            bound = 1 / np.sqrt(cin * 9)
            arrays.append(rng.uniform(-bound, bound, (cout, cin, 3, 3)).astype(np.float32))
            arrays.append(rng.uniform(-bound, bound, cout).astype(np.float32))
        arrays[2:2] = [np.ones(c1, np.float32), np.zeros(c1, np.float32)]  # BatchNorm affine
        arrays += _linear_arrays(rng, (c2 * (hw // 4) ** 2, 10))
        x = rng.standard_normal((n, 3, hw, hw)).astype(np.float32)
        y = rng.integers(0, 10, n)
        dims = (c1, c2, hw)
        if impl == "numpy":
            return self._numpy(arrays, x, y)
        return self._framework(_lib(impl), dims, arrays, x, y)

    @staticmethod
    def _framework(lib, dims, arrays, x, y):
        nn = lib.nn
        c1, c2, hw = dims
        model = nn.Sequential(nn.Conv2d(3, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(c2 * (hw // 4) ** 2, 10))
        _load(lib, model.parameters(), arrays)
        opt = lib.optim.SGD(model.parameters(), lr=0.01)
        xt, yt = lib.tensor(x), lib.tensor(y)

        def step():
            loss = nn.functional.cross_entropy(model(xt), yt)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return {"loss": loss.item()}
        return step

    @staticmethod
    def _numpy(arrays, x, y):
        params = [a.copy() for a in arrays]
        c1 = arrays[0].shape[0]
        running = [np.zeros(c1, np.float32), np.ones(c1, np.float32)]
        ws1, ws2 = {}, {}

        def step():
            w1, b1, gamma, beta, w2, b2, w3, b3 = params
            z1, cols1 = floor.conv2d_forward(x, w1, b1, 1, ws1)
            z2, bn = floor.batch_norm_forward(z1, gamma, beta, running)
            a2 = np.maximum(z2, 0)
            p1, arg1 = floor.max_pool2x2_forward(a2)
            z3, cols2 = floor.conv2d_forward(p1, w2, b2, 1, ws2)
            a3 = np.maximum(z3, 0)
            p2, arg2 = floor.max_pool2x2_forward(a3)
            flat = p2.reshape(len(x), -1)
            loss, g = floor.cross_entropy(flat @ w3.T + b3, y)
            dw3, db3 = g.T @ flat, g.sum(0)
            g = floor.max_pool2x2_backward((g @ w3).reshape(p2.shape), arg2, a3.shape)
            g *= z3 > 0
            g, dw2, db2 = floor.conv2d_backward(g, cols2, w2, p1.shape, 1, ws2)
            g = floor.max_pool2x2_backward(g, arg1, a2.shape)
            g *= z2 > 0
            g, dgamma, dbeta = floor.batch_norm_backward(g, gamma, bn)
            _, dw1, db1 = floor.conv2d_backward(g, cols1, w1, x.shape, 1, ws1, need_dx=False)
            for p, gp in zip(params, (dw1, db1, dgamma, dbeta, dw2, db2, dw3, db3)):
                p -= 0.01 * gp
            return {"loss": loss}
        return step


WORKLOADS = [Seed(), Overhead("forward"), Overhead("forward+backward"),
             Overhead("no-grad forward"), MLP(), Conv(), CNN()]
