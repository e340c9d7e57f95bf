"""Norms: the VectorNorm primitive and matrix_norm / norm composed from it and the SVD."""
from __future__ import annotations

import math

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import reduction_jvp
from ._util import dims_arg
from .decomp import Svd, check_float

__all__ = ["VectorNorm", "vector_norm", "matrix_norm", "norm", "svdvals"]

_INF = math.inf


def _kept(grad, shape, dims, keepdim):
    """``grad`` with the reduced dims put back as size 1 (so it broadcasts against x)."""
    if keepdim or dims is None and grad.dim() == len(shape):
        return grad
    if dims is None:
        return grad.reshape((1,) * len(shape))
    for d in dims:
        grad = grad.unsqueeze(d)
    return grad


class VectorNorm(Function):
    """n = (sum |x|^p)^(1/p) over ``dim`` (p = inf: max |x|, -inf: min |x|, 0: count of
    nonzeros);  dn/dx = sign(x) |x|^(p-1) / n^(p-1) (0 where n == 0; for +-inf the gradient is
    shared evenly by the entries attaining the extreme)."""

    _raw = True
    _node_name = "LinalgVectorNormBackward0"
    _num_inputs = 1

    @staticmethod
    def forward(ctx, x, ord=2, dim=None, keepdim=False):
        xp = B.array_module(x)
        dims = dims_arg(dim, x.ndim, "linalg.vector_norm")
        axis = dims if dims is not None and x.ndim else None
        if x.size == 0 and ord < 0:
            raise RuntimeError("linalg.vector_norm cannot compute the negative norm over an "
                               "empty dimension because the operation does not have an "
                               "identity")
        if x.size == 0 and ord == _INF and (axis is None or any(x.shape[d] == 0
                                                                  for d in axis)):
            raise RuntimeError("linalg.vector_norm cannot compute the inf norm over an empty "
                               "dimension because the operation does not have an identity")
        ctx.ord, ctx.dims, ctx.keepdim, ctx.shape = ord, dims, keepdim, x.shape
        a = xp.abs(x)
        with B.quiet():
            if ord == 2:
                n = xp.sqrt(xp.sum(a * a, axis=axis, keepdims=keepdim))
            elif ord == 1:
                n = xp.sum(a, axis=axis, keepdims=keepdim)
            elif ord == _INF:
                n = xp.max(a, axis=axis, keepdims=keepdim)
            elif ord == -_INF:
                n = xp.min(a, axis=axis, keepdims=keepdim)
            elif ord == 0:
                n = xp.sum(a != 0, axis=axis, keepdims=keepdim).astype(x.dtype)
            else:
                n = xp.sum(a ** ord, axis=axis, keepdims=keepdim) ** (1.0 / ord)
        n = xp.asarray(n, dtype=x.dtype)
        ctx.save_for_backward(x, n)
        return n

    @staticmethod
    def backward(ctx, grad_output):
        from .._tensor import Tensor
        from .elementwise import Where
        x, n = ctx.saved_tensors
        p, dims = ctx.ord, ctx.dims
        g = _kept(grad_output, ctx.shape, dims, ctx.keepdim)
        nk = _kept(n, ctx.shape, dims, ctx.keepdim)
        xd = x._data
        xp = B.array_module(xd)
        sign = Tensor._make(xp.sign(xd))
        if p == 0:  # a count of nonzeros: PyTorch gives no gradient at all
            return None, None, None, None
        if p == 1:
            return g * sign, None, None, None
        if p in (_INF, -_INF):
            hit = xp.abs(xd) == nk._data
            axis = dims if dims is not None and xd.ndim else None
            count = xp.sum(hit, axis=axis, keepdims=True)
            share = Tensor._make((hit / xp.maximum(count, 1)).astype(xd.dtype))
            return g * sign * share, None, None, None
        zero = nk._data == 0
        safe = Where.apply(zero, 1.0, nk)
        if p == 2:
            return Where.apply(zero, 0.0, g * x / safe), None, None, None
        return (Where.apply(zero, 0.0, g * sign * x.abs() ** (p - 1) / safe ** (p - 1)),
                None, None, None)

    @staticmethod
    def jvp(ctx, t, *_):
        if ctx.ord == 0:  # a count: no derivative
            return None
        return reduction_jvp(ctx, t, ctx.dims, ctx.keepdim)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all dims when None), as one vector."""
    check_float("linalg.vector_norm", x._data)
    if dtype is not None:
        _check_dtype_arg("linalg.vector_norm", x, dtype)
        x = x.to(dtype)
    if dim is not None and not isinstance(dim, int) and len(dim) == 0:
        dim = None  # an empty list of dims means all of them
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}; use "
                           f"linalg.matrix_norm for 'fro' and 'nuc'")
    return VectorNorm.apply(x, float(ord), dim, keepdim)


def _check_dtype_arg(op, x, dtype):
    from .._promotion import promote_types
    if promote_types(x.dtype, dtype) != dtype:
        raise RuntimeError(f"{op}: the dtype of the input ({x.dtype}) should be convertible "
                           f"without narrowing to the specified dtype ({dtype})")


def svdvals(a):
    """The singular values of ``a`` (descending), differentiable."""
    return Svd.apply(a, False)[1]


def _matrix_dims(a, dim):
    from ._util import wrap_dim
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple, got {dim}")
    d0, d1 = (wrap_dim(d, a.dim(), "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different, got ({d0}, {d1})")
    return d0, d1


def matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """'fro', 'nuc', 1, -1, 2, -2, inf or -inf norm of the matrices in dims ``dim``."""
    check_float("linalg.matrix_norm", a._data)
    if a.dim() < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions, got shape {tuple(a.shape)}")
    if dtype is not None:
        _check_dtype_arg("linalg.matrix_norm", a, dtype)
        a = a.to(dtype)
    d0, d1 = _matrix_dims(a, dim)
    if ord == "fro":
        return VectorNorm.apply(a, 2.0, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(a.dim()) if i not in (d0, d1)]
        s = svdvals(a.permute(rest + [d0, d1]))
        if ord == "nuc":
            out = s.sum(-1)
        else:
            out = VectorNorm.apply(s, _INF if ord == 2 else -_INF, -1, False)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, _INF, -_INF):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = a.abs().sum(inner, keepdim=True)
        ext = VectorNorm.apply(sums, _INF if ord > 0 else -_INF, outer, True)
        if not keepdim:
            ext = ext.squeeze(max(d0, d1)).squeeze(min(d0, d1))
        return ext
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(a, ord=None, dim=None, keepdim=False, *, dtype=None):
    """linalg.norm: a vector norm, or a matrix norm when ``dim`` has two dims or ``ord`` is a
    matrix order of a 2-D input."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or isinstance(ord, str) or (
            dim is None and ord is not None and a.dim() == 2):
        if dim is None:
            if a.dim() != 2:
                raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the "
                                   f"input must be 1D or 2D. Got {a.dim()}D.")
            dim = (-2, -1)
        return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None and a.dim() != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {a.dim()}D.")
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
