"""Shape ops that return views: reshape/view, permute/transpose/movedim, expand/broadcast,
squeeze/unsqueeze, flatten/unflatten, diagonal, and the diagonal/triangle copies."""
from __future__ import annotations

import operator

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import linear_jvp
from ._util import wrap_dim

__all__ = ["Reshape", "Permute", "Expand", "Diagonal", "DiagonalScatter", "DiagEmbed", "Tril",
           "Triu", "reshape", "view", "permute", "transpose", "t", "expand", "squeeze",
           "unsqueeze", "flatten", "unflatten", "movedim", "broadcast_shapes", "broadcast_to",
           "broadcast_tensors", "diagonal", "diag_embed", "diag", "tril", "triu"]


def as_view(out, x):
    """Mark ``out`` as a view of ``x`` when it shares x's memory: same version counter."""
    base = out._data.base
    if base is not None and (base is x._data or base is x._data.base
                             or B.array_module(x._data).may_share_memory(out._data, x._data)):
        out._vc = x._vc
        out._base = x if x._base is None else x._base
        out._view_version = x._vc[0]  # its history is the base's as of this version
    return out


def _infer_shape(op, shape, numel):
    shape = list(shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {s}")
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size "
                               f"{numel}")
        shape[unknown[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


class Reshape(Function):
    """z = x with a new shape (same elements, row-major);  dz/dx = reshape back."""

    _raw = True
    _num_inputs = 1
    _node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape, must_view=False):
        ctx.shape = x.shape
        shape = _infer_shape("view" if must_view else "reshape", shape, x.size)
        if must_view and not x.flags.c_contiguous and x.size > 1:
            out = x.view()
            try:
                out.shape = shape  # NumPy raises when this needs a copy
            except AttributeError:
                raise RuntimeError(
                    f"view size is not compatible with input tensor's size and stride (at "
                    f"least one dimension spans across two contiguous subspaces) for shape "
                    f"{tuple(x.shape)} -> {shape}. Use .reshape(...) instead.") from None
            return out
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.reshape(ctx.shape), None, None

    jvp = staticmethod(linear_jvp)


class Permute(Function):
    """z = x with its dims reordered;  dz/dx = the inverse permutation."""

    _raw = True
    _num_inputs = 1
    _node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        n = x.ndim
        dims = tuple(wrap_dim(d, n, "permute") for d in dims)
        if len(dims) != n:
            raise RuntimeError(f"permute: the number of dims given ({len(dims)}) must equal "
                               f"the tensor's number of dimensions ({n})")
        if len(set(dims)) != n:
            raise RuntimeError(f"permute: repeated dim in {dims}")
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, grad_output):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad_output.permute(*inverse), None

    jvp = staticmethod(linear_jvp)


class Expand(Function):
    """z = x broadcast to a larger shape;  dz/dx = z's gradient summed back (by the engine)."""

    _raw = True
    _num_inputs = 1
    _node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        lead = len(shape) - x.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({x.ndim})")
        target = tuple(x.shape[i - lead] if s == -1 and i >= lead else s
                       for i, s in enumerate(shape))
        for i in range(x.ndim):
            if x.shape[i] != 1 and x.shape[i] != target[lead + i]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[lead + i]}) must match the "
                    f"existing size ({x.shape[i]}) at non-singleton dimension {lead + i}.  "
                    f"Target sizes: {list(shape)}.  Tensor sizes: {list(x.shape)}")
        from .. import _backend as B
        return B.array_module(x).broadcast_to(x, target)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None  # the engine's sum_to reduces it to x's shape

    jvp = staticmethod(linear_jvp)


def reshape(x, shape):
    return as_view(Reshape.apply(x, shape), x)


def view(x, shape):
    return as_view(Reshape.apply(x, shape, True), x)


def permute(x, dims):
    return as_view(Permute.apply(x, tuple(dims)), x)


def transpose(x, dim0, dim1):
    n = x.dim()
    dims = list(range(n))
    d0, d1 = wrap_dim(dim0, n, "transpose"), wrap_dim(dim1, n, "transpose")
    if n:  # a 0-d tensor accepts dims 0 and -1 and stays as it is
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return as_view(Permute.apply(x, tuple(dims)), x)


def t(x):
    if x.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{x.dim()}D; use transpose(dim0, dim1) or mT")
    # 0-d and 1-d tensors come back as a new view (a new node), as in PyTorch
    return transpose(x, 0, -1)


def expand(x, shape):
    return as_view(Expand.apply(x, tuple(shape)), x)


def squeeze(x, dim=None):
    shape = x._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = [wrap_dim(d, x.dim(), "squeeze") for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"squeeze: dim {dims} appears multiple times in the list of dims")
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(x, new)


def unsqueeze(x, dim):
    d = wrap_dim(dim, x.dim() + 1, "unsqueeze")
    shape = list(x._data.shape)
    shape.insert(d, 1)
    return reshape(x, tuple(shape))


def flatten(x, start_dim=0, end_dim=-1):
    n = x.dim()
    s, e = wrap_dim(start_dim, n, "flatten"), wrap_dim(end_dim, n, "flatten")
    if n == 0:
        return reshape(x, (1,))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._data.shape
    size = 1
    for d in shape[s:e + 1]:
        size *= d
    return reshape(x, shape[:s] + (size,) + shape[e + 1:])


def unflatten(x, dim, sizes):
    n = x.dim()
    d = wrap_dim(dim, n, "unflatten")
    sizes = tuple(operator.index(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = x._data.shape
    new = _infer_shape("unflatten", sizes, shape[d]) if shape[d] or -1 not in sizes else sizes
    return reshape(x, shape[:d] + tuple(new) + shape[d + 1:])


def movedim(x, source, destination):
    n = x.dim()
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = [wrap_dim(d, n, "movedim") for d in src]
    dst = [wrap_dim(d, n, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in source {src} or destination {dst}")
    if n == 0:
        return permute(x, ())
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src)
    order = [next(rest) if o is None else o for o in order]
    return permute(x, order)


def broadcast_shapes(*shapes):
    """The shape tensors of the given shapes broadcast to (RuntimeError if they don't)."""
    from .._tensor import Size
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for shape in shapes:
        for i, s in enumerate(shape):
            j = ndim - len(shape) + i
            if s < 0:
                raise RuntimeError(f"broadcast_shapes: negative size in shape {list(shape)}")
            if out[j] == 1:
                out[j] = s
            elif s != 1 and s != out[j]:
                raise RuntimeError(f"shape mismatch: the shapes {[list(p) for p in shapes]} "
                                   f"cannot be broadcast together (size {s} against "
                                   f"{out[j]} at dim {j})")
    return Size(out)


def broadcast_to(x, shape):
    return expand(x, tuple(shape))


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def _diag_dims(ndim, dim1, dim2, op):
    d1, d2 = wrap_dim(dim1, ndim, op), wrap_dim(dim2, ndim, op)
    if d1 == d2:
        raise RuntimeError(f"{op}: dim1 and dim2 cannot be identical, but got dim1 = {dim1} "
                           f"and dim2 = {dim2}")
    return d1, d2


def _diagonal_view(a, offset, d1, d2):
    """The writable diagonal view of array ``a`` (NumPy hands out read-only ones)."""
    out = a.diagonal(offset, d1, d2)
    if B.is_gpu_array(a):
        return out  # GPU views are writable
    if a.flags.writeable:
        out.flags.writeable = True
    return out


class Diagonal(Function):
    """z = the diagonal of x over (dim1, dim2) as the last dim;  dz/dx = z's gradient placed
    on that diagonal of zeros."""

    _raw = True
    _num_inputs = 1
    _node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        d1, d2 = _diag_dims(x.ndim, dim1, dim2, "diagonal")
        ctx.shape, ctx.args = x.shape, (offset, d1, d2)
        return _diagonal_view(x, offset, d1, d2)

    @staticmethod
    def backward(ctx, grad_output):
        return DiagonalScatter.apply(grad_output, ctx.shape, *ctx.args), None, None, None

    jvp = staticmethod(linear_jvp)


class DiagonalScatter(Function):
    """z = zeros(shape) with g on the diagonal over (dim1, dim2);  dz/dg = diagonal of z's
    gradient."""

    _raw = True
    _num_inputs = 1
    _node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = B.array_module(g).zeros(shape, g.dtype)
        _diagonal_view(out, offset, dim1, dim2)[...] = g
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return Diagonal.apply(grad_output, *ctx.args), None, None, None, None

    jvp = staticmethod(linear_jvp)


class DiagEmbed(DiagonalScatter):
    """diag_embed: x's last dim placed on a diagonal of a new pair of dims (zeros elsewhere)."""

    _node_name = "DiagEmbedBackward0"


def diagonal(x, offset=0, dim1=0, dim2=1):
    return as_view(Diagonal.apply(x, offset, dim1, dim2), x)


def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    n = x.dim() + 1
    d1, d2 = _diag_dims(n, dim1, dim2, "diag_embed")
    size = (x._data.shape[-1] if x.dim() else 1) + abs(offset)
    rest = iter(x._data.shape[:-1])
    shape = tuple(size if i in (d1, d2) else next(rest) for i in range(n))
    return DiagEmbed.apply(x if x.dim() else reshape(x, (1,)), shape, offset, d1, d2)


def diag(x, diagonal=0):
    if x.dim() == 1:
        return diag_embed(x, diagonal)
    if x.dim() != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.dim()}D")
    return Diagonal.apply(x, diagonal, 0, 1).clone()


class Tril(Function):
    """z = x with the entries above the k-th diagonal zeroed;  dz/dx = the same mask."""

    _raw = True
    _num_inputs = 1
    _node_name = "TrilBackward0"
    _lower = True

    @staticmethod
    def forward(ctx, x, diagonal=0):
        op = "tril" if ctx._forward_cls._lower else "triu"
        if x.ndim < 2:
            raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got "
                               f"{x.ndim}")
        ctx.k = operator.index(diagonal)
        xp = B.array_module(x)
        return (xp.tril if ctx._forward_cls._lower else xp.triu)(x, ctx.k)

    @staticmethod
    def backward(ctx, grad_output):
        return ctx._forward_cls.apply(grad_output, ctx.k), None

    jvp = staticmethod(linear_jvp)


class Triu(Tril):
    """z = x with the entries below the k-th diagonal zeroed;  dz/dx = the same mask."""

    _node_name = "TriuBackward0"
    _lower = False


def tril(x, diagonal=0):
    return Tril.apply(x, diagonal)


def triu(x, diagonal=0):
    return Triu.apply(x, diagonal)
