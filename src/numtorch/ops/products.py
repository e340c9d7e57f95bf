"""Products composed from MatMul, Einsum and elementwise ops: bmm, mv, dot, vdot, inner, outer,
addmm, addmv, baddbmm, addbmm, tensordot, trace, kron, cross, matrix_power."""
from __future__ import annotations

from .. import _backend as B
from .einsum import Einsum
from .linalg import MatMul, Mm

__all__ = ["bmm", "mv", "dot", "vdot", "inner", "outer", "addmm", "addmv", "baddbmm",
           "addbmm", "tensordot", "trace", "kron", "cross", "matrix_power"]


def _shape(x):
    return tuple(x.shape)


def _same_dtype(op, *xs):
    d = xs[0].dtype
    for x in xs[1:]:
        if x.dtype != d:
            raise RuntimeError(f"{op}: expected all operands to have the same dtype, but got "
                               f"{', '.join(str(y.dtype) for y in xs)}; convert them, "
                               f"e.g. y.to(x.dtype)")


def _ndim(op, name, x, n):
    if x.dim() != n:
        raise RuntimeError(f"{op}: {name} must be a {n}-D tensor, got shape {_shape(x)}")


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    _ndim("bmm", "batch1", input, 3)
    _ndim("bmm", "batch2", mat2, 3)
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: batch1 {_shape(input)} and batch2 {_shape(mat2)} cannot be "
                           f"multiplied; expected batch2 of shape "
                           f"[{input.shape[0]}, {input.shape[2]}, *]")
    _same_dtype("bmm", input, mat2)
    return MatMul.apply(input, mat2)


def mv(input, vec):
    """Matrix-vector product of an (n, m) matrix and an (m,) vector."""
    _ndim("mv", "input", input, 2)
    _ndim("mv", "vec", vec, 1)
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"mv: size mismatch, got mat {_shape(input)} and vec {_shape(vec)}")
    _same_dtype("mv", input, vec)
    return MatMul.apply(input, vec)


def dot(input, other):
    """Inner product of two 1-D tensors of the same size and dtype."""
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got shapes {_shape(input)} and "
                           f"{_shape(other)}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"dot: the vectors have different sizes, {_shape(input)} and "
                           f"{_shape(other)}")
    _same_dtype("dot", input, other)
    return MatMul.apply(input, other)


def vdot(input, other):
    """dot with the first operand conjugated (the same for real tensors)."""
    return dot(input, other)


def inner(input, other):
    """Sum over the last dims of both: out[i.., j..] = sum_k x[i.., k] y[j.., k]."""
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner: the last dims of {_shape(input)} and {_shape(other)} "
                           f"must match")
    return tensordot(input, other, ([input.dim() - 1], [other.dim() - 1]))


def outer(input, vec2):
    """out[i, j] = x[i] * y[j] for 1-D x and y."""
    for name, x in (("self", input), ("vec2", vec2)):
        if x.dim() != 1:
            raise RuntimeError(f"outer: expected 1-D argument {name}, but got shape "
                               f"{_shape(x)}")
    return input.unsqueeze(1) * vec2


def _scaled(x, s):
    return x if s == 1 else x * s


def _add_scaled(op, input, prod, beta, alpha):
    """beta * input + alpha * prod; with beta == 0 input is ignored (NaN and inf too)."""
    _same_dtype(op, input, prod)
    prod = _scaled(prod, alpha)
    from .shape import expand
    try:
        expand(input, _shape(prod))
    except RuntimeError:
        raise RuntimeError(f"{op}: input of shape {_shape(input)} does not broadcast to the "
                           f"product's shape {_shape(prod)}") from None
    if beta == 0:
        from .elementwise import Where
        xp = B.array_module(prod._data)
        return Where.apply(xp.ones((), bool), prod, input)
    return _scaled(input, beta) + prod


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    _same_dtype("addmm", input, mat1, mat2)
    return _add_scaled("addmm", input, Mm.apply(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    _same_dtype("addmv", input, mat, vec)
    return _add_scaled("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2)."""
    _same_dtype("baddbmm", input, batch1, batch2)
    return _add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]."""
    _same_dtype("addbmm", input, batch1, batch2)
    bmm(batch1, batch2)  # the shape checks
    prod = Einsum.apply(batch1, batch2, ("bij", "bjk"), "ik")
    return _add_scaled("addbmm", input, prod, beta, alpha)


def tensordot(a, b, dims=2):
    """Contract dims of ``a`` with dims of ``b``: ``dims`` an int (the last ``dims`` of a with
    the first of b) or a pair of lists."""
    if hasattr(dims, "dim") and dims.dim() == 0:  # a 0-d tensor counts as an int
        dims = int(dims.item())
    if isinstance(dims, int):
        n = dims
        if n < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, but got dims={n}")
        if n > a.dim() or n > b.dim():
            raise RuntimeError(f"tensordot: dims={n} is more than the dims of {_shape(a)} "
                               f"or {_shape(b)}")
        da, db = list(range(a.dim() - n, a.dim())), list(range(n))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else [int(d) for d in da]
        db = [db] if isinstance(db, int) else [int(d) for d in db]
    if len(da) != len(db):
        raise RuntimeError(f"tensordot: both dimension lists should have the same length, "
                           f"got {da} and {db}")
    from ._util import wrap_dim
    da = [wrap_dim(d, a.dim(), "tensordot") for d in da]
    db = [wrap_dim(d, b.dim(), "tensordot") for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first "
                               f"{_shape(a)} has size {a.shape[i]} in dim {i} and second "
                               f"{_shape(b)} has size {b.shape[j]} in dim {j}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"tensordot: both inputs should have the same dtype, got {a.dtype} "
                           f"and {b.dtype}")
    letters = [chr(ord("a") + i) for i in range(a.dim() + b.dim())]
    ta = letters[:a.dim()]
    tb = letters[a.dim():]
    for i, j in zip(da, db):
        tb[j] = ta[i]
    out = [c for i, c in enumerate(ta) if i not in da] + \
          [c for j, c in enumerate(tb) if j not in db]
    return Einsum.apply(a, b, ("".join(ta), "".join(tb)), "".join(out))


def trace(input):
    """Sum of the main diagonal of a matrix."""
    if input.dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got a tensor of shape "
                           f"{_shape(input)}")
    k = min(input.shape)
    square = input if input.shape[0] == input.shape[1] else input[:k, :k]
    return Einsum.apply(square, ("aa",), "")


def kron(input, other):
    """Kronecker product: out[i*q + k, ...] = x[i, ...] * y[k, ...]."""
    n = max(input.dim(), other.dim())
    x = input.reshape((1,) * (n - input.dim()) + _shape(input))
    y = other.reshape((1,) * (n - other.dim()) + _shape(other))
    xs = sum(((s, 1) for s in x.shape), ())
    ys = sum(((1, s) for s in y.shape), ())
    out = x.reshape(xs) * y.reshape(ys)
    return out.reshape(tuple(p * q for p, q in zip(x.shape, y.shape)))


def cross(input, other, dim=-1):
    """3-vector cross product along ``dim`` (broadcasting the other dims)."""
    from ._util import wrap_dim
    if input.dim() != other.dim():
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, "
                           f"got {_shape(input)} and {_shape(other)}")
    d = wrap_dim(dim, input.dim(), "linalg.cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3, got "
                           f"{_shape(input)} and {_shape(other)}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"linalg.cross: expected both inputs to have the same dtype, got "
                           f"{input.dtype} and {other.dtype}")
    from .._tensor import Tensor
    from .einsum import einsum
    xp = B.array_module(input._data)
    eps = xp.zeros((3, 3, 3), dtype=input._data.dtype)
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):  # the Levi-Civita symbol
        eps[i, j, k], eps[i, k, j] = 1, -1
    n = input.dim()
    to_end = [i for i in range(n) if i != d] + [d]
    back = list(range(n - 1))
    back.insert(d, n - 1)
    x, y = input.permute(to_end), other.permute(to_end)
    return einsum("...j,...k,ijk->...i", x, y, Tensor._make(eps)).permute(back)


def matrix_power(input, n: int):
    """A @ A @ ... (n times); n = 0 gives identity matrices, n < 0 powers of the inverse."""
    if input.dim() < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but "
                           f"they are {_shape(input)}")
    if not isinstance(n, int):
        raise TypeError(f"matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:  # identities, still connected to the input (with a zero gradient)
        from .elementwise import Where
        xp = B.array_module(input._data)
        eye = xp.broadcast_to(xp.eye(input.shape[-1], dtype=input._data.dtype), _shape(input))
        return Where.apply(xp.ones((), bool), xp.array(eye), input)
    if n == 1:
        return input.clone()
    if n < 0:
        from .decomp import Inv
        input = Inv.apply(input)
        n = -n
    result, base = None, input
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result
