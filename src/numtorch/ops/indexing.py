"""Indexing: ``x[key]`` (a view for basic keys), ``x[key] = value``, and unbind."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from ..autograd.function import Function
from .shape import as_view

__all__ = ["Index", "IndexPutAccumulate", "IndexPut", "CopySlices", "is_basic", "getitem",
           "setitem", "unbind"]


def _key_part(k):
    if isinstance(k, _tensor.Tensor):
        if k._dtype.is_floating_point:
            raise IndexError(f"tensors used as indices must be long, int, byte or bool "
                             f"tensors, got {k.dtype}")
        return k._data
    if isinstance(k, float):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                         "byte Variables are valid indices (got float)")
    if isinstance(k, list):
        return B.np.asarray([p._data if isinstance(p, _tensor.Tensor) else p for p in k])
    return k


def array_key(key):
    """An indexing key with tensors replaced by their arrays."""
    if isinstance(key, tuple):
        return tuple(_key_part(k) for k in key)
    return _key_part(key)


def is_basic(key) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


class Index(Function):
    """z = x[key];  dz/dx = the gradient placed back at the indexed positions (summed where an
    index repeats)."""

    _raw = True
    _num_inputs = 1
    _node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        try:
            out = x[key]
            if not isinstance(out, B.np.ndarray):
                # NumPy gives a scalar copy when ints pick one element; PyTorch gives a 0-d
                # view, which an Ellipsis makes NumPy give too
                out = x[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
            return out
        except IndexError as e:
            raise IndexError(f"index {key!r} is out of bounds for a tensor of shape "
                             f"{tuple(x.shape)}: {e}") from None

    @staticmethod
    def backward(ctx, grad_output):
        return IndexPutAccumulate.apply(grad_output, ctx.shape, ctx.key), None


class IndexPutAccumulate(Function):
    """z = zeros(shape) with g added at x[key];  dz/dg = z's gradient read back at key."""

    _raw = True
    _num_inputs = 1
    _node_name = "IndexPutAccumulateBackward0"

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        xp = B.array_module(g)
        out = xp.zeros(shape, g.dtype)
        if is_basic(key) or getattr(getattr(key, "dtype", None), "kind", "") == "b":
            out[key] = g
        else:
            xp.add.at(out, key, g)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        return Index.apply(grad_output, ctx.key), None, None


class IndexPut(Function):
    """z = x with z[key] = v;  dz/dx = the gradient with zeros at key, dz/dv = it read at key."""

    _raw = True
    _num_inputs = 2
    _node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, key):
        ctx.key = key
        out = x.copy()
        out[key] = v
        return out

    @staticmethod
    def backward(ctx, grad_output):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = grad_output.clone()
            gx[ctx.key] = 0
        if ctx.needs_input_grad[1]:
            gv = Index.apply(grad_output, ctx.key)  # summed to v's shape by the engine
        return gx, gv, None


class CopySlices(IndexPut):
    """IndexPut through a view or a basic key (ints, slices): PyTorch's node name for it."""

    _node_name = "CopySlices"


def getitem(x, key):
    key = array_key(key)
    out = Index.apply(x, key)
    return as_view(out, x) if is_basic(key) else out


def setitem(x, key, value):
    from .inplace import indexput_
    indexput_(x, array_key(key), value)


def unbind(x, dim=0):
    from ._util import wrap_dim
    d = wrap_dim(dim, x.dim(), "unbind")
    return tuple(getitem(x, (slice(None),) * d + (i,)) for i in range(x._data.shape[d]))
