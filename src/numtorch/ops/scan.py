"""Scans along a dim: cumsum, cumprod, cummax and cummin."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import double_vjp_jvp, linear_jvp
from ._util import wrap_dim
from .sorting import _Pick, select_forward

__all__ = ["Cumsum", "Cumprod", "Cummax", "Cummin"]


def _scan_input(x, dim, dtype, op):
    """x as at least 1-d in the result dtype (integers and bools scan in int64)."""
    d = wrap_dim(dim, x.ndim, op)
    if dtype is not None:
        x = x.astype(dtype.np)
    elif x.dtype.kind in "biu":
        x = x.astype(B.int64.np)
    return (x.reshape(1) if x.ndim == 0 else x), d


class Cumsum(Function):
    """z_k = sum_{j<=k} x_j (from the end when reverse);  dz/dx = reversed cumsum of the
    gradient."""

    _raw = True
    _num_inputs = 1
    _node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype=None, reverse=False):
        shape = x.shape
        x, d = _scan_input(x, dim, dtype, "cumsum")
        ctx.dim, ctx.reverse = d, reverse
        xp = B.array_module(x)
        if reverse:
            out = xp.flip(xp.cumsum(xp.flip(x, d), axis=d), d)
        else:
            out = xp.cumsum(x, axis=d)
        return B.as_array(out.reshape(shape))

    @staticmethod
    def backward(ctx, grad_output):
        return Cumsum.apply(grad_output, ctx.dim, None, not ctx.reverse), None, None, None

    jvp = staticmethod(linear_jvp)


class Cumprod(Function):
    """z_k = prod_{j<=k} x_j;  dz_k/dx_i = prod_{j<=k, j!=i} x_j for i <= k, else 0."""

    _raw = True
    _num_inputs = 1
    _node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, dim, dtype=None):
        shape = x.shape
        x1, d = _scan_input(x, dim, dtype, "cumprod")
        ctx.dim = d
        out = B.as_array(B.array_module(x1).cumprod(x1, axis=d).reshape(shape))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, out = ctx.saved_tensors
        d = ctx.dim
        if x.ndim == 0:
            return grad_output, None, None
        if (x._data != 0).all():
            # sum_{k>=i} g_k z_k / x_i, as a reversed cumsum
            return Cumsum.apply(grad_output * out, d, None, True) / x, None, None
        return _cumprod_grad_with_zeros(x, grad_output, d), None, None

    @staticmethod
    def jvp(ctx, t, *_):
        x, out = ctx.saved_tensors
        if (x._data == 0).any():  # the quotient form below needs nonzero x
            return double_vjp_jvp(ctx, t, *_)
        return out * Cumsum.apply(t / x, ctx.dim)


def _cumprod_grad_with_zeros(x, g, d):
    """sum_{k>=i} g_k prod_{j<=k, j!=i} x_j, exact with zeros, from n cumprods of x with one
    entry replaced by 1 (n x n work, so only used when x has zeros)."""
    from .elementwise import Where
    xt = x.transpose(d, -1)
    n = xt.shape[-1]
    xp = B.array_module(xt._data)
    eye = xp.eye(n, dtype=bool)
    rows = Where.apply(eye, 1.0, xt.unsqueeze(-2).expand(tuple(xt.shape) + (n,)))  # [.., i, j]
    partial = Cumprod.apply(rows, -1)  # [..., i, k] = prod_{j<=k, j!=i} x_j
    later = xp.triu(xp.ones((n, n), dtype=bool))  # k >= i
    terms = Where.apply(later, partial * g.transpose(d, -1).unsqueeze(-2), 0.0)
    return terms.sum(-1).transpose(d, -1)


def _running(xp, x, d, largest):
    """Running max (min) along d and the index where it was last reached; NaN sticks."""
    moved = xp.moveaxis(x, d, -1)
    values = moved.copy()
    index = xp.zeros(moved.shape, B.int64.np)
    is_float = x.dtype.kind == "f"
    for k in range(1, moved.shape[-1]):
        cur, new = values[..., k - 1], moved[..., k]
        take = (new >= cur) if largest else (new <= cur)
        if is_float:
            take = (take & ~xp.isnan(cur)) | xp.isnan(new)
        values[..., k] = xp.where(take, new, cur)
        index[..., k] = xp.where(take, k, index[..., k - 1])
    return xp.moveaxis(values, -1, d), xp.moveaxis(index, -1, d)


def _cummax(xp, x, d):
    return _running(xp, x, d, True)


def _cummin(xp, x, d):
    return _running(xp, x, d, False)


class Cummax(_Pick):
    """(z, i) = running max along dim and where it was reached;  dz_k/dx = 1 at i_k."""

    _node_name = "CummaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.n_options = 1
        return select_forward(ctx, x, dim, True, _cummax, "cummax", reduce=False)


class Cummin(_Pick):
    """(z, i) = running min along dim and where it was reached;  dz_k/dx = 1 at i_k."""

    _node_name = "CumminBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.n_options = 1
        return select_forward(ctx, x, dim, True, _cummin, "cummin", reduce=False)
