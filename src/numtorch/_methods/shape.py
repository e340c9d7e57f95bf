"""Shape, view, joining, indexing and scatter/gather ops: Tensor methods and numtorch.X forms."""
from __future__ import annotations

import operator

from ..ops import inplace as _P
from ..ops import joining as _J
from ..ops import scatter as _G
from ..ops import shape as _V
from ..ops.indexing import index_select, narrow, select, take
from ..ops.joining import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cat,
    chunk,
    dstack,
    fliplr,
    flipud,
    hstack,
    meshgrid,
    split,
    stack,
    tile,
    unbind,
    vstack,
)
from ..ops.padding import pad
from ..ops.scatter import (
    gather,
    index_add,
    index_copy,
    index_fill,
    masked_fill,
    masked_scatter,
    masked_select,
    scatter_add,
    take_along_dim,
)
from ..ops.shape import (
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    diag,
    diag_embed,
    diagonal,
    movedim,
    tril,
    triu,
    unflatten,
)

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "cat", "concat", "concatenate", "chunk",
           "dstack", "flip", "fliplr", "flipud", "hstack", "meshgrid", "roll", "split",
           "stack", "tile", "unbind", "vstack", "index_select", "narrow", "select", "take",
           "gather", "scatter", "scatter_add", "index_add", "index_copy", "index_fill",
           "masked_fill", "masked_scatter", "masked_select", "take_along_dim",
           "broadcast_shapes", "broadcast_tensors", "broadcast_to", "diag", "diag_embed",
           "diagonal", "movedim", "moveaxis", "swapaxes", "swapdims", "tril", "triu",
           "unflatten", "pad"]


def _sizes(args) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(args) == 1 and not isinstance(args[0], int) and hasattr(args[0], "__len__"):
        args = args[0]
    return tuple(operator.index(a) for a in args)


concat = concatenate = cat
moveaxis = movedim


def swapaxes(input, axis0, axis1):
    return _V.transpose(input, axis0, axis1)


swapdims = swapaxes


def flip(input, dims):
    return _J.flip(input, dims)


def roll(input, shifts, dims=None):
    return _J.roll(input, shifts, dims)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    return _G.scatter(input, dim, index, src, value, reduce=reduce)


class ShapeMethods:
    """Tensor methods for this category; one line each, calling the op Functions."""

    __slots__ = ()

    def unflatten(self, dim, sizes):
        return unflatten(self, dim, sizes)

    def swapaxes(self, axis0, axis1):
        return _V.transpose(self, axis0, axis1)

    swapdims = swapaxes

    def movedim(self, source, destination):
        return movedim(self, source, destination)

    moveaxis = movedim

    def broadcast_to(self, size):
        return broadcast_to(self, size)

    def repeat(self, *sizes):
        return _J.repeat(self, _sizes(sizes))

    def tile(self, *dims):
        return tile(self, _sizes(dims))

    def flip(self, *dims):
        return _J.flip(self, _sizes(dims))

    def fliplr(self):
        return fliplr(self)

    def flipud(self):
        return flipud(self)

    def roll(self, shifts, dims=None):
        return _J.roll(self, shifts, dims)

    def split(self, split_size, dim=0):
        return split(self, split_size, dim)

    def chunk(self, chunks, dim=0):
        return chunk(self, chunks, dim)

    def narrow(self, dim, start, length):
        return narrow(self, dim, start, length)

    def select(self, dim, index):
        return select(self, dim, index)

    def take(self, index):
        return take(self, index)

    def take_along_dim(self, indices, dim=None):
        return take_along_dim(self, indices, dim)

    def index_select(self, dim, index):
        return index_select(self, dim, index)

    def gather(self, dim, index, *, sparse_grad=False):
        return gather(self, dim, index)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        return _G.scatter(self, dim, index, src, value, reduce=reduce)

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return _P.apply_(self, "scatter_", lambda t: _G.scatter(t, dim, index, src, value,
                                                                 reduce=reduce), src)

    def scatter_add(self, dim, index, src):
        return scatter_add(self, dim, index, src)

    def scatter_add_(self, dim, index, src):
        return _P.apply_(self, "scatter_add_", lambda t: scatter_add(t, dim, index, src), src)

    def index_add(self, dim, index, source, *, alpha=1):
        return index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        return _P.apply_(self, "index_add_",
                         lambda t: index_add(t, dim, index, source, alpha=alpha), source)

    def index_copy(self, dim, index, source):
        return index_copy(self, dim, index, source)

    def index_copy_(self, dim, index, source):
        return _P.apply_(self, "index_copy_", lambda t: index_copy(t, dim, index, source),
                         source)

    def index_fill(self, dim, index, value):
        return index_fill(self, dim, index, value)

    def index_fill_(self, dim, index, value):
        return _P.apply_(self, "index_fill_", lambda t: index_fill(t, dim, index, value), value)

    def masked_fill(self, mask, value):
        return masked_fill(self, mask, value)

    def masked_fill_(self, mask, value):
        return _P.apply_(self, "masked_fill_", lambda t: masked_fill(t, mask, value), value)

    def masked_select(self, mask):
        return masked_select(self, mask)

    def masked_scatter(self, mask, source):
        return masked_scatter(self, mask, source)

    def masked_scatter_(self, mask, source):
        return _P.apply_(self, "masked_scatter_", lambda t: masked_scatter(t, mask, source),
                         source)

    def tril(self, diagonal=0):
        return tril(self, diagonal)

    def triu(self, diagonal=0):
        return triu(self, diagonal)

    def tril_(self, diagonal=0):
        return _P.apply_(self, "tril_", lambda t: tril(t, diagonal))

    def triu_(self, diagonal=0):
        return _P.apply_(self, "triu_", lambda t: triu(t, diagonal))

    def diag(self, diagonal=0):
        return diag(self, diagonal)

    def diagonal(self, offset=0, dim1=0, dim2=1):
        return diagonal(self, offset, dim1, dim2)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        return diag_embed(self, offset, dim1, dim2)
