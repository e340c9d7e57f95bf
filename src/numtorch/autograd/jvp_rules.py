"""jvp rules shared by families of built-in ops (elementwise, linear, multilinear, reductions,
pointwise losses), and the generic double-vjp rule for ops without a jvp of their own.

An op uses one with ``jvp = staticmethod(elementwise_jvp)`` beside its forward and backward; the
conventions (what ``ctx`` and the tangents hold) are described in ``forward_ad``'s docstring.
"""
from __future__ import annotations

from .. import _tensor
from .grad_mode import _state

__all__ = ["elementwise_jvp", "linear_jvp", "multilinear_jvp", "reduction_jvp", "loss_jvp",
           "double_vjp_jvp"]


def elementwise_jvp(ctx, *tangents):
    """jvp of an op whose inputs all enter elementwise (with broadcasting): each Jacobian is
    diagonal, hence symmetric, so J_i t_i = J_i^T t_i is the op's own backward applied to the
    tangent. Used as ``jvp = staticmethod(elementwise_jvp)``."""
    backward = ctx._forward_cls.backward
    need = ctx.needs_input_grad
    total = None
    try:
        for i, t in enumerate(tangents):
            if t is None:
                continue
            ctx.needs_input_grad = tuple(k == i for k in range(len(tangents)))
            g = backward(ctx, t)
            g = g[i] if isinstance(g, tuple) else g
            if g is not None:
                total = g if total is None else total + g
    finally:
        ctx.needs_input_grad = need
    return total


def linear_jvp(ctx, *tangents):
    """jvp of an op that is linear in its floating-point tensor inputs jointly (indices,
    masks and options fixed): the op itself applied to the tangents (zeros where an input has
    none). Used as ``jvp = staticmethod(linear_jvp)`` by shape, indexing and reduction ops."""
    Tensor = _tensor.Tensor
    args = [t if t is not None else _tensor_module().zeros_like(a)
            if isinstance(a, Tensor) and a._dtype.is_floating_point else a
            for a, t in zip(ctx.fw_inputs, tangents)]
    return ctx._forward_cls.apply(*args, **(ctx.fw_kwargs or {}))


def multilinear_jvp(ctx, *tangents):
    """jvp of an op linear in each tensor input separately (mm, matmul, einsum, conv):
    the sum over inputs with a tangent of the op with that input replaced by its tangent."""
    apply = ctx._forward_cls.apply
    args = ctx.fw_inputs
    total = None
    for i, t in enumerate(tangents):
        if t is not None:
            term = apply(*args[:i], t, *args[i + 1:], **(ctx.fw_kwargs or {}))
            total = term if total is None else total + term
    return total


def reduction_jvp(ctx, t, dims, keepdim):
    """jvp of a reduction over ``dims`` (None: all) where each input element feeds one output
    element: J t = the sum over the reduced dims of dz/dx * t, with dz/dx read off the op's
    backward applied to ones."""
    grad = ctx._forward_cls.backward(ctx, _tensor_module().ones_like(ctx.fw_output))
    grad = grad[0] if isinstance(grad, tuple) else grad
    product = grad * t
    dims = tuple(range(product.dim())) if dims is None else tuple(dims)
    if not dims:
        return product
    return product.sum(dims, keepdim=keepdim)


def loss_jvp(ctx, *tangents):
    """jvp of a pointwise loss (mse, binary cross-entropy): elementwise when unreduced; with a
    0-d output ('mean', 'sum') J t = sum_i <dl/dx_i, t_i>, the gradients read off backward(1)
    (they may come in the broadcast shape, where the sum still counts each pair once)."""
    out = ctx.fw_output
    if out.dim():
        return elementwise_jvp(ctx, *tangents)
    grads = ctx._forward_cls.backward(ctx, _tensor_module().ones_like(out))
    grads = grads if isinstance(grads, tuple) else (grads,)
    total = None
    for g, t in zip(grads, tangents):
        if g is not None and t is not None:
            term = (g * t).sum()
            total = term if total is None else total + term
    return total


def double_vjp_jvp(ctx, *tangents):
    """The generic rule (J t = d/du <J^T u, t>) for use inside an explicit jvp, on the inputs
    where its formula does not hold (e.g. cumprod with zeros)."""
    return _jvp_by_double_vjp(ctx._forward_cls, ctx, ctx.fw_inputs, ctx.fw_output, tangents)


def _tensor_module():
    import numtorch
    return numtorch


def _jvp_by_double_vjp(cls, ctx, args, out, tangents):
    """J t for an op with no jvp: backward is linear in the output gradient u, so
    J t = d/du <J^T u, t>: one backward with u requiring grad, then one more backward."""
    from ..ops._util import sum_to
    from .engine import grad
    Tensor = _tensor.Tensor
    nt = _tensor_module()
    outs = out if isinstance(out, tuple) else (out,)
    prev = _state.enabled
    _state.enabled = True
    try:
        us = [nt.zeros_like(o).requires_grad_(o._dtype.is_floating_point) for o in outs]
        grads = cls.backward(ctx, *us)
        grads = grads if isinstance(grads, tuple) else (grads,)
        total = None
        for a, g, t in zip(args, grads, tangents):
            if t is None or g is None or not isinstance(a, Tensor):
                continue
            term = (sum_to(g, a._data.shape) * t.to(g._dtype)).sum()
            total = term if total is None else total + term
        wanted = [u for u in us if u._requires_grad]
        if total is None or not total._requires_grad or not wanted:
            return (None,) * len(outs)
        create = prev and (any(isinstance(a, Tensor) and a._requires_grad for a in args)
                           or any(t is not None and t._requires_grad for t in tangents))
        result = iter(grad(total, wanted, allow_unused=True, create_graph=create))
    finally:
        _state.enabled = prev
    return tuple(next(result) if u._requires_grad else None for u in us)
