"""numtorch.linalg: norms, inverses, determinants, decompositions and solvers."""
from __future__ import annotations

from . import _backend as B
from ._tensor import Tensor
from .ops import decomp as _D
from .ops import norms as _N
from .ops import products as _P
from .ops.linalg import MatMul as _MatMul

__all__ = ["LinAlgError", "matmul", "vecdot", "cross", "norm", "vector_norm", "matrix_norm",
           "inv", "det", "slogdet", "solve", "cholesky", "qr", "svd", "svdvals", "eigh", "eigvalsh",
           "matrix_rank", "pinv", "matrix_power"]

LinAlgError = _D.LinAlgError
vector_norm = _N.vector_norm
matrix_norm = _N.matrix_norm
norm = _N.norm
svdvals = _N.svdvals
matrix_power = _P.matrix_power


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product, as ``input @ other``."""
    return _MatMul.apply(input, other)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot products of the vectors along ``dim`` (other dims broadcast)."""
    return (x * y).sum(dim)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim``."""
    return _P.cross(input, other, dim)


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix in ``A``; RuntimeError when one is singular."""
    return _D.Inv.apply(A)


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix in ``A``."""
    return _D.Det.apply(A)


def slogdet(A: Tensor):
    """(sign, logabsdet) of the determinants of ``A``, as a named tuple."""
    return _D.SlogdetResult(*_D.SlogDet.apply(A))


def solve(A: Tensor, B_: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (``left=False``: X A = B); B may be a (batch of) vector(s)."""
    if not isinstance(A, Tensor) or not isinstance(B_, Tensor):
        raise TypeError("linalg.solve: A and B must be Tensors")
    _D.check_square("linalg.solve", A._data)
    if A.dtype != B_.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype} and B of type {B_.dtype} instead")
    if not left:
        return solve(A.mT, B_.mT).mT
    vector = B_.dim() == 1 or (B_.dim() == A.dim() - 1 and B_.shape == A.shape[:-1])
    b = B_.unsqueeze(-1) if vector else B_
    if b.dim() < 2 or b.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A {tuple(A.shape)} and B "
                           f"{tuple(B_.shape)} for the equation AX = B")
    x = _D.Solve.apply(A, b)
    return x.squeeze(-1) if vector else x


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor L (A = L L^T) of symmetric positive-definite ``A``; L^T if upper."""
    low = _D.Cholesky.apply(A)
    return low.mT if upper else low


def qr(A: Tensor, mode: str = "reduced"):
    """(Q, R) with A = QR, as a named tuple; ``mode`` 'reduced', 'complete' or 'r'."""
    return _D.QrResult(*_D.Qr.apply(A, mode))


def svd(A: Tensor, full_matrices: bool = True, *, driver=None):
    """(U, S, Vh) with A = U diag(S) Vh, as a named tuple."""
    return _D.SvdResult(*_D.Svd.apply(A, full_matrices))


def eigh(A: Tensor, UPLO: str = "L"):
    """(eigenvalues, eigenvectors) of symmetric ``A`` (ascending), as a named tuple; only the
    ``UPLO`` triangle of ``A`` is read."""
    return _D.EighResult(*_D.Eigh.apply(A, UPLO))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues of symmetric ``A``, ascending."""
    return _D.Eigh.apply(A, UPLO)[0]


def _tolerance(s, atol, rtol, m, n):
    """The cutoff below which singular values count as zero."""
    smax = s.amax(-1, keepdim=True) if hasattr(s, "amax") else s[..., :1]
    if rtol is None:
        eps = float(B.np.finfo(s._data.dtype).eps)
        rtol = eps * max(m, n) if atol is None or atol == 0 else 0.0
    tol = smax * rtol
    if atol is not None:
        tol = tol.clamp(min=atol) if isinstance(atol, (int, float)) else \
            _where(tol > atol, tol, atol)
    return tol


def _where(cond, a, b):
    from .ops.elementwise import Where
    return Where.apply(cond, a, b)


def pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse, through the SVD (differentiable where it is)."""
    _D.check_float("linalg.pinv", A._data)
    u, s, vh = _D.Svd.apply(A, False)
    tol = _tolerance(s.detach(), atol, rtol, A.shape[-2], A.shape[-1])
    keep = (s.detach() > tol)._data
    s_inv = _where(keep, 1.0 / _where(keep, s, 1.0), 0.0)
    return (vh.mT * s_inv.unsqueeze(-2)) @ u.mT


def matrix_rank(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:
    """The number of singular values above the tolerance (int64)."""
    _D.check_float("linalg.matrix_rank", A._data)
    s = svdvals(A.detach())
    tol = _tolerance(s, atol, rtol, A.shape[-2], A.shape[-1])
    return (s > tol).sum(-1)
