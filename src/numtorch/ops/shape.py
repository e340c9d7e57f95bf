"""Shape ops that return views: reshape/view, permute/transpose, expand, squeeze/unsqueeze."""
from __future__ import annotations

from ..autograd.function import Function
from ._util import wrap_dim

__all__ = ["Reshape", "Permute", "Expand", "reshape", "view", "permute", "transpose", "t", "expand",
           "squeeze", "unsqueeze", "flatten"]


def as_view(out, x):
    """Mark ``out`` as a view of ``x`` when it shares x's memory: same version counter."""
    base = out._data.base
    if base is not None and (base is x._data or base is x._data.base):
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
        dims = {wrap_dim(d, x.dim(), "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(x, new)


def unsqueeze(x, dim):
    d = wrap_dim(dim, x.dim() + 1, "unsqueeze")
    shape = list(x._data.shape)
    shape.insert(d, 1)
    return reshape(x, tuple(shape))


def flatten(x, start_dim=0, end_dim=-1):
    n = x.dim()
    if n == 0:
        return reshape(x, (1,))
    s, e = wrap_dim(start_dim, n, "flatten"), wrap_dim(end_dim, n, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x._data.shape
    size = 1
    for d in shape[s:e + 1]:
        size *= d
    return reshape(x, shape[:s] + (size,) + shape[e + 1:])
