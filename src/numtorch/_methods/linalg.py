"""Linear algebra: Tensor methods and numtorch.X forms."""
from __future__ import annotations

from . import LazyOps

# loaded on the first call of a method that needs them (see LazyOps)
_D = LazyOps(globals(), "_D", "numtorch.ops.decomp")
_E = LazyOps(globals(), "_E", "numtorch.ops.einsum")
_N = LazyOps(globals(), "_N", "numtorch.ops.norms")
_P = LazyOps(globals(), "_P", "numtorch.ops.products")

__all__ = ["bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv", "baddbmm",
           "addbmm", "einsum", "tensordot", "trace", "kron", "cross", "det", "logdet",
           "slogdet", "inverse", "pinverse", "matrix_power", "norm"]


class LinalgMethods:
    """Tensor methods for this category; one line each, calling the op Functions."""

    __slots__ = ()

    def bmm(self, mat2):
        return _P.bmm(self, mat2)

    def mv(self, vec):
        return _P.mv(self, vec)

    def dot(self, other):
        return _P.dot(self, other)

    def vdot(self, other):
        return _P.vdot(self, other)

    def inner(self, other):
        return _P.inner(self, other)

    def outer(self, vec2):
        return _P.outer(self, vec2)

    def ger(self, vec2):
        return _P.outer(self, vec2)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        return _P.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _P.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _P.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _P.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def trace(self):
        return _P.trace(self)

    def kron(self, other):
        return _P.kron(self, other)

    def cross(self, other, dim=None):
        return cross(self, other, dim)

    def det(self):
        return _D.Det.apply(self)

    def logdet(self):
        return logdet(self)

    def slogdet(self):
        return slogdet(self)

    def inverse(self):
        return _D.Inv.apply(self)

    def pinverse(self, rcond=1e-15):
        return pinverse(self, rcond)

    def matrix_power(self, n):
        return _P.matrix_power(self, n)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return norm(self, p, dim, keepdim, dtype=dtype)


def bmm(input, mat2):
    return _P.bmm(input, mat2)


def mv(input, vec):
    return _P.mv(input, vec)


def dot(input, other):
    return _P.dot(input, other)


def vdot(input, other):
    return _P.vdot(input, other)


def inner(input, other):
    return _P.inner(input, other)


def outer(input, vec2):
    return _P.outer(input, vec2)


def ger(input, vec2):
    return _P.outer(input, vec2)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return _P.addmm(input, mat1, mat2, beta=beta, alpha=alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _P.addmv(input, mat, vec, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _P.baddbmm(input, batch1, batch2, beta=beta, alpha=alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _P.addbmm(input, batch1, batch2, beta=beta, alpha=alpha)


def einsum(equation, *operands):
    return _E.einsum(equation, *operands)


def tensordot(a, b, dims=2):
    return _P.tensordot(a, b, dims)


def trace(input):
    return _P.trace(input)


def kron(input, other):
    return _P.kron(input, other)


def cross(input, other, dim=None):
    """torch.cross: without ``dim``, the first dim of size 3 (a deprecated default)."""
    if dim is None:
        dim = next((i for i, s in enumerate(input.shape) if s == 3), -1)
    return _P.cross(input, other, dim)


def det(input):
    return _D.Det.apply(input)


def slogdet(input):
    return _D.SlogdetResult(*_D.SlogDet.apply(input))


def logdet(input):
    """log det A: NaN where det < 0, -inf where it is 0."""
    from ..ops.elementwise import Where
    sign, logabs = _D.SlogDet.apply(input)
    return Where.apply((sign < 0)._data, float("nan"), logabs)


def inverse(input):
    return _D.Inv.apply(input)


def pinverse(input, rcond=1e-15):
    from .. import linalg
    return linalg.pinv(input, rtol=rcond)


def matrix_power(input, n):
    return _P.matrix_power(input, n)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: 'fro' (the 2-norm of the entries), 'nuc', or a vector p-norm."""
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc" or p == "fro" and dim is not None and len(dim) == 2:
        return _N.matrix_norm(input, p, (-2, -1) if dim is None else dim, keepdim,
                              dtype=dtype)
    ord = 2 if p in ("fro", None) else p
    return _N.vector_norm(input, ord, dim, keepdim, dtype=dtype)
