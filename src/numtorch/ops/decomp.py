"""Inverses, determinants, solvers and decompositions (inv, det, slogdet, solve, cholesky, qr,
svd, eigh), each with its published backward formula, batched over leading dims."""
from __future__ import annotations

from collections import namedtuple

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import double_vjp_jvp
from .einsum import einsum

__all__ = ["Inv", "Det", "SlogDet", "Solve", "Cholesky", "Qr", "Svd", "Eigh", "check_square",
           "check_float", "LinAlgError", "SlogdetResult", "QrResult", "SvdResult", "EighResult"]

# the named tuples of the multi-output ops (the fields PyTorch names)
SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
QrResult = namedtuple("linalg_qr", ["Q", "R"])
SvdResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])


def check_float(op, x):
    if x.dtype.kind != "f":
        name = {"i": "Long" if x.dtype.itemsize == 8 else "Int", "b": "Bool",
                "u": "Byte"}.get(x.dtype.kind, str(x.dtype))
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got "
                           f"{name}; convert it first, e.g. A.double()")


def check_square(op, x, name="A"):
    check_float(op, x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        shape = "x".join(str(s) for s in x.shape[-2:])
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are "
                           f"{shape} matrices (shape {tuple(x.shape)})")


class LinAlgError(RuntimeError):
    """A matrix that a routine cannot handle: singular, or not positive-definite
    (``numtorch.linalg.LinAlgError``, as ``torch.linalg.LinAlgError``)."""


def _linalg_error(op, what):
    return LinAlgError(f"{op}: {what}")


def _const(array):
    from .._tensor import Tensor
    return Tensor._make(array)


def _eye(t):
    xp = B.array_module(t._data)
    return _const(xp.eye(t.shape[-1], dtype=t._data.dtype))


def _tril_mask(t, n, k=0, diag=1.0):
    """Constant (n, n) lower-triangle mask (below diagonal k) with ``diag`` on the diagonal."""
    xp = B.array_module(t._data)
    m = xp.tril(xp.ones((n, n), dtype=t._data.dtype), k)
    if k == 0 and diag != 1.0:
        m[xp.arange(n), xp.arange(n)] = diag
    return _const(m)


def _diag(v):
    return einsum("...i,ij->...ij", v, _eye(v))


def _inv(a):
    return Inv.apply(a)


class Inv(Function):
    """Y = A^-1;  dA = -Y^T G Y^T."""

    _raw = True
    _node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        check_square("linalg.inv", a)
        xp = B.array_module(a)
        try:
            y = xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise _linalg_error("linalg.inv", "the input matrix is singular, so it has no "
                                "inverse; check it or use linalg.pinv") from None
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        y, = ctx.saved_tensors
        yt = y.mT
        return -(yt @ grad_output @ yt)

    @staticmethod
    def jvp(ctx, t):
        y, = ctx.saved_tensors
        return -(y @ t @ y)


class Det(Function):
    """d = det(A);  dA = g d A^-T."""

    _raw = True
    _node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        check_square("linalg.det", a)
        xp = B.array_module(a)
        d = xp.asarray(xp.linalg.det(a))
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, grad_output):
        # NOTE: uses A^-1, so it is undefined at singular A (PyTorch falls back to an SVD)
        a, d = ctx.saved_tensors
        return (grad_output * d).unsqueeze(-1).unsqueeze(-1) * _inv(a).mT

    @staticmethod
    def jvp(ctx, t):
        a, d = ctx.saved_tensors
        return d * (_inv(a).mT * t).sum((-2, -1))


class SlogDet(Function):
    """(sign, log|det A|);  dA = g_logabsdet A^-T (the sign has no gradient)."""

    _raw = True
    _node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        check_square("linalg.slogdet", a)
        xp = B.array_module(a)
        sign, logabs = xp.linalg.slogdet(a)
        ctx.save_for_backward(a)
        ctx.set_materialize_grads(False)
        return xp.asarray(sign), xp.asarray(logabs)

    @staticmethod
    def backward(ctx, grad_sign, grad_logabs):
        a, = ctx.saved_tensors
        if grad_logabs is None:  # only the sign was used: it is piecewise constant
            return None
        return grad_logabs.unsqueeze(-1).unsqueeze(-1) * _inv(a).mT

    @staticmethod
    def jvp(ctx, t):
        a, = ctx.saved_tensors
        return None, (_inv(a).mT * t).sum((-2, -1))


class Solve(Function):
    """X = A^-1 B (B a batch of matrices, batch dims broadcast);
    dB = A^-T G, dA = -dB X^T."""

    _raw = True
    _node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xp = B.array_module(a)
        try:
            x = xp.linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            raise _linalg_error("linalg.solve", "the solver failed because the input matrix "
                                "is singular") from None
        except ValueError:
            raise RuntimeError(f"linalg.solve: the batch dims of A {tuple(a.shape)} and B "
                               f"{tuple(b.shape)} do not broadcast") from None
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.mT, grad_output)
        ga = -(gb @ x.mT) if ctx.needs_input_grad[0] else None
        return ga, gb

    @staticmethod
    def jvp(ctx, ta, tb):
        a, x = ctx.saved_tensors
        rhs = tb
        if ta is not None:
            rhs = -(ta @ x) if rhs is None else rhs - ta @ x
        return Solve.apply(a, rhs)


class Cholesky(Function):
    """L = chol(A) (lower);  dA = sym(L^-T Phi(L^T G) L^-1), Phi = lower triangle with the
    diagonal halved, sym(M) = (M + M^T) / 2."""

    _raw = True
    _node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a):
        check_square("linalg.cholesky", a)
        xp = B.array_module(a)
        try:
            low = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise _linalg_error("linalg.cholesky", "the factorization could not be completed "
                                "because the input is not positive-definite") from None
        ctx.save_for_backward(low)
        return low

    @staticmethod
    def backward(ctx, grad_output):
        low, = ctx.saved_tensors
        n = low.shape[-1]
        phi = (low.mT @ grad_output) * _tril_mask(low, n, 0, 0.5)
        linv = _inv(low)
        ga = linv.mT @ phi @ linv
        return (ga + ga.mT) * 0.5

    @staticmethod
    def jvp(ctx, t):
        low, = ctx.saved_tensors
        linv = _inv(low)
        return low @ ((linv @ t @ linv.mT) * _tril_mask(low, low.shape[-1], 0, 0.5))


def _copyltu(m):
    """tril(M) + tril(M, -1)^T: the symmetric matrix with M's lower triangle."""
    n = m.shape[-1]
    low = m * _tril_mask(m, n)
    return low + (m * _tril_mask(m, n, -1)).mT


def _qr_backward_tall(gq, gr, q, r):
    """dA for A = QR with Q (m, n), R (n, n), m >= n:  (gQ + Q copyltu(M)) R^-T,
    M = R gR^T - gQ^T Q."""
    m = r @ gr.mT - gq.mT @ q
    return (gq + q @ _copyltu(m)) @ _inv(r).mT


class Qr(Function):
    """A = QR;  dA by the formula of _qr_backward_tall (wide A: the square block plus Q gR
    for the rest)."""

    _raw = True
    _node_name = "LinalgQrBackward0"
    _num_inputs = 1

    @staticmethod
    def forward(ctx, a, mode="reduced"):
        check_float("linalg.qr", a)
        if a.ndim < 2:
            raise RuntimeError(f"linalg.qr: The input tensor A must have at least 2 "
                               f"dimensions, got shape {tuple(a.shape)}")
        if mode not in ("reduced", "complete", "r"):
            raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                               f"'reduced' (default), 'r', or 'complete'")
        xp = B.array_module(a)
        ctx.mode = mode
        q, r = xp.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        ctx.save_for_backward(q, r)
        if mode == "r":
            return xp.zeros((0,), a.dtype), r
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not "
                               "computed when mode='r'. Please use linalg.qr(A, mode='reduced') "
                               "if you are going to differentiate through linalg.qr.")
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        if gq is None:
            gq = q * 0
        if gr is None:
            gr = r * 0
        if m >= n:
            return _qr_backward_tall(gq, gr, q, r), None
        # wide A = [X | Y] with X square: X = Q U, Y = Q V
        u, v = r[..., :, :m], r[..., :, m:]
        gu, gv = gr[..., :, :m], gr[..., :, m:]
        y = q @ v
        gx = _qr_backward_tall(gq + y @ gv.mT, gu, q, u)
        gy = q @ gv
        xp = B.array_module(gx._data)
        out = _const(xp.zeros(tuple(gx.shape[:-1]) + (n,), dtype=gx._data.dtype))
        out[..., :, :m] = gx
        out[..., :, m:] = gy
        return out, None

    @staticmethod
    def jvp(ctx, t, *_):
        """dR = (C - Om) R, dQ = (dA - Q dR) R^-1 with C = Q^T dA R^-1, Om = tril(C, -1) -
        tril(C, -1)^T (tall or square A, reduced Q; other shapes use the generic rule)."""
        q, r = ctx.saved_tensors
        n = r.shape[-1]
        if ctx.mode == "r" or q.shape[-1] != n:
            return double_vjp_jvp(ctx, t, *_)
        rinv = _inv(r)
        c = q.mT @ t @ rinv
        low = c * _tril_mask(c, n, -1)
        dr = (c - low + low.mT) @ r
        return (t - q @ dr) @ rinv, dr


def _f_matrix(vals, squares):
    """F[i, j] = 1 / (v_j - v_i) off the diagonal, 0 on it (v = vals**2 if squares)."""
    from .elementwise import Where
    v = vals * vals if squares else vals
    denom = v.unsqueeze(-2) - v.unsqueeze(-1)
    xp = B.array_module(vals._data)
    eye = xp.eye(vals.shape[-1], dtype=bool)
    safe = Where.apply(eye, 1.0, denom)
    return Where.apply(eye, 0.0, 1.0 / safe)


class Svd(Function):
    """A = U diag(S) Vh;  dA = U [(F o (U^T gU - gU^T U)) S + diag(gS) + S (F o (V^T gV -
    gV^T V))] V^T + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T), F_ij = 1/(s_j^2 - s_i^2)
    (Townsend's formula)."""

    _raw = True
    _node_name = "LinalgSvdBackward0"
    _num_inputs = 1

    @staticmethod
    def forward(ctx, a, full_matrices=True):
        check_float("linalg.svd", a)
        if a.ndim < 2:
            raise RuntimeError(f"linalg.svd: The input tensor A must have at least 2 "
                               f"dimensions, got shape {tuple(a.shape)}")
        xp = B.array_module(a)
        ctx.set_materialize_grads(False)
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        # full_matrices: only the first k columns of U and rows of Vh carry information
        if u.shape[-1] != k:
            u = u[..., :, :k]
            gu = None if gu is None else gu[..., :, :k]
        if vh.shape[-2] != k:
            vh = vh[..., :k, :]
            gvh = None if gvh is None else gvh[..., :k, :]
        if gu is None and gvh is None:
            return (u @ (_diag(gs) @ vh) if gs is not None else None), None
        inner = _diag(gs) if gs is not None else None
        f = _f_matrix(s, squares=True)
        term = None
        if gu is not None:
            utgu = u.mT @ gu
            j = f * (utgu - utgu.mT)
            inner = j * s.unsqueeze(-2) if inner is None else inner + j * s.unsqueeze(-2)
            # the part of gU outside the column space of U
            term = ((gu - u @ utgu) / s.unsqueeze(-2)) @ vh
        if gvh is not None:
            gv = gvh.mT
            vtgv = vh @ gv
            kk = f * (vtgv - vtgv.mT)
            inner = s.unsqueeze(-1) * kk if inner is None else inner + s.unsqueeze(-1) * kk
            extra = u @ ((gvh - vtgv.mT @ vh) / s.unsqueeze(-1))
            term = extra if term is None else term + extra
        return u @ inner @ vh + term, None

    @staticmethod
    def jvp(ctx, t, *_):
        """With dP = U^T dA V: dS = diag(dP), dU = U (F o (dP S + S dP^T)) + (I - U U^T) dA V
        S^-1, dV = V (F o (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1 (reduced U and V)."""
        u, s, vh = ctx.saved_tensors
        k = s.shape[-1]
        if u.shape[-1] != k or vh.shape[-2] != k:  # full_matrices with a non-square input
            return double_vjp_jvp(ctx, t, *_)
        v = vh.mT
        dp = u.mT @ t @ v
        f = _f_matrix(s, squares=True)
        cols, rows = s.unsqueeze(-2), s.unsqueeze(-1)  # X * cols = X S, rows * X = S X
        du = u @ (f * (dp * cols + rows * dp.mT))
        dv = v @ (f * (rows * dp + dp.mT * cols))
        if u.shape[-2] > k:
            du = du + (t @ v - u @ dp) / cols
        if v.shape[-2] > k:
            dv = dv + (t.mT @ u - v @ dp.mT) / cols
        return du, dp.diagonal(0, -2, -1), dv.mT


class Eigh(Function):
    """A = V diag(L) V^T (symmetric A);  dA = sym(V (diag(gL) + F o (V^T gV)) V^T),
    F_ij = 1/(l_j - l_i), sym(M) = (M + M^T) / 2."""

    _raw = True
    _node_name = "LinalgEighBackward0"
    _num_inputs = 1

    @staticmethod
    def forward(ctx, a, uplo="L"):
        if a.dtype.kind != "f":  # PyTorch has no integer kernel here at all
            raise NotImplementedError(f"linalg.eigh: not implemented for {a.dtype} input; "
                                      f"convert it first, e.g. A.double()")
        check_square("linalg.eigh", a)
        if uplo not in ("L", "U", "l", "u"):
            raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
        xp = B.array_module(a)
        ctx.set_materialize_grads(False)
        w, v = xp.linalg.eigh(a, UPLO=uplo.upper())
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        inner = _diag(gw) if gw is not None else None
        if gv is not None:
            part = _f_matrix(w, squares=False) * (v.mT @ gv)
            inner = part if inner is None else inner + part
        if inner is None:
            return None, None
        ga = v @ inner @ v.mT
        # symmetric, like A: the gradient does not single out the triangle eigh read
        return (ga + ga.mT) * 0.5, None

    @staticmethod
    def jvp(ctx, t, *_):
        w, v = ctx.saved_tensors
        m = v.mT @ t @ v
        return m.diagonal(0, -2, -1), v @ (_f_matrix(w, squares=False) * m)
