"""Gather/scatter, index_add/copy/fill and the masked ops (fill, select, scatter)."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from ..autograd.function import Function
from ..autograd.jvp_rules import double_vjp_jvp, linear_jvp
from ._util import wrap_dim
from .indexing import Index, IndexPutAccumulate, IndexSelect
from .shape import broadcast_shapes, expand, reshape

__all__ = ["Gather", "Scatter", "ScatterValue", "ScatterAdd", "IndexAdd", "IndexCopy",
           "IndexFill", "MaskedFill", "MaskedSelect", "MaskedScatter", "gather", "scatter",
           "scatter_add", "index_add", "index_copy", "index_fill", "masked_fill",
           "masked_select", "masked_scatter", "take_along_dim"]


def _along(index, dim):
    """The NumPy key that picks ``x[i][j]...`` with ``index`` replacing the coordinate at
    ``dim`` (gather's and scatter's addressing)."""
    xp = B.array_module(index)
    n = index.ndim
    return tuple(index if a == dim else
                 xp.arange(s).reshape((1,) * a + (s,) + (1,) * (n - a - 1))
                 for a, s in enumerate(index.shape))


def _head(a, shape):
    """The leading ``shape`` block of array ``a``."""
    return a[tuple(slice(0, s) for s in shape)]


def _place(g, shape):
    """Tensor ``g`` put into the leading block of zeros of ``shape`` (the inverse of _head)."""
    if tuple(g.shape) == tuple(shape):
        return g
    return IndexPutAccumulate.apply(g, shape, tuple(slice(0, s) for s in g.shape))


def _index_arg(index, op, dtypes=(B.int64,)):
    if not isinstance(index, _tensor.Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._dtype not in dtypes:
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {index.dtype}")
    return index._data


def _check_gather(op, x, index, dim, src=None):
    """PyTorch's shape and range rules for gather/scatter; returns the wrapped dim."""
    d = wrap_dim(dim, x.ndim, op)
    if index.size == 0:
        return d  # an empty index reads and writes nothing: PyTorch checks no shapes
    if index.ndim != max(x.ndim, 1) and x.ndim:
        raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                           f"input tensor ({index.ndim} vs {x.ndim})")
    for a, s in enumerate(index.shape):
        if x.ndim and a != d and s > x.shape[a] or src is not None and s > src.shape[a]:
            raise RuntimeError(f"{op}(): Size does not match at dimension {a}: expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(x.shape)} apart from dimension {d}"
                               + ("" if src is None else f" and src {list(src.shape)}"))
    n = x.shape[d] if x.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= n):
        bad = index.min() if index.min() < 0 else index.max()
        raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {d} with "
                           f"size {n}")
    return d


class Gather(Function):
    """z[i][j] = x[index[i][j]][j] (dim 0);  dz/dx = z's gradient scatter-added back."""

    _raw = True
    _num_inputs = 1
    _node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, index, dim):
        d = _check_gather("gather", x, index, dim)
        ctx.shape, ctx.index, ctx.dim = x.shape, index, d
        if index.size == 0:
            return B.array_module(x).zeros(index.shape, x.dtype)
        if x.ndim == 0:
            return x.reshape(index.shape).copy()
        return x[_along(index, d)]

    @staticmethod
    def backward(ctx, grad_output):
        zeros = grad_output.new_zeros(ctx.shape)
        return ScatterAdd.apply(zeros, grad_output, ctx.index, ctx.dim), None, None

    jvp = staticmethod(linear_jvp)


class ScatterAdd(Function):
    """z = x with src added at gather's positions;  dz/dx = 1, dz/dsrc = gather of z's
    gradient."""

    _raw = True
    _num_inputs = 2
    _node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, src, index, dim):
        d = _check_gather("scatter_add", x, index, dim, src)
        ctx.src_shape, ctx.index, ctx.dim = src.shape, index, d
        out = x.copy()
        if index.size == 0:
            return out
        if x.ndim:
            B.array_module(x).add.at(out, _along(index, d), _head(src, index.shape))
        elif index.size:
            out += src.reshape(())
        return out

    @staticmethod
    def backward(ctx, grad_output):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = _place(Gather.apply(grad_output, ctx.index, ctx.dim), ctx.src_shape)
        return grad_output, gs, None, None

    jvp = staticmethod(linear_jvp)


class Scatter(Function):
    """z = x with src written at gather's positions;  dz/dx = z's gradient with zeros there,
    dz/dsrc = gather of it."""

    _raw = True
    _num_inputs = 2
    _node_name = "ScatterBackward0"
    _value = False  # src is a number

    @staticmethod
    def forward(ctx, x, src, index, dim, reduce=None):
        op = "scatter"
        tensor_src = not ctx._forward_cls._value
        d = _check_gather(op, x, index, dim, src if tensor_src else None)
        ctx.src_shape = src.shape if tensor_src else None
        ctx.index, ctx.dim, ctx.reduce = index, d, reduce
        out = x.copy()
        key = _along(index, d) if x.ndim else ()
        value = _head(src, index.shape) if tensor_src else src
        if x.ndim == 0 and tensor_src:
            value = src.reshape(())
        if not index.size:
            return out
        xp = B.array_module(x)
        if reduce is None:
            out[key] = value
        elif reduce == "add":
            xp.add.at(out, key, value)
        elif reduce == "multiply":
            B.ufunc_at("multiply", out, key, value, "scatter(reduce='multiply')")
        else:
            raise RuntimeError(f"{op}(): reduce argument must be either add or multiply, got "
                               f"{reduce!r}")
        return out

    @staticmethod
    def backward(ctx, grad_output):
        if ctx.reduce is not None:
            raise RuntimeError("the derivative for scatter with reduce= is not implemented "
                               "(as in PyTorch); use scatter_add or scatter_reduce")
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = ScatterValue.apply(grad_output, 0, ctx.index, ctx.dim)
        if ctx.needs_input_grad[1] and ctx.src_shape is not None:
            gs = _place(Gather.apply(grad_output, ctx.index, ctx.dim), ctx.src_shape)
        return gx, gs, None, None, None

    @staticmethod
    def jvp(ctx, tx, ts, *_):
        x, src, index, dim = ctx.fw_inputs[:4]
        reduce = (tuple(ctx.fw_inputs) + (None,))[4]
        if reduce == "multiply":
            return double_vjp_jvp(ctx, tx, ts, *_)
        tx = tx if tx is not None else x.new_zeros(x.shape)
        if ts is None:  # a number (scatter_ value), or a tensor without tangent
            ts = src.new_zeros(src.shape) if hasattr(src, "new_zeros") else 0.0
        return ctx._forward_cls.apply(tx, ts, index, dim, reduce)


class ScatterValue(Scatter):
    """x.scatter(dim, index, value) for a number: Scatter under PyTorch's node name."""

    _node_name = "ScatterBackward1"
    _value = True


def gather(x, dim, index, *, sparse_grad=False):
    index = _index_arg(index, "gather", (B.int64, B.int32))
    return Gather.apply(x, index, dim)


def _same_dtype(op, x, src):
    if src._dtype is not x._dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype ({x.dtype} "
                           f"vs {src.dtype}); convert one of them with .to()")


def scatter(x, dim, index, src=None, value=None, *, reduce=None):
    index = _index_arg(index, "scatter")
    if src is None:
        src = value
    if isinstance(src, _tensor.Tensor):
        _same_dtype("scatter", x, src)
        return Scatter.apply(x, src, index, dim, reduce)
    if src is None:
        raise TypeError("scatter() needs a src tensor or a value")
    return ScatterValue.apply(x, B.fit_number(src, x._dtype), index, dim, reduce)


def scatter_add(x, dim, index, src):
    index = _index_arg(index, "scatter_add")
    _same_dtype("scatter_add", x, src)
    return ScatterAdd.apply(x, src, index, dim)


def _index_dim(op, x, index, dim, source=None):
    """Checks for index_add/copy/fill; returns (wrapped dim, index as a vector)."""
    index = _index_arg(index, op, (B.int64, B.int32) if op == "index_add" else (B.int64,))
    if index.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    index = index.reshape(-1)
    d = wrap_dim(dim, x.dim(), op)
    n = x._data.shape[d] if x.dim() else 1
    if index.size and (index.min() < -n or index.max() >= n):
        raise IndexError(f"{op}(): index out of range in self (dim {d} has size {n})")
    if source is not None:
        _same_dtype(op, x, source)
        s = source._data.shape
        want = x._data.shape[:d] + (index.size,) + x._data.shape[d + 1:]
        if x.dim() and s != want and not (source.dim() == 0 and index.size == 1):
            raise RuntimeError(f"{op}(): source of shape {list(s)} does not match the shape "
                               f"{list(want)} the index and self give")
    return d, ((slice(None),) * d + (index,) if x.dim() else (index,))


class IndexAdd(Function):
    """z = x with alpha * source added at index along dim;  dz/dx = 1, dz/dsource = alpha *
    z's gradient at index."""

    _raw = True
    _num_inputs = 2
    _node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, source, key, alpha=1):
        ctx.key, ctx.alpha = key, alpha
        out = x.reshape(-1).copy() if x.ndim == 0 else x.copy()
        B.array_module(x).add.at(out, key, source * alpha if alpha != 1 else source)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_output):
        gs = None
        if ctx.needs_input_grad[1]:
            gs = IndexSelect.apply(grad_output.reshape(-1) if grad_output.dim() == 0
                                   else grad_output, ctx.key)
            gs = gs * ctx.alpha if ctx.alpha != 1 else gs
        return grad_output, gs, None, None

    jvp = staticmethod(linear_jvp)


class IndexCopy(Function):
    """z = x with source written at index along dim;  dz/dx = z's gradient with zeros there,
    dz/dsource = it at index."""

    _raw = True
    _num_inputs = 2
    _node_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, x, source, key):
        ctx.key = key
        out = x.reshape(-1).copy() if x.ndim == 0 else x.copy()
        out[key] = source
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_output):
        flat = grad_output.reshape(-1) if grad_output.dim() == 0 else grad_output
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = IndexFill.apply(flat, 0, ctx.key).reshape(grad_output.shape)
        if ctx.needs_input_grad[1]:
            gs = Index.apply(flat, ctx.key)
        return gx, gs, None

    jvp = staticmethod(linear_jvp)


class IndexFill(IndexCopy):
    """z = x with value written at index along dim;  dz/dx = z's gradient with zeros there,
    dz/dvalue = the sum of it there."""

    _node_name = "IndexFillBackward0"

    @staticmethod
    def backward(ctx, grad_output):
        gx, gv, _ = IndexCopy.backward(ctx, grad_output)
        return gx, (gv.sum() if gv is not None else None), None

    @staticmethod
    def jvp(ctx, tx, *_):
        x, _, key = ctx.fw_inputs
        return IndexFill.apply(tx if tx is not None else x.new_zeros(x.shape), 0.0, key)


class IndexFillTensor(IndexFill):
    """index_fill with a 0-d tensor value: IndexFill under PyTorch's node name."""

    _node_name = "IndexFillBackward1"

    jvp = staticmethod(linear_jvp)


def index_add(x, dim, index, source, *, alpha=1):
    d, key = _index_dim("index_add", x, index, dim, source)
    return IndexAdd.apply(x, source, key, alpha)


def index_copy(x, dim, index, source):
    d, key = _index_dim("index_copy", x, index, dim, source)
    return IndexCopy.apply(x, source, key)


def index_fill(x, dim, index, value):
    d, key = _index_dim("index_fill", x, index, dim)
    if isinstance(value, _tensor.Tensor):
        if value.dim():
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.dim()} dimension(s).")
        return IndexFillTensor.apply(x, value, key)
    return IndexFill.apply(x, B.fit_number(value, x._dtype), key)


def _mask_arg(mask, op):
    if not isinstance(mask, _tensor.Tensor) or mask._dtype is not B.bool_:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    return mask._data


class MaskedFill(Function):
    """z = value where mask else x;  dz/dx = z's gradient where not mask, dz/dvalue = its sum
    where mask."""

    _raw = True
    _num_inputs = 2
    _node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, value, mask):
        ctx.mask = mask
        xp = B.array_module(x)
        return xp.where(mask, xp.asarray(value).astype(x.dtype), x)

    @staticmethod
    def backward(ctx, grad_output):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = MaskedFill.apply(grad_output, 0, ctx.mask)
        if ctx.needs_input_grad[1]:
            gv = MaskedFill.apply(grad_output, 0, ~ctx.mask).sum()
        return gx, gv, None

    @staticmethod
    def jvp(ctx, tx, *_):
        return MaskedFill.apply(tx, 0.0, ctx.mask) if tx is not None else None


class MaskedFillTensor(MaskedFill):
    """masked_fill with a 0-d tensor value: MaskedFill under PyTorch's node name."""

    _node_name = "MaskedFillBackward1"

    jvp = staticmethod(linear_jvp)


def masked_fill(x, mask, value):
    m = _mask_arg(mask, "masked_fill_")
    if isinstance(value, _tensor.Tensor):
        if value.dim():
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.dim()} dimension(s).")
        return MaskedFillTensor.apply(x, value, m)
    return MaskedFill.apply(x, value, m)


class MaskedSelect(Index):
    """x.masked_select(mask): Index (with a boolean key) under PyTorch's node name."""

    _node_name = "MaskedSelectBackward0"


def masked_select(x, mask):
    _mask_arg(mask, "masked_select:")
    shape = broadcast_shapes(x._data.shape, mask._data.shape)
    m = B.array_module(mask._data).broadcast_to(mask._data, shape)
    return MaskedSelect.apply(expand(x, shape), m)


class MaskedScatter(Function):
    """z = x with z[mask] = source's leading elements;  dz/dx = z's gradient where not mask,
    dz/dsource = its values at mask, placed first."""

    _raw = True
    _num_inputs = 2
    _node_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, x, source, mask):
        xp = B.array_module(x)
        shape = xp.broadcast_shapes(x.shape, mask.shape)
        mask = xp.broadcast_to(mask, shape)
        k = int(mask.sum())
        if source.size < k:
            raise RuntimeError(f"masked_scatter: Number of elements of source < number of ones "
                               f"in mask ({source.size} < {k})")
        ctx.mask, ctx.k, ctx.src_shape = mask, k, source.shape
        out = xp.broadcast_to(x, shape).copy()
        out[mask] = source.reshape(-1)[:k]
        return out

    @staticmethod
    def backward(ctx, grad_output):
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = MaskedFill.apply(grad_output, 0, ctx.mask)
        if ctx.needs_input_grad[1]:
            n = 1
            for s in ctx.src_shape:
                n *= s
            g = Index.apply(grad_output, ctx.mask)
            gs = IndexPutAccumulate.apply(g, (n,), (slice(0, ctx.k),)).reshape(ctx.src_shape)
        return gx, gs, None

    jvp = staticmethod(linear_jvp)


def masked_scatter(x, mask, source):
    m = _mask_arg(mask, "masked_scatter_")
    _same_dtype("masked_scatter", x, source)
    return MaskedScatter.apply(x, source, m)


def take_along_dim(x, indices, dim=None):
    _index_arg(indices, "take_along_dim")
    if dim is None:
        return Gather.apply(reshape(x, (-1,)), indices._data.reshape(-1), 0)
    if x.dim() != indices.dim():
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.dim()} and {indices.dim()}")
    d = wrap_dim(dim, x.dim(), "take_along_dim")
    xs = list(x._data.shape)
    xs[d] = indices._data.shape[d]
    shape = list(broadcast_shapes(xs, indices._data.shape))
    index = B.array_module(indices._data).broadcast_to(indices._data, shape)
    shape[d] = x._data.shape[d]
    return Gather.apply(expand(x, shape), index, d)
