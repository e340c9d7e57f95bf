"""Check mode's numerical part: a Function's backward and double backward against float64
central differences."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from .check_mode import FunctionCheckError, _name, applied_at
from .engine import grad as autograd_grad
from .grad_mode import _state

__all__ = ["Checker"]

_EPS = 1e-6
_RTOL = 1e-3
_ATOL = 1e-5
_ELEMENTWISE_LIMIT = 64  # inputs this small get an element-by-element report


class Checker:
    """Compare a Function's backward with central differences in float64, input by input."""

    def __init__(self, cls, ctx, args, kwargs, data):
        self.cls, self.ctx = cls, ctx
        self.npos, self.kwnames = len(args), list(kwargs)
        inputs = args + tuple(kwargs.values())
        self.inputs = inputs
        self.data = []      # float64 copies of the inputs' values before forward
        self.wrt = []       # indices of inputs a gradient is checked for
        for i, (a, d) in enumerate(zip(inputs, data)):
            if d is not None and a._dtype.is_floating_point:
                d = d.astype(B.np.float64)
                if a._requires_grad:
                    self.wrt.append(i)
            self.data.append(d)
        self.rng = B.np.random.default_rng(0)

    def name(self, i):
        return _name(self.cls, i, self.kwnames, self.npos)

    def call(self, delta=None, grad=False):
        """Run forward on fresh float64 copies (``delta``: {index: added array})."""
        Tensor = _tensor.Tensor
        leaves, fresh = {}, []
        for i, (a, d) in enumerate(zip(self.inputs, self.data)):
            if d is None:
                fresh.append(a)
                continue
            d = d + delta[i] if delta and i in delta else d.copy()
            t = Tensor._make(d, grad and i in self.wrt)
            if grad and i in self.wrt:
                leaves[i] = t
                if self.ctx._dirty:
                    t = t.clone()  # not a leaf, so a forward that calls mark_dirty may modify it
            fresh.append(t)
        prev = _state.enabled
        _state.enabled = grad
        try:
            out = self.cls.apply(*fresh[:self.npos],
                                 **dict(zip(self.kwnames, fresh[self.npos:])))
        finally:
            _state.enabled = prev
        outs = [o for o in (out if isinstance(out, tuple) else (out,)) if isinstance(o, Tensor)]
        for o in outs:
            if o._grad_fn is not None and o._grad_fn._forward_cls is self.cls:
                o._grad_fn._applied_at = self.ctx._applied_at  # errors point at the real call
        return leaves, outs

    def run(self) -> None:
        if not self.wrt:
            return
        leaves, outs = self.call(grad=True)
        diff = [o for o in outs if o._requires_grad]
        if not diff:
            return
        self.g = [self.rng.standard_normal(o._data.shape) for o in diff]
        self.diff_idx = [k for k, o in enumerate(outs) if o._requires_grad]
        gs = [_tensor.Tensor._make(g.copy()) for g in self.g]
        once = getattr(self.cls.backward, "_once_differentiable", False)
        prev = _state.enabled
        _state.enabled = True
        try:
            grads = autograd_grad(diff, [leaves[i] for i in self.wrt], gs, allow_unused=True,
                                  create_graph=not once)
        finally:
            _state.enabled = prev
        for k, (g, g0) in enumerate(zip(gs, self.g)):
            if not B.np.array_equal(g._data, g0, equal_nan=True):
                raise FunctionCheckError(
                    f"check mode: {self.cls.__name__}.backward modified grad_output "
                    f"{self.diff_idx[k]} in place{applied_at(self.ctx)}. Compute new tensors "
                    f"(grad_input = grad_output * 2, or grad_output.clone() before writing).")
        analytic = {i: g for i, g in zip(self.wrt, grads)}
        for i in self.wrt:
            self.check_first(i, analytic[i])
        if not once and any(g is not None and g._requires_grad for g in grads):
            self.check_second(leaves, analytic)

    def directional(self, i, v, eps=_EPS):
        """<grad_output, J_i v> by central differences."""
        _, plus = self.call({i: eps * v})
        _, minus = self.call({i: -eps * v})
        total = 0.0
        for k, g in zip(self.diff_idx, self.g):
            total += float((g * (plus[k]._data - minus[k]._data)).sum()) / (2 * eps)
        return total

    def check_first(self, i, g) -> None:
        x = self.data[i]
        v = self.rng.standard_normal(x.shape)
        num = self.directional(i, v)
        ana = 0.0 if g is None else float((g._data.astype(B.np.float64) * v).sum())
        if _close(num, ana):
            return
        head = (f"check mode: {self.cls.__name__}.backward returned a wrong gradient for "
                f"{self.name(i)}{applied_at(self.ctx)}")
        if g is None:
            raise FunctionCheckError(
                f"{head}: it returned None, but the output depends on it (numerical "
                f"directional derivative {num:.6g}). Return its gradient in that position.")
        if x.size <= _ELEMENTWISE_LIMIT:
            worst, wn, wa = None, 0.0, 0.0
            for j in range(x.size):
                e = B.np.zeros(x.size)
                e[j] = 1.0
                n = self.directional(i, e.reshape(x.shape))
                a = float(g._data.reshape(-1)[j])
                if worst is None or not abs(n - a) <= abs(wn - wa):
                    worst, wn, wa = j, n, a
            index = tuple(int(k) for k in B.np.unravel_index(worst, x.shape))
            raise FunctionCheckError(
                f"{head}: at element {index} backward gives {wa:.6g}, the numerical "
                f"derivative is {wn:.6g} (ratio {_ratio(wa, wn)}). Check that input's formula "
                f"in backward.")
        raise FunctionCheckError(
            f"{head}: along a random direction v, <backward(grad_output), v> = {ana:.6g} but "
            f"the numerical derivative is {num:.6g} (ratio {_ratio(ana, num)}). Check that "
            f"input's formula in backward.")

    def check_second(self, leaves, analytic) -> None:
        """Double backward: d<grads, w>/dx along v against differences of the first grads."""
        ws = {i: self.rng.standard_normal(self.data[i].shape) for i in self.wrt
              if analytic[i] is not None and analytic[i]._requires_grad}
        if not ws:
            return
        Tensor = _tensor.Tensor
        s = None
        for i, w in ws.items():
            term = (analytic[i] * Tensor._make(w)).sum()
            s = term if s is None else s + term
        prev = _state.enabled
        _state.enabled = True
        try:
            second = autograd_grad(s, [leaves[i] for i in self.wrt], allow_unused=True)
        finally:
            _state.enabled = prev
        for j, sg in zip(self.wrt, second):
            v = self.rng.standard_normal(self.data[j].shape)
            num = (self.first_dot(j, _EPS * v, ws) - self.first_dot(j, -_EPS * v, ws)) / (
                2 * _EPS)
            ana = 0.0 if sg is None else float((sg._data * v).sum())
            if not _close(num, ana):
                raise FunctionCheckError(
                    f"check mode: double backward of {self.cls.__name__} is wrong for "
                    f"{self.name(j)}{applied_at(self.ctx)}: along a random direction the "
                    f"derivative of backward is {ana:.6g}, numerically {num:.6g}. backward "
                    f"must be written with differentiable tensor operations on the saved "
                    f"tensors (or decorated with @once_differentiable).")
        self.check_second_wrt_grad_output(ws)

    def check_second_wrt_grad_output(self, ws) -> None:
        """Double backward also differentiates backward's result with respect to grad_output
        (that is how a jvp is built from a vjp): d<grads, w>/d grad_output must be J w."""
        Tensor = _tensor.Tensor
        gs = [Tensor._make(g.copy(), True) for g in self.g]
        us = [self.rng.standard_normal(g.shape) for g in self.g]
        prev = _state.enabled
        _state.enabled = True
        try:
            leaves, outs = self.call(grad=True)
            grads = autograd_grad([outs[k] for k in self.diff_idx],
                                  [leaves[i] for i in self.wrt], gs, allow_unused=True,
                                  create_graph=True)
            terms = [(g * Tensor._make(ws[i])).sum() for i, g in zip(self.wrt, grads)
                     if i in ws and g is not None and g._requires_grad]
            if not terms:
                return
            total = terms[0]
            for t in terms[1:]:
                total = total + t
            dg = autograd_grad(total, gs, allow_unused=True)
        except Exception as e:
            raise FunctionCheckError(
                f"check mode: double backward of {self.cls.__name__} failed when grad_output "
                f"requires grad{applied_at(self.ctx)} ({type(e).__name__}: {e}). backward "
                f"must use grad_output through differentiable tensor operations (no "
                f".numpy() or .detach() of it), or be decorated with @once_differentiable."
            ) from e
        finally:
            _state.enabled = prev
        ana = sum(float((d._data * u).sum()) for d, u in zip(dg, us) if d is not None)
        _, plus = self.call({i: _EPS * w for i, w in ws.items()})
        _, minus = self.call({i: -_EPS * w for i, w in ws.items()})
        num = sum(float((u * (plus[k]._data - minus[k]._data)).sum())
                  for k, u in zip(self.diff_idx, us)) / (2 * _EPS)
        if not _close(num, ana):
            raise FunctionCheckError(
                f"check mode: double backward of {self.cls.__name__} is wrong with respect to "
                f"grad_output{applied_at(self.ctx)}: along random directions the derivative of "
                f"backward's result by grad_output is {ana:.6g}, numerically {num:.6g}. "
                f"backward must use grad_output through differentiable tensor operations "
                f"(e.g. do not detach it or rebuild it from its data).")

    def first_dot(self, j, delta, ws):
        leaves, outs = self.call({j: delta}, grad=True)
        diff = [outs[k] for k in self.diff_idx]
        gs = [_tensor.Tensor._make(g.copy()) for g in self.g]
        prev = _state.enabled
        _state.enabled = True
        try:
            grads = autograd_grad(diff, [leaves[i] for i in self.wrt], gs, allow_unused=True)
        finally:
            _state.enabled = prev
        return sum(float((g._data * ws[i]).sum()) for i, g in zip(self.wrt, grads)
                   if i in ws and g is not None)


def _close(num: float, ana: float) -> bool:
    return abs(num - ana) <= _ATOL + _RTOL * max(abs(num), abs(ana))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.4g}" if b else "undefined"
