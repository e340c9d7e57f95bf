"""op_db entries for the linalg ops (see op_db.py for the framework).

Decompositions are compared through functions of their outputs that do not depend on the
sign (gauge) choices of the factorisation: reconstructions, U @ Vh, elementwise squares of
orthogonal factors, eigenvalues and singular values.
"""
from __future__ import annotations

import numpy as np

from op_db import ALL, FLOATS, OpInfo, Sample

LOOSE = {"float32": (1e-4, 1e-4), "float64": (1e-8, 1e-9), "int64": (0, 0)}


# ---- products ---------------------------------------------------------------------------------

def bmm_samples(make):
    return [
        Sample((make(2, 3, 4), make(2, 4, 5)), "batches"),
        Sample((make(1, 1, 3), make(1, 3, 1)), "row @ column"),
        Sample((make(2, 3, 4, noncontig=True), make(2, 5, 4).transpose(0, 2, 1)),
               "non-contiguous"),
        Sample((make(2, 0, 3), make(2, 3, 4)), "empty"),
    ]


def bmm_errors(make):
    return [
        Sample((make(2, 3, 4), make(3, 4, 5)), "batch mismatch"),
        Sample((make(2, 3, 4), make(2, 5, 5)), "inner mismatch"),
        Sample((make(3, 4), make(4, 5)), "2-d operands"),
        Sample((make(2, 3, 4), make(2, 4, 5, dtype="float64")), "mixed dtypes"),
    ]


def mv_samples(make):
    return [
        Sample((make(3, 4), make(4)), "matrix, vector"),
        Sample((make(3, 4, noncontig=True), make(4, noncontig=True)), "non-contiguous"),
        Sample((make(4, 3).T, make(4)), "transposed"),
        Sample((make(0, 4), make(4)), "empty"),
    ]


def mv_errors(make):
    return [Sample((make(3, 4), make(5)), "size mismatch"),
            Sample((make(3, 4), make(4, 1)), "2-d vec")]


def dot_samples(make):
    return [
        Sample((make(4), make(4)), "vectors"),
        Sample((make(4, noncontig=True), make(4)), "non-contiguous"),
        Sample((make(0), make(0)), "empty"),
    ]


def dot_errors(make):
    return [Sample((make(3), make(4)), "size mismatch"),
            Sample((make(3, 1), make(3)), "2-d"),
            Sample((make(3), make(3, dtype="float64")), "mixed dtypes")]


def inner_samples(make):
    return [
        Sample((make(4), make(4)), "vectors"),
        Sample((make(2, 4), make(3, 4)), "matrices"),
        Sample((make(2, 3, 4), make(4)), "3-d, 1-d"),
        Sample((make(), make(2, 3)), "0-d"),
        Sample((make(2, 4, noncontig=True), make(4)), "non-contiguous"),
    ]


def outer_samples(make):
    return [
        Sample((make(3), make(4)), "vectors"),
        Sample((make(3, noncontig=True), make(1)), "non-contiguous"),
        Sample((make(0), make(2)), "empty"),
    ]


def outer_errors(make):
    return [Sample((make(2, 2), make(3)), "2-d")]


def addmm_samples(make):
    return [
        Sample((make(3, 5), make(3, 4), make(4, 5), 1, 1), "plain"),
        Sample((make(5), make(3, 4), make(4, 5), 0.5, 2), "broadcast input, beta, alpha"),
        Sample((make(), make(3, 4), make(4, 5, noncontig=True), 2, -1), "0-d input"),
        Sample((np.full((3, 5), np.nan, make.dtype), make(3, 4), make(4, 5), 0, 1),
               "beta 0 ignores NaN", fd=False),
    ]


def addmm_errors(make):
    return [Sample((make(3, 5), make(3, 4), make(5, 5), 1, 1), "inner mismatch"),
            Sample((make(2, 5), make(3, 4), make(4, 5), 1, 1), "input shape"),
            Sample((make(3, 5, dtype="float64"), make(3, 4), make(4, 5), 1, 1),
                   "mixed dtypes")]


def addmv_samples(make):
    return [
        Sample((make(3), make(3, 4), make(4), 1, 1), "plain"),
        Sample((make(), make(3, 4), make(4, noncontig=True), 0.5, 2), "0-d input"),
        Sample((make(1), make(3, 4), make(4), 0, 1), "beta 0"),
    ]


def baddbmm_samples(make):
    return [
        Sample((make(2, 3, 5), make(2, 3, 4), make(2, 4, 5), 1, 1), "plain"),
        Sample((make(3, 5), make(2, 3, 4), make(2, 4, 5), 0.5, 2), "broadcast input"),
        Sample((make(1), make(2, 3, 4, noncontig=True), make(2, 4, 5), 0, -1), "beta 0"),
    ]


def addbmm_samples(make):
    return [
        Sample((make(3, 5), make(2, 3, 4), make(2, 4, 5), 1, 1), "plain"),
        Sample((make(5), make(2, 3, 4), make(2, 4, 5, noncontig=True), 0.5, 2),
               "broadcast input"),
    ]


def einsum_samples(make):
    return [
        Sample(("ij,jk->ik", make(3, 4), make(4, 5)), "matmul"),
        Sample(("bij,bjk", make(2, 3, 4), make(2, 4, 2)), "batched, implicit output"),
        Sample(("ii->i", make(3, 3)), "diagonal"),
        Sample(("ii", make(3, 3)), "trace"),
        Sample(("iij->j", make(3, 3, 2)), "repeated subscript, summed"),
        Sample(("...ij,...jk->...ik", make(2, 1, 3, 4), make(3, 4, 2)),
               "ellipsis with broadcasting"),
        Sample(("i,j->ij", make(3), make(4, noncontig=True)), "outer"),
        Sample(("ij->", make(3, 4)), "full sum"),
        Sample(("ij,ij,ij->i", make(2, 3), make(2, 3), make(1, 3)), "three operands"),
        Sample(("bi,i...->b...", make(2, 3), make(3, 2, 2)), "ellipsis at the end"),
        Sample(("i,i->", make(0), make(0)), "empty"),
    ]


def einsum_errors(make):
    return [
        Sample(("ij,jk", make(2, 3), make(4, 4)), "size mismatch"),
        Sample(("ij", make(2, 3, 4)), "too many dims"),
        Sample(("ij,jk", make(2, 3)), "too few operands"),
        Sample(("ii->i", make(2, 3)), "repeated subscript with different sizes"),
        Sample(("ij,jk", make(2, 3), make(3, 4, dtype="float64")), "mixed dtypes"),
        Sample(("ij->k", make(2, 3)), "output subscript not in input"),
    ]


def tensordot_samples(make):
    return [
        Sample((make(2, 3, 4), make(3, 4, 5), 2), "dims=2"),
        Sample((make(2, 3, 4), make(4, 3, 5), ([1, 2], [1, 0])), "pairs, reordered"),
        Sample((make(2, 3), make(4, 5), 0), "dims=0 (outer)"),
        Sample((make(3, 4, noncontig=True), make(4, 2), ([1], [0])), "non-contiguous"),
        Sample((make(2, 3, 4), make(5, 4), ([-1], [-1])), "negative dims"),
    ]


def tensordot_errors(make):
    return [Sample((make(2, 3, 4), make(3, 4, 5), ([1], [1])), "size mismatch"),
            Sample((make(2, 3), make(3, 4, dtype="float64"), 1), "mixed dtypes")]


def trace_samples(make):
    return [
        Sample((make(3, 3),), "square"),
        Sample((make(2, 4),), "wide"),
        Sample((make(4, 2, noncontig=True),), "tall, non-contiguous"),
    ]


def trace_errors(make):
    return [Sample((make(2, 3, 3),), "3-d")]


def kron_samples(make):
    return [
        Sample((make(2, 3), make(3, 2)), "matrices"),
        Sample((make(2, 3), make(3)), "different ndim"),
        Sample((make(2), make(2, 1, 2, noncontig=True)), "non-contiguous"),
        Sample((make(), make(2)), "0-d"),
    ]


def cross_samples(make):
    return [
        Sample((make(4, 3), make(4, 3), -1), "rows"),
        Sample((make(3, 2), make(3, 1), 0), "dim 0, broadcast"),
        Sample((make(2, 3, 2, noncontig=True), make(2, 3, 2), 1), "non-contiguous"),
    ]


def cross_errors(make):
    return [Sample((make(4, 2), make(4, 2), -1), "not 3-vectors")]


# ---- inverses, determinants, solvers ----------------------------------------------------------

def _well_conditioned(make, *shape, noncontig=False):
    a = make(*shape, noncontig=noncontig)
    n = shape[-1]
    return a + 3 * np.eye(n, dtype=a.dtype)


def square_samples(make):
    return [
        Sample((_well_conditioned(make, 3, 3),), "3x3"),
        Sample((_well_conditioned(make, 2, 3, 3),), "batch"),
        Sample((make(1, 1, low=0.5, high=2),), "1x1"),
        Sample((_well_conditioned(make, 3, 3, noncontig=True),), "non-contiguous"),
    ]


def square_errors(make):
    return [
        Sample((make(3, 4),), "not square"),
        Sample((make(3, 3, dtype="int64"),), "integer"),
        Sample((make(3),), "1-d"),
    ]


def det_samples(make):
    return square_samples(make) + [
        Sample((make(3, 3),), "random sign"),
        Sample((np.zeros((2, 0, 0), make.dtype),), "empty matrices"),
    ]


def logdet_samples(make):
    return [
        Sample((spd(np, make(3, 3)),), "positive det"),
        Sample((spd(np, make(2, 3, 3)),), "batch"),
        Sample((np.array([[0.0, 1.0], [1.0, 0.0]], make.dtype),), "negative det: NaN",
               fd=False),
    ]


def solve_samples(make):
    a = _well_conditioned(make, 3, 3)
    return [
        Sample((a, make(3, 2), True), "matrix B"),
        Sample((a, make(3), True), "vector B"),
        Sample((_well_conditioned(make, 2, 3, 3), make(2, 3), True), "batch of vectors"),
        Sample((_well_conditioned(make, 2, 1, 3, 3), make(4, 3, 2), True), "broadcast batch"),
        Sample((a, make(2, 3), False), "left=False"),
        Sample((_well_conditioned(make, 3, 3, noncontig=True), make(3, 1)), "non-contiguous"),
    ]


def solve_errors(make):
    return [
        Sample((make(3, 3), make(4), True), "size mismatch"),
        Sample((make(3, 3), make(3, dtype="float64"), True), "mixed dtypes"),
        Sample((make(3, 4), make(3), True), "not square"),
    ]


def spd(lib, x):
    """A symmetric positive-definite matrix made from any square ``x`` (lib may be numpy)."""
    if lib is np:
        return x @ np.swapaxes(x, -1, -2) + 3 * np.eye(x.shape[-1], dtype=x.dtype)
    return x @ x.mT + 3 * lib.eye(x.shape[-1], dtype=x.dtype, device=x.device)


def spd_samples(make):
    return [
        Sample((make(3, 3),), "3x3"),
        Sample((make(2, 3, 3),), "batch"),
        Sample((make(1, 1),), "1x1"),
        Sample((make(3, 3, noncontig=True),), "non-contiguous"),
    ]


def no_samples(make):
    return []


def sym_samples(make):
    return [
        Sample((make(3, 3),), "3x3"),
        Sample((make(2, 4, 4),), "batch"),
        Sample((make(3, 3, noncontig=True),), "non-contiguous"),
    ]


def _rect(make):
    return [
        Sample((make(4, 3),), "tall"),
        Sample((make(3, 3),), "square"),
        Sample((make(2, 3, 2),), "batch of tall"),
        Sample((make(4, 3, noncontig=True),), "non-contiguous"),
    ]


def rect_samples(make):
    return _rect(make) + [Sample((make(2, 4),), "wide")]


def rect_errors(make):
    return [Sample((make(3),), "1-d"), Sample((make(3, 3, dtype="int64"),), "integer")]


# ---- norms -------------------------------------------------------------------------------------

def vector_norm_samples(make):
    return [
        Sample((make(3, 4), 2, None, False), "2, all"),
        Sample((make(3, 4), 1, 1, False), "1, dim 1"),
        Sample((make(3, 4), float("inf"), 0, True), "inf, keepdim"),
        Sample((make(3, 4), -float("inf"), (0, 1), False), "-inf, both dims"),
        Sample((make(3, 4), 0, -1, False), "0"),
        Sample((make(2, 3, 4, noncontig=True), 3, (0, 2), True), "3, non-contiguous"),
        Sample((make(), 2, None, False), "0-d"),
        Sample((np.zeros((2, 3), make.dtype), 2, 1, False), "zero vectors", fd=False,
               gradgrad=False),
        Sample((make(0, 3), 2, 0, False), "empty"),
    ]


def vector_norm_errors(make):
    return [Sample((make(3, dtype="int64"), 2, None, False), "integer"),
            Sample((make(3, 4), 2, 2, False), "dim out of range"),
            Sample((make(0, 3), float("inf"), 0, False), "inf over empty")]


def matrix_norm_samples(make):
    inf = float("inf")
    return [
        Sample((make(3, 4), "fro", False), "fro"),
        Sample((make(2, 3, 4), "nuc", False), "nuc, batch"),
        Sample((make(3, 4), 2, True), "2, keepdim"),
        Sample((make(4, 3), -2, False), "-2"),
        Sample((make(2, 3, 4), 1, False), "1"),
        Sample((make(3, 4, noncontig=True), -1, True), "-1, keepdim"),
        Sample((make(3, 4), inf, False), "inf"),
        Sample((make(2, 3, 4), -inf, True), "-inf, keepdim"),
    ]


def matrix_norm_errors(make):
    return [Sample((make(3), "fro", False), "1-d"),
            Sample((make(3, 4), 3, False), "bad order")]


def norm_samples(make):
    return [
        Sample((make(3, 4), None, None), "default"),
        Sample((make(4), 3, None), "vector, ord 3"),
        Sample((make(3, 4), "nuc", None), "nuc"),
        Sample((make(3, 4), 1, None), "matrix ord 1"),
        Sample((make(2, 3, 4), None, (0, 2)), "two dims"),
        Sample((make(2, 3, 4, noncontig=True), 2, 1), "vector along a dim"),
    ]


def _norm_fn(lib, x, ord, dim):
    return lib.linalg.norm(x, ord, dim)


def power_samples(make):
    return [
        Sample((make(3, 3), 3), "cube"),
        Sample((make(2, 3, 3), 2), "batch square"),
        Sample((make(3, 3), 0), "0"),
        Sample((make(3, 3), 1), "1"),
        Sample((_well_conditioned(make, 3, 3), -2), "inverse squared"),
    ]


def power_errors(make):
    return [Sample((make(3, 4), 2), "not square")]


OPS = [
    OpInfo("bmm", lambda lib, x, y: lib.bmm(x, y), bmm_samples, dtypes=ALL, errors=bmm_errors,
           same_name=False),
    OpInfo("mv", lambda lib, x, y: lib.mv(x, y), mv_samples, dtypes=ALL, errors=mv_errors,
           same_name=False),
    OpInfo("dot", lambda lib, x, y: x.dot(y), dot_samples, dtypes=ALL, errors=dot_errors,
           same_name=False),
    OpInfo("vdot", lambda lib, x, y: lib.vdot(x, y), dot_samples, errors=dot_errors,
           same_name=False),
    OpInfo("inner", lambda lib, x, y: lib.inner(x, y), inner_samples, dtypes=ALL,
           same_name=False),
    OpInfo("outer", lambda lib, x, y: lib.outer(x, y), outer_samples, dtypes=ALL,
           errors=outer_errors),
    OpInfo("ger", lambda lib, x, y: x.ger(y), outer_samples, errors=outer_errors),
    OpInfo("addmm", lambda lib, c, a, b, beta, alpha: lib.addmm(c, a, b, beta=beta,
                                                                alpha=alpha),
           addmm_samples, errors=addmm_errors, same_name=False),
    OpInfo("addmv", lambda lib, c, a, b, beta, alpha: c.addmv(a, b, beta=beta, alpha=alpha),
           addmv_samples, same_name=False),
    OpInfo("baddbmm", lambda lib, c, a, b, beta, alpha: lib.baddbmm(c, a, b, beta=beta,
                                                                    alpha=alpha),
           baddbmm_samples, same_name=False),
    OpInfo("addbmm", lambda lib, c, a, b, beta, alpha: lib.addbmm(c, a, b, beta=beta,
                                                                  alpha=alpha),
           addbmm_samples, same_name=False),
    OpInfo("einsum", lambda lib, eq, *xs: lib.einsum(eq, *xs), einsum_samples, dtypes=ALL,
           errors=einsum_errors, same_name=False),
    OpInfo("tensordot", lambda lib, x, y, dims: lib.tensordot(x, y, dims), tensordot_samples,
           dtypes=ALL, errors=tensordot_errors, same_name=False),
    OpInfo("trace", lambda lib, x: x.trace(), trace_samples, dtypes=ALL, errors=trace_errors,
           same_name=False),
    OpInfo("kron", lambda lib, x, y: lib.kron(x, y), kron_samples, dtypes=ALL,
           same_name=False),
    OpInfo("linalg_cross", lambda lib, x, y, d: lib.linalg.cross(x, y, dim=d), cross_samples,
           dtypes=FLOATS, errors=cross_errors, same_name=False),
    OpInfo("cross", lambda lib, x, y, d: lib.cross(x, y, d), cross_samples, same_name=False),
    OpInfo("linalg_inv", lambda lib, x: lib.linalg.inv(x), square_samples,
           errors=square_errors, tol=LOOSE),
    OpInfo("inverse", lambda lib, x: x.inverse(), square_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_det", lambda lib, x: lib.linalg.det(x), det_samples, errors=square_errors,
           tol=LOOSE),
    OpInfo("det", lambda lib, x: x.det(), square_samples, tol=LOOSE),
    OpInfo("slogdet_logabsdet", lambda lib, x: lib.linalg.slogdet(x).logabsdet, det_samples,
           errors=square_errors, tol=LOOSE),
    OpInfo("slogdet_sign", lambda lib, x: lib.linalg.slogdet(x).sign, det_samples,
           differentiable=False),
    OpInfo("logdet", lambda lib, x: lib.logdet(x), logdet_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_solve", lambda lib, a, b, left=True: lib.linalg.solve(a, b, left=left),
           solve_samples, errors=solve_errors, tol=LOOSE, same_name=False),
    OpInfo("linalg_cholesky", lambda lib, x: lib.linalg.cholesky(spd(lib, x)), spd_samples,
           tol=LOOSE),
    OpInfo("linalg_cholesky_upper", lambda lib, x: lib.linalg.cholesky(spd(lib, x),
                                                                       upper=True),
           spd_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_cholesky_errors", lambda lib, x: lib.linalg.cholesky(x), no_samples,
           errors=square_errors),
    OpInfo("linalg_eigh_errors", lambda lib, x: lib.linalg.eigh(x).eigenvalues, no_samples,
           errors=square_errors),
    OpInfo("linalg_qr_QR", lambda lib, x: (lambda q, r: q @ r)(*lib.linalg.qr(x)),
           rect_samples, errors=rect_errors, tol=LOOSE, same_name=False),
    OpInfo("linalg_qr_Q_squared", lambda lib, x: lib.linalg.qr(x).Q ** 2, rect_samples,
           tol=LOOSE, same_name=False),
    OpInfo("linalg_qr_R_squared", lambda lib, x: lib.linalg.qr(x).R ** 2, rect_samples,
           tol=LOOSE, same_name=False),
    OpInfo("linalg_qr_complete_R", lambda lib, x: lib.linalg.qr(x, "complete").R ** 2,
           lambda make: [Sample((make(3, 3),), "square"), Sample((make(2, 4),), "wide")],
           tol=LOOSE, same_name=False),
    OpInfo("linalg_svd_S", lambda lib, x: lib.linalg.svd(x, full_matrices=False).S,
           rect_samples, errors=rect_errors, tol=LOOSE),
    OpInfo("linalg_svd_UVh", lambda lib, x: (lambda u, s, vh: u @ vh)(
        *lib.linalg.svd(x, full_matrices=False)), rect_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_svd_USVh", lambda lib, x: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(
        *lib.linalg.svd(x, full_matrices=False)), rect_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_svd_U_squared", lambda lib, x: lib.linalg.svd(x, False).U ** 2,
           rect_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_svd_Vh_squared", lambda lib, x: lib.linalg.svd(x, False).Vh ** 2,
           rect_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_svd_full_S", lambda lib, x: lib.linalg.svd(x).S, rect_samples, tol=LOOSE),
    OpInfo("linalg_svdvals", lambda lib, x: lib.linalg.svdvals(x), rect_samples,
           tol=LOOSE, same_name=False),
    OpInfo("linalg_eigh_values", lambda lib, x: lib.linalg.eigh(x + x.mT).eigenvalues,
           sym_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_eigh_vectors_squared",
           lambda lib, x: lib.linalg.eigh(x + x.mT).eigenvectors ** 2, sym_samples,
           tol=LOOSE, same_name=False),
    OpInfo("linalg_eigh_function",
           lambda lib, x: (lambda w, v: (v * w.exp().unsqueeze(-2)) @ v.mT)(
               *lib.linalg.eigh(x + x.mT)), sym_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_eigh_upper", lambda lib, x: lib.linalg.eigh(x + x.mT, UPLO="U")[0],
           sym_samples, tol=LOOSE, same_name=False),
    OpInfo("linalg_eigvalsh", lambda lib, x: lib.linalg.eigvalsh(x + x.mT), sym_samples,
           tol=LOOSE, same_name=False),
    OpInfo("linalg_pinv", lambda lib, x: lib.linalg.pinv(x), rect_samples, tol=LOOSE,
           same_name=False),
    OpInfo("linalg_matrix_rank", lambda lib, x: lib.linalg.matrix_rank(x @ x.mT),
           rect_samples, differentiable=False),
    OpInfo("linalg_matrix_power", lambda lib, x, n: lib.linalg.matrix_power(x, n),
           power_samples, errors=power_errors, tol=LOOSE, same_name=False),
    OpInfo("linalg_vector_norm", lambda lib, x, o, d, k: lib.linalg.vector_norm(x, o, d, k),
           vector_norm_samples, errors=vector_norm_errors, tol=LOOSE, same_name=False),
    OpInfo("linalg_matrix_norm", lambda lib, x, o, k: lib.linalg.matrix_norm(x, o, keepdim=k),
           matrix_norm_samples, errors=matrix_norm_errors, tol=LOOSE, same_name=False),
    OpInfo("linalg_norm", _norm_fn, norm_samples, tol=LOOSE, same_name=False),
    OpInfo("norm", lambda lib, x: x.norm(), lambda make: [Sample((make(3, 4),), "2-d")],
           tol=LOOSE),
]
