"""Joining, splitting and rearranging copies: cat/stack, split/chunk/unbind, meshgrid,
repeat/tile, flip and roll."""
from __future__ import annotations

import operator
import warnings

from .. import _backend as B
from .._promotion import promote_types
from ..autograd.function import Function
from ..autograd.jvp_rules import linear_jvp
from ._util import wrap_dim
from .shape import as_view, expand, reshape

__all__ = ["Cat", "Stack", "Split", "Unbind", "Repeat", "Flip", "Roll", "cat", "stack",
           "hstack", "vstack", "dstack", "atleast_1d", "atleast_2d", "atleast_3d", "split",
           "chunk", "unbind", "meshgrid", "repeat", "tile", "flip", "fliplr", "flipud", "roll"]


def _tensor_list(tensors, op):
    from .._tensor import Tensor
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' must be a tuple or list of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def _promoted(arrays):
    d = arrays[0]
    dt = B.dtype_of(d)
    for a in arrays[1:]:
        dt = promote_types(dt, B.dtype_of(a))
    return [a if a.dtype == dt.np else a.astype(dt.np) for a in arrays]


class Cat(Function):
    """z = the inputs joined along dim;  dz/dx_i = z's gradient narrowed to x_i's part."""

    _raw = True
    _node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, *args):
        *xs, dim = args
        ctx._num_inputs = len(xs)
        for i, x in enumerate(xs):
            if x.ndim == 0:
                raise RuntimeError(f"cat(): zero-dimensional tensor (at position {i}) cannot "
                                   f"be concatenated; unsqueeze it or use stack()")
        # NOTE: as in PyTorch, 1-d empty tensors are skipped whatever the others' shapes (they
        # still take part in type promotion)
        arrays = _promoted(list(xs))
        skip = [x.ndim == 1 and x.shape[0] == 0 for x in xs]
        kept = [a for a, s in zip(arrays, skip) if not s]
        ctx.dim, ctx.sizes = 0, [None] * len(xs)
        if not kept:
            return arrays[0].copy()
        ref = kept[0]
        d = wrap_dim(dim, ref.ndim, "cat")
        for x in kept:
            if x.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, ref.shape))
                                         if i != d):
                raise RuntimeError(f"cat(): Sizes of tensors must match except in dimension "
                                   f"{d}: got shapes {list(ref.shape)} and {list(x.shape)}")
        ctx.dim = d
        ctx.sizes = [None if s else x.shape[d] for x, s in zip(xs, skip)]
        return B.array_module(ref).concatenate(kept, axis=d)

    @staticmethod
    def backward(ctx, grad_output):
        grads, start = [], 0
        for size in ctx.sizes:
            if size is None:
                grads.append(grad_output.new_zeros((0,)))
                continue
            grads.append(grad_output.narrow(ctx.dim, start, size))
            start += size
        return (*grads, None)

    jvp = staticmethod(linear_jvp)


class Stack(Function):
    """z = the inputs stacked along a new dim;  dz/dx_i = z's gradient selected at i."""

    _raw = True
    _node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, *args):
        *xs, dim = args
        ctx._num_inputs = len(xs)
        ctx.dim = wrap_dim(dim, xs[0].ndim + 1, "stack")
        for x in xs:
            if x.shape != xs[0].shape:
                raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                                   f"{list(xs[0].shape)} at entry 0 and {list(x.shape)}")
        return B.array_module(xs[0]).stack(_promoted(list(xs)), axis=ctx.dim)

    @staticmethod
    def backward(ctx, grad_output):
        return (*grad_output.unbind(ctx.dim), None)

    jvp = staticmethod(linear_jvp)


def cat(tensors, dim=0):
    tensors = _tensor_list(tensors, "cat")
    return Cat.apply(*tensors, dim)


def stack(tensors, dim=0):
    tensors = _tensor_list(tensors, "stack")
    return Stack.apply(*tensors, dim)


def atleast_1d(*tensors):
    return _atleast(tensors, lambda t: reshape(t, (1,)) if t.dim() == 0 else t)


def atleast_2d(*tensors):
    return _atleast(tensors, lambda t: t if t.dim() >= 2 else reshape(t, (1, -1)))


def atleast_3d(*tensors):
    def up(t):
        s = t._data.shape
        return t if t.dim() >= 3 else reshape(t, (1,) + s + (1,) if t.dim() == 1 else
                                              s + (1,) if t.dim() == 2 else (1, 1, 1))
    return _atleast(tensors, up)


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


def hstack(tensors):
    ts = atleast_1d(_tensor_list(tensors, "hstack"))
    return cat(ts, 0 if ts[0].dim() == 1 else 1)


def vstack(tensors):
    return cat(atleast_2d(_tensor_list(tensors, "vstack")), 0)


def dstack(tensors):
    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2)


class Split(Function):
    """z_i = consecutive pieces of x along dim (views);  dz/dx = the pieces' gradients
    joined."""

    _raw = True
    _num_inputs = 1
    _node_name = "SplitWithSizesBackward0"

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        pieces, start = [], 0
        for s in sizes:
            pieces.append(x[(slice(None),) * dim + (slice(start, start + s),)])
            start += s
        return tuple(pieces)

    @staticmethod
    def backward(ctx, *grads):
        return Cat.apply(*grads, ctx.dim), None, None

    jvp = staticmethod(linear_jvp)


class SplitEqual(Split):
    """split() into equal sizes: Split under PyTorch's node name."""

    _node_name = "SplitBackward0"


def split(x, split_size_or_sections, dim=0):
    if x.dim() == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.dim(), "split")
    n = x._data.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0 or (size == 0 and n != 0):
            raise RuntimeError(f"split(): split_size must be a positive integer when the "
                               f"dimension is not empty, got {size}")
        sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
        op = SplitEqual
    else:
        sizes = [operator.index(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
        op = Split
    return _multi_views(op.apply(x, sizes, d), x)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if x.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.dim(), "chunk")
    n = x._data.shape[d]
    if n == 0:  # as in PyTorch: `chunks` empty pieces
        return split(x, [0] * chunks, d)
    return split(x, -(-n // chunks), d)


class Unbind(Function):
    """z_i = x selected at i along dim (views);  dz/dx = the gradients stacked."""

    _raw = True
    _num_inputs = 1
    _node_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(x[(slice(None),) * dim + (i, Ellipsis)] for i in range(x.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return Stack.apply(*grads, ctx.dim), None

    jvp = staticmethod(linear_jvp)


def unbind(x, dim=0):
    if x.dim() == 0:
        raise IndexError("unbind: Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, x.dim(), "unbind")
    if x._data.shape[d] == 0:
        return ()
    return _multi_views(Unbind.apply(x, d), x)


def _multi_views(out, x):
    """The outputs of one op that are all views of x: autograd refuses in-place changes to
    them (when it records), as in PyTorch."""
    out = out if isinstance(out, tuple) else (out,)
    for o in out:
        as_view(o, x)
        if o._requires_grad:
            o._multi_view = True
    return out


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of \"xy\" or \"ij\", but received: "
                           f"{indexing}")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got "
                               f"a {t.dim()}D tensor")
        if t._dtype is not tensors[0]._dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    n = len(ts)
    grids = [expand(reshape(t, (1,) * i + (-1,) + (1,) * (n - i - 1)), shape)
             for i, t in enumerate(ts)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


class Repeat(Function):
    """z = x tiled reps times per dim;  dz/dx = z's gradient summed over the copies."""

    _raw = True
    _num_inputs = 1
    _node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        if len(reps) < x.ndim:
            raise RuntimeError(f"Number of dimensions of repeat dims ({len(reps)}) can not be "
                               f"smaller than number of dimensions of tensor ({x.ndim}); "
                               f"pass one repeat count per dim")
        if any(r < 0 for r in reps):
            raise RuntimeError(f"Trying to create tensor with negative dimension: {list(reps)}")
        shape = (1,) * (len(reps) - x.ndim) + x.shape
        ctx.reps, ctx.shape = reps, shape
        return B.array_module(x).tile(x.reshape(shape), reps)

    @staticmethod
    def backward(ctx, grad_output):
        split = []
        for r, s in zip(ctx.reps, ctx.shape):
            split += [r, s]
        g = grad_output.reshape(split)
        return g.sum(tuple(range(0, len(split), 2))) if split else g, None

    jvp = staticmethod(linear_jvp)


def repeat(x, reps):
    return Repeat.apply(x, tuple(operator.index(r) for r in reps))


def tile(x, dims):
    dims = tuple(operator.index(r) for r in dims)
    return repeat(x, (1,) * (x.dim() - len(dims)) + dims)


def _dims_list(dims, ndim, op):
    out = []
    for d in (dims,) if isinstance(dims, int) else dims:
        d = wrap_dim(d, ndim, op)
        if d in out:
            raise RuntimeError(f"{op}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(out)


class Flip(Function):
    """z = x reversed along dims;  dz/dx = z's gradient reversed back."""

    _raw = True
    _num_inputs = 1
    _node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = _dims_list(dims, x.ndim, "flip")
        if x.ndim == 0:
            return x.copy()
        return B.array_module(x).flip(x, ctx.dims).copy()

    @staticmethod
    def backward(ctx, grad_output):
        return Flip.apply(grad_output, ctx.dims), None

    jvp = staticmethod(linear_jvp)


def flip(x, dims):
    return Flip.apply(x, dims)


def fliplr(x):
    if x.dim() < 2:
        raise RuntimeError("fliplr: Input must be >= 2-d.")
    return Flip.apply(x, (1,))


def flipud(x):
    if x.dim() < 1:
        raise RuntimeError("flipud: Input must be >= 1-d.")
    return Flip.apply(x, (0,))


class Roll(Function):
    """z = x shifted cyclically along dims;  dz/dx = z's gradient shifted back."""

    _raw = True
    _num_inputs = 1
    _node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if x.ndim == 0:
            return x.copy()
        return B.array_module(x).roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad_output):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return Roll.apply(grad_output, neg, ctx.dims), None, None

    jvp = staticmethod(linear_jvp)


def roll(x, shifts, dims=None):
    shifts = (shifts,) if isinstance(shifts, int) else tuple(operator.index(s) for s in shifts)
    if x.numel() == 0:  # PyTorch checks nothing for an empty tensor
        return Roll.apply(x, 0, None)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {list(shifts)} need matching dims; without dims "
                               f"give one shift (the tensor is flattened)")
        return Roll.apply(x, shifts[0], None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if x.dim() == 0:
        raise IndexError(f"roll: Dimension specified as {dims[0] if dims else 0} but tensor "
                         f"has no dimensions")
    if len(dims) != len(shifts):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(wrap_dim(d, x.dim(), "roll") for d in dims)
    return Roll.apply(x, shifts, dims)
