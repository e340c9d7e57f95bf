"""op_db entries for the shape ops (see op_db.py for the framework)."""
from __future__ import annotations

import numpy as np

from op_db import ALL, FLOATS, Const, OpInfo, Sample


def _pad(lib, x, pad, mode="constant", value=None):
    if lib.__name__ == "torch":
        import torch.nn.functional as F
        return F.pad(x, pad, mode) if value is None else F.pad(x, pad, mode, value)
    from numtorch.ops.padding import pad as ours
    return ours(x, pad, mode) if value is None else ours(x, pad, mode, value)


def I(*values):  # noqa: E743 - an index tensor
    return Const(np.array(values, np.int64))


# ---- views ----------------------------------------------------------------------------------

def flatten_samples(make):
    return [
        Sample((make(2, 3, 4), 0, -1), "all"),
        Sample((make(2, 3, 4), 1, 2), "last two"),
        Sample((make(), 0, -1), "0-d"),
        Sample((make(2, 3, 4, noncontig=True), 0, 1), "non-contiguous"),
        Sample((make(2, 0, 4), 1, 2), "empty"),
    ]


def unflatten_samples(make):
    return [
        Sample((make(6, 4), 0, (2, 3)), "first dim"),
        Sample((make(4, 6), -1, (3, -1)), "inferred size"),
        Sample((make(4, 6, noncontig=True), 1, (2, 3)), "non-contiguous"),
    ]


def unflatten_errors(make):
    return [Sample((make(4, 6), 1, (4, 2)), "wrong product"),
            Sample((make(4, 6), 2, (2, 3)), "dim out of range")]


def squeeze_dims_samples(make):
    return [
        Sample((make(1, 3, 1, 4), (0, 2)), "two dims"),
        Sample((make(1, 3, 1, 4), (-1, 0)), "a non-singleton dim among them"),
        Sample((make(1, 3, 1, 4, noncontig=True), (2,)), "non-contiguous"),
    ]


def movedim_samples(make):
    return [
        Sample((make(2, 3, 4), 0, -1), "one dim"),
        Sample((make(2, 3, 4), (0, 1), (2, 0)), "two dims"),
        Sample((make(2, 3, 4, noncontig=True), -1, 0), "non-contiguous"),
        Sample((make(), 0, 0), "0-d", same_name=False),  # PyTorch: AliasBackward0
    ]


def movedim_errors(make):
    return [Sample((make(2, 3, 4), (0, 1), (2,)), "length mismatch"),
            Sample((make(2, 3, 4), 3, 0), "dim out of range"),
            Sample((make(2, 3, 4), (0, 0), (1, 2)), "repeated dim")]


def broadcast_to_samples(make):
    return [
        Sample((make(3, 1), (2, 3, 4)), "new dims"),
        Sample((make(), (2,)), "0-d"),
        Sample((make(4, 1, noncontig=True), (4, 3)), "non-contiguous"),
        Sample((make(3, 1), (3, 0)), "to empty"),
    ]


def broadcast_tensors_samples(make):
    return [
        Sample((make(3, 1), make(4)), "two"),
        Sample((make(), make(2, 3)), "0-d"),
        Sample((make(2, 1, 1, noncontig=True), make(3, 1)), "non-contiguous"),
    ]


def repeat_samples(make):
    return [
        Sample((make(2, 3), (2, 1)), "same ndim"),
        Sample((make(2, 3), (2, 1, 3)), "new leading dim"),
        Sample((make(), (3,)), "0-d"),
        Sample((make(2, 3, noncontig=True), (1, 2)), "non-contiguous"),
        Sample((make(2, 3), (0, 2)), "zero repeats"),
    ]


def repeat_errors(make):
    return [Sample((make(2, 3), (2,)), "fewer sizes than dims")]


def tile_samples(make):
    return [
        Sample((make(2, 3), (2,)), "fewer reps than dims"),
        Sample((make(3), (2, 2)), "more reps than dims"),
        Sample((make(2, 3, noncontig=True), (2, 1)), "non-contiguous"),
    ]


def flip_samples(make):
    return [
        Sample((make(3, 4), (0,)), "dim 0"),
        Sample((make(2, 3, 4), (0, -1)), "two dims"),
        Sample((make(), ()), "0-d"),
        Sample((make(3, 4, noncontig=True), (1,)), "non-contiguous"),
        Sample((make(0, 4), (0,)), "empty"),
    ]


def flip_errors(make):
    return [Sample((make(3, 4), (0, 0)), "repeated dim"), Sample((make(3, 4), (2,)), "range")]


def roll_samples(make):
    return [
        Sample((make(3, 4), 1, None), "flattened"),
        Sample((make(3, 4), -5, 1), "negative shift"),
        Sample((make(2, 3, 4), (1, 2), (0, 2)), "two dims"),
        Sample((make(3, 4, noncontig=True), 2, 0), "non-contiguous"),
    ]


def roll_errors(make):
    return [Sample((make(3, 4), (1, 2), (0,)), "shifts and dims differ")]


def tri_samples(make):
    return [
        Sample((make(4, 4), 0), "square"),
        Sample((make(3, 5), 1), "wide, above"),
        Sample((make(2, 5, 3), -1), "batched, below"),
        Sample((make(4, 4, noncontig=True), 2), "non-contiguous"),
    ]


def tri_errors(make):
    return [Sample((make(4), 0), "1-d")]


def diagonal_samples(make):
    return [
        Sample((make(3, 4), 0, 0, 1), "main"),
        Sample((make(3, 4), 1, 1, 0), "offset, swapped dims"),
        Sample((make(2, 3, 4), -1, 0, 2), "3-d"),
        Sample((make(3, 4, noncontig=True), 0, -1, -2), "non-contiguous"),
        Sample((make(3, 4), 5, 0, 1), "offset past the end"),
    ]


def diagonal_errors(make):
    return [Sample((make(3, 4), 0, 1, 1), "same dims"), Sample((make(3), 0, 0, 1), "1-d")]


def diag_embed_samples(make):
    return [
        Sample((make(3), 0, -2, -1), "vector"),
        Sample((make(2, 3), 1, 0, 2), "batched, offset"),
        Sample((make(2, 3, noncontig=True), -1, -1, 0), "non-contiguous"),
    ]


def diag_samples(make):
    return [
        Sample((make(3), 0), "vector"),
        Sample((make(3), -2), "vector, offset"),
        Sample((make(3, 4), 1), "matrix"),
        Sample((make(3, 4, noncontig=True), -1), "non-contiguous"),
    ]


def diag_errors(make):
    return [Sample((make(2, 3, 4), 0), "3-d")]


# ---- joining and splitting ------------------------------------------------------------------

def cat_samples(make):
    return [
        Sample(((make(2, 3), make(4, 3)), 0), "dim 0"),
        Sample(((make(2, 3), make(2, 1), make(2, 2)), -1), "three, last dim"),
        Sample(((make(2, 3), make(0)), 1), "legacy empty 1-d skipped"),
        Sample(((make(2, 3, noncontig=True), make(2, 3, dtype="float64")), 0),
               "non-contiguous, mixed dtypes"),
        Sample(((make(3), make(0)), 0), "1-d with empty"),
    ]


def cat_errors(make):
    return [Sample(((make(2, 3), make(3, 2)), 0), "size mismatch"),
            Sample(((make(), make()), 0), "0-d"),
            Sample(((make(2, 3), make(2, 3)), 2), "dim out of range")]


def stack_samples(make):
    return [
        Sample(((make(2, 3), make(2, 3)), 0), "dim 0"),
        Sample(((make(2, 3), make(2, 3), make(2, 3)), -1), "new last dim"),
        Sample(((make(), make()), 0), "0-d"),
        Sample(((make(2, 3, noncontig=True), make(2, 3)), 1), "non-contiguous"),
    ]


def stack_errors(make):
    return [Sample(((make(2, 3), make(3, 2)), 0), "shape mismatch")]


def hvd_samples(make):
    return [
        Sample(((make(3), make(2)),), "1-d"),
        Sample(((make(2, 3), make(2, 3)),), "2-d"),
        Sample(((make(), make()),), "0-d"),
        Sample(((make(2, 3, 2), make(2, 3, 2, noncontig=True)),), "3-d, non-contiguous"),
    ]


def split_samples(make):
    return [
        Sample((make(5, 3), 2, 0), "uneven"),
        Sample((make(3, 6), 3, -1), "even"),
        Sample((make(5, 3, noncontig=True), 2, 1), "non-contiguous"),
    ]


def split_sizes_samples(make):
    return [
        Sample((make(5, 3), [1, 4], 0), "two sizes"),
        Sample((make(3, 6), [2, 0, 4], 1), "with an empty piece"),
    ]


def split_sizes_errors(make):
    return [Sample((make(5, 3), [1, 3], 0), "wrong total")]


def chunk_samples(make):
    return [
        Sample((make(5, 3), 2, 0), "uneven"),
        Sample((make(3, 6), 3, 1), "even"),
        Sample((make(3, 2), 5, 1), "more chunks than entries"),
    ]


def chunk_errors(make):
    return [Sample((make(3, 6), 0, 1), "zero chunks")]


def unbind_samples(make):
    return [
        Sample((make(3, 4), 0), "rows"),
        Sample((make(2, 3, 4), -1), "last dim"),
        Sample((make(3, 4, noncontig=True), 1), "non-contiguous"),
    ]


def meshgrid_samples(make):
    return [
        Sample((make(3), make(4), "ij"), "ij"),
        Sample((make(3), make(4), "xy"), "xy"),
        Sample((make(), make(2), "ij"), "0-d"),
    ]


# ---- indexing, gather and scatter -----------------------------------------------------------

def narrow_samples(make):
    return [
        Sample((make(5, 3), 0, 1, 3), "rows"),
        Sample((make(5, 3), -1, -2, 2), "negative start"),
        Sample((make(5, 3, noncontig=True), 1, 0, 0), "empty, non-contiguous"),
    ]


def narrow_errors(make):
    return [Sample((make(5, 3), 0, 3, 3), "past the end"), Sample((make(5, 3), 2, 0, 1), "dim")]


def select_samples(make):
    return [
        Sample((make(5, 3), 0, 1), "row"),
        Sample((make(2, 3, 4), -1, -1), "negative"),
        Sample((make(5, 3, noncontig=True), 1, 2), "non-contiguous"),
    ]


def select_errors(make):
    return [Sample((make(5, 3), 0, 5), "index out of range"),
            Sample((make(5, 3), 2, 0), "dim out of range")]


def gather_samples(make):
    return [
        Sample((make(3, 4), 0, I([0, 2, 2, 1], [1, 1, 0, 0])), "dim 0"),
        Sample((make(3, 4), 1, I([3, 3], [0, 1])), "dim 1, smaller index"),
        Sample((make(2, 3, 4), -1, I([[0, 3, 3, 3, 1]])), "longer along dim"),
        Sample((make(3, 4, noncontig=True), 1, I([2], [1], [0])), "non-contiguous"),
        Sample((make(3, 4), 0, Const(np.zeros((0, 4), np.int64))), "empty index"),
    ]


def gather_errors(make):
    return [Sample((make(3, 4), 0, I([3, 0])), "index out of range"),
            Sample((make(3, 4), 0, I(0, 1)), "ndim mismatch"),
            Sample((make(3, 4), 1, I([0, 1], [0, 1], [0, 1], [0, 1])), "index too large")]


def scatter_samples(make):
    return [
        Sample((make(3, 4), 0, I([0, 2, 1, 1]), make(1, 4)), "dim 0"),
        Sample((make(3, 4), 1, I([3, 0], [1, 2]), make(2, 2)), "dim 1"),
        Sample((make(3, 4, noncontig=True), -1, I([2], [1], [0]), make(3, 1)),
               "non-contiguous"),
    ]


def scatter_errors(make):
    return [Sample((make(3, 4), 0, I([5, 0]), make(1, 2)), "index out of range"),
            Sample((make(3, 4), 0, I(0, 1), make(2)), "ndim mismatch")]


def scatter_value_samples(make):
    return [
        Sample((make(3, 4), 0, I([0, 2, 1, 1]), 2.5), "dim 0"),
        Sample((make(3, 4, noncontig=True), 1, I([3, 0], [1, 2]), -1), "non-contiguous"),
    ]


def scatter_add_samples(make):
    return [
        Sample((make(3, 4), 0, I([0, 0, 1, 1], [0, 2, 2, 2]), make(2, 4)), "repeats"),
        Sample((make(3, 4), 1, I([3, 3, 3]), make(1, 3)), "one row, repeats"),
        Sample((make(3, 4, noncontig=True), 0, I([2], [2]), make(2, 1)), "non-contiguous"),
    ]


def index_select_samples(make):
    return [
        Sample((make(3, 4), 0, I(2, 0, 2)), "rows with repeats"),
        Sample((make(3, 4), -1, I(3)), "one column"),
        Sample((make(3, 4, noncontig=True), 1, Const(np.zeros(0, np.int64))), "empty index"),
        Sample((make(3, 4), 0, Const(np.array(1))), "0-d index"),
    ]


def index_select_errors(make):
    return [Sample((make(3, 4), 0, I(3)), "out of range"),
            Sample((make(3, 4), 0, I([0])), "2-d index")]


def index_add_samples(make):
    return [
        Sample((make(3, 4), 0, I(0, 2, 0), make(3, 4)), "rows with repeats"),
        Sample((make(3, 4), 1, I(3), make(3, 1)), "one column"),
        Sample((make(3, 4, noncontig=True), 1, I(1, 1), make(3, 2)), "non-contiguous"),
    ]


def index_add_errors(make):
    return [Sample((make(3, 4), 0, I(0, 2), make(3, 4)), "source size mismatch")]


def index_copy_samples(make):
    return [
        Sample((make(3, 4), 0, I(2, 0), make(2, 4)), "rows"),
        Sample((make(3, 4, noncontig=True), 1, I(3), make(3, 1)), "non-contiguous"),
    ]


def index_fill_samples(make):
    return [
        Sample((make(3, 4), 0, I(2, 0), -1.5), "rows"),
        Sample((make(3, 4, noncontig=True), 1, I(3, 3), 2), "non-contiguous"),
        Sample((make(3, 4), 1, I(1), make()), "0-d tensor value"),
    ]


def _mask(make, *shape):
    return Const(make.rng.uniform(size=shape) > 0.5)


def masked_fill_samples(make):
    return [
        Sample((make(3, 4), _mask(make, 3, 4), 2.5), "full mask"),
        Sample((make(3, 4), _mask(make, 4), -1), "broadcast mask"),
        Sample((make(3, 4), _mask(make, 3, 4), make()), "0-d tensor value"),
        Sample((make(3, 1), _mask(make, 2, 3, 4), 0.5), "mask broadcasts the input"),
        Sample((make(3, 4, noncontig=True), _mask(make, 3, 1), make()), "non-contiguous"),
    ]


def masked_fill_errors(make):
    return [Sample((make(3, 4), Const(np.ones((3, 4), np.int64)), 1.0), "integer mask"),
            Sample((make(3, 4), _mask(make, 3, 4), make(2)), "1-d value")]


def masked_select_samples(make):
    return [
        Sample((make(3, 4), _mask(make, 3, 4)), "full mask"),
        Sample((make(3, 4), _mask(make, 4)), "broadcast mask"),
        Sample((make(4), _mask(make, 3, 4)), "broadcast input"),
        Sample((make(3, 4, noncontig=True), Const(np.zeros((3, 4), bool))), "empty result"),
    ]


def masked_scatter_samples(make):
    return [
        Sample((make(3, 4), _mask(make, 3, 4), make(3, 4)), "full mask"),
        Sample((make(3, 4), _mask(make, 4), make(20)), "broadcast mask, longer source"),
        Sample((make(3, 4, noncontig=True), _mask(make, 3, 4), make(2, 6)), "non-contiguous"),
    ]


def masked_scatter_errors(make):
    return [Sample((make(3, 4), Const(np.ones((3, 4), bool)), make(5)), "source too small")]


def take_samples(make):
    return [
        Sample((make(3, 4), I([0, 11], [-1, 5])), "2-d index"),
        Sample((make(), I(0, 0)), "0-d input"),
        Sample((make(3, 4, noncontig=True), I(3, 3, 7)), "non-contiguous, repeats"),
    ]


def take_errors(make):
    return [Sample((make(3, 4), I(12)), "out of range")]


def take_along_dim_samples(make):
    return [
        Sample((make(3, 4), I([0], [3], [1]), 1), "dim 1"),
        Sample((make(3, 4), I([2, 0, 1, 1]), 0), "broadcast index"),
        Sample((make(3, 4), I(0, 11, 5), None), "flattened"),
        Sample((make(3, 1, noncontig=True), I([0, 0, 0]), 0), "broadcast input"),
    ]


def take_along_dim_errors(make):
    return [Sample((make(3, 4), I(0, 1), 0), "ndim mismatch")]


def getitem_samples(make):
    x = make(3, 4, 5)
    return [
        Sample((x, (0, slice(None), Const(np.array([0, 1])))), "int, slice, list: torch order"),
        Sample((x, (slice(None), Const(np.array([0, 2])), 1)), "slice, list, int"),
        Sample((x, (Const(np.array([0, 1])), slice(None), Const(np.array([4, 0])))),
               "advanced indices around a slice"),
        Sample((x, (Const(np.array(1)), slice(1, None), Const(np.array([1, 1])))),
               "0-d tensor as int"),
        Sample((x, (None, 1, Ellipsis, None, Const(np.array([1, 2])))), "None, int, list"),
        Sample((x, (1, Const(make.rng.uniform(size=(4, 5)) > 0.5))), "int, mask"),
        Sample((x, (slice(None, None, 3), slice(1, 100))), "step, clamped stop"),
        Sample((x, ([],)), "empty list"),
        Sample((x, True), "True"),
    ]


def getitem_errors(make):
    x = make(3, 4, 5)
    return [
        Sample((x, slice(None, None, -1)), "negative step"),
        Sample((x, (0, Const(np.array([0, 4])))), "int, index out of range"),
        Sample((x, Const(np.ones(4, bool))), "mask shape mismatch"),
        Sample((x, Const(np.array([0.5]))), "float tensor"),
    ]


def setitem(lib, x, v, key):
    y = x * 1  # a non-leaf copy, so the in-place write is allowed and recorded
    y[key] = v
    return y


def setitem_samples(make):
    return [
        Sample((make(3, 4, 5), make(4, 2), (0, slice(None), Const(np.array([0, 1])))),
               "int, slice, list: torch order"),
        Sample((make(3, 4, 5), make(2), (Const(np.array([0, 1])), 1, Const(np.array([4, 0])))),
               "int between lists"),
        Sample((make(3, 4, 5), make(5), (1, Const(np.array([True, False, True, True])))),
               "int, mask"),
        Sample((make(3, 4, 5), make(1, 5), 2), "value with a leading 1"),
        Sample((make(3, 4, 5), make(2, 1, 1), slice(None, 2)), "broadcast block"),
    ]


def pad_samples(make):
    return [
        Sample((make(2, 3), (1, 2)), "last dim"),
        Sample((make(2, 3, 4), (1, 0, 2, 1), "constant", 1.5), "two dims, value"),
        Sample((make(2, 3, 4), (-1, 2, 0, -1)), "cropping"),
        Sample((make(), ()), "0-d, no padding"),
        Sample((make(2, 3, noncontig=True), (0, 0, 1, 1)), "non-contiguous"),
    ]


def pad_errors(make):
    return [Sample((make(2, 3), (1,)), "odd length"), Sample((make(3), (1, 1, 1, 1)), "long"),
            Sample((make(2, 3), (1, 1), "wrap"), "unknown mode")]


def pad_mode_samples(mode):
    def samples(make):
        return [
            Sample((make(2, 5), (2, 1), mode), "unbatched 1-d"),
            Sample((make(2, 3, 4), (1, 3), mode), "batched 1-d"),
            Sample((make(2, 3, 4), (1, 2, 2, 0), mode), "2-d"),
            Sample((make(1, 2, 3, 3, 4), (1, 1, 2, 0, 1, 2), mode), "3-d"),
            Sample((make(2, 3, 4, noncontig=True), (-1, 2), mode), "cropping, non-contiguous"),
        ]
    return samples


def pad_mode_errors(mode):
    def errors(make):
        return [Sample((make(4), (1, 1), mode), "1-d input")] + (
            [] if mode == "replicate" else [Sample((make(2, 3), (5, 5), mode), "too large")])
    return errors


OPS = [
    OpInfo("view_as", lambda lib, x, y: x.view_as(y),
           lambda make: [Sample((make(3, 4), make(2, 6)), "2-d"),
                         Sample((make(3, 4), make(12)), "1-d")], dtypes=ALL),
    OpInfo("flatten", lambda lib, x, s, e: lib.flatten(x, s, e), flatten_samples, dtypes=ALL,
           same_name=False),
    OpInfo("unflatten", lambda lib, x, d, s: x.unflatten(d, s), unflatten_samples, dtypes=ALL,
           errors=unflatten_errors),
    OpInfo("squeeze_dims", lambda lib, x, d: lib.squeeze(x, d), squeeze_dims_samples,
           dtypes=ALL, same_name=False),
    OpInfo("swapaxes", lambda lib, x: lib.swapaxes(x, 0, -1) + x.swapdims(-1, 0),
           lambda make: [Sample((make(2, 3, 4),), "3-d"),
                         Sample((make(3, 4, noncontig=True),), "non-contiguous")],
           dtypes=ALL),
    OpInfo("movedim", lambda lib, x, s, d: lib.movedim(x, s, d), movedim_samples, dtypes=ALL,
           errors=movedim_errors),
    OpInfo("moveaxis", lambda lib, x, s, d: x.moveaxis(s, d), movedim_samples, dtypes=ALL),
    OpInfo("broadcast_to", lambda lib, x, s: lib.broadcast_to(x, s), broadcast_to_samples,
           dtypes=ALL, errors=lambda make: [Sample((make(3, 2), (3, 4)), "mismatch")]),
    OpInfo("broadcast_tensors", lambda lib, x, y: lib.broadcast_tensors(x, y)[0] * 2
           + lib.broadcast_tensors(x, y)[1], broadcast_tensors_samples, dtypes=ALL,
           errors=lambda make: [Sample((make(3, 2), make(3)), "mismatch")]),
    OpInfo("expand_as", lambda lib, x, y: x.expand_as(y),
           lambda make: [Sample((make(3, 1), make(2, 3, 4)), "3-d")], dtypes=ALL),
    OpInfo("repeat", lambda lib, x, r: x.repeat(*r), repeat_samples, dtypes=ALL,
           errors=repeat_errors),
    OpInfo("tile", lambda lib, x, r: lib.tile(x, r), tile_samples, dtypes=ALL),
    OpInfo("flip", lambda lib, x, d: lib.flip(x, d), flip_samples, dtypes=ALL,
           errors=flip_errors),
    OpInfo("fliplr", lambda lib, x: lib.fliplr(x) + x.flipud(),
           lambda make: [Sample((make(3, 3),), "2-d"),
                         Sample((make(2, 2, 3, noncontig=True),), "3-d")], dtypes=ALL,
           errors=lambda make: [Sample((make(3),), "1-d")]),
    OpInfo("roll", lambda lib, x, s, d: lib.roll(x, s, d), roll_samples, dtypes=ALL,
           errors=roll_errors),
    OpInfo("tril", lambda lib, x, k: lib.tril(x, k), tri_samples, dtypes=ALL,
           errors=tri_errors),
    OpInfo("triu", lambda lib, x, k: x.triu(k), tri_samples, dtypes=ALL, errors=tri_errors),
    OpInfo("diagonal", lambda lib, x, o, d1, d2: lib.diagonal(x, o, d1, d2), diagonal_samples,
           dtypes=ALL, errors=diagonal_errors),
    OpInfo("diag_embed", lambda lib, x, o, d1, d2: lib.diag_embed(x, o, d1, d2),
           diag_embed_samples, dtypes=ALL),
    OpInfo("diag", lambda lib, x, k: lib.diag(x, k), diag_samples, dtypes=ALL,
           errors=diag_errors, same_name=False),
    OpInfo("cat", lambda lib, ts, d: lib.cat(ts, d), cat_samples, dtypes=ALL,
           errors=cat_errors),
    OpInfo("concat", lambda lib, ts, d: lib.concat(ts, dim=d) * lib.concatenate(ts, d),
           lambda make: cat_samples(make)[:2], dtypes=FLOATS),
    OpInfo("stack", lambda lib, ts, d: lib.stack(ts, d), stack_samples, dtypes=ALL,
           errors=stack_errors),
    OpInfo("hstack", lambda lib, ts: lib.hstack(ts), hvd_samples, dtypes=ALL),
    OpInfo("vstack", lambda lib, ts: lib.vstack(ts),
           lambda make: [s for s in hvd_samples(make) if s.desc != "1-d"], dtypes=ALL),
    OpInfo("dstack", lambda lib, ts: lib.dstack(ts),
           lambda make: [s for s in hvd_samples(make) if s.desc != "1-d"], dtypes=ALL),
    OpInfo("split", lambda lib, x, s, d: x.split(s, d)[-1], split_samples, dtypes=ALL),
    OpInfo("split_all", lambda lib, x, s, d: sum((p * (i + 1)).sum()
                                                 for i, p in enumerate(lib.split(x, s, d))),
           split_samples, same_name=False),
    OpInfo("split_sizes", lambda lib, x, s, d: x.split(s, d)[0], split_sizes_samples,
           dtypes=ALL, errors=split_sizes_errors),
    OpInfo("chunk", lambda lib, x, c, d: lib.chunk(x, c, d)[0] * 2, chunk_samples, dtypes=ALL,
           errors=chunk_errors, same_name=False),
    OpInfo("unbind", lambda lib, x, d: lib.unbind(x, d)[1], unbind_samples, dtypes=ALL),
    OpInfo("unbind_all", lambda lib, x, d: lib.stack([p * (i + 1) for i, p in
                                                      enumerate(x.unbind(d))]),
           unbind_samples),
    OpInfo("meshgrid", lambda lib, x, y, ix: lib.meshgrid(x, y, indexing=ix)[0] * 2
           + lib.meshgrid([x, y], indexing=ix)[1], meshgrid_samples, dtypes=ALL),
    OpInfo("narrow", lambda lib, x, d, s, n: lib.narrow(x, d, s, n), narrow_samples,
           dtypes=ALL, errors=narrow_errors),
    OpInfo("select", lambda lib, x, d, i: lib.select(x, d, i), select_samples, dtypes=ALL,
           errors=select_errors),
    OpInfo("gather", lambda lib, x, d, i: lib.gather(x, d, i), gather_samples, dtypes=ALL,
           errors=gather_errors),
    OpInfo("take_along_dim", lambda lib, x, i, d: lib.take_along_dim(x, i, d),
           take_along_dim_samples, dtypes=ALL, errors=take_along_dim_errors),
    OpInfo("scatter", lambda lib, x, d, i, s: lib.scatter(x, d, i, s), scatter_samples,
           dtypes=ALL, errors=scatter_errors),
    OpInfo("scatter_value", lambda lib, x, d, i, v: x.scatter(d, i, v), scatter_value_samples,
           dtypes=ALL),
    OpInfo("scatter_add", lambda lib, x, d, i, s: lib.scatter_add(x, d, i, s),
           scatter_add_samples, dtypes=ALL),
    OpInfo("index_select", lambda lib, x, d, i: lib.index_select(x, d, i),
           index_select_samples, dtypes=ALL, errors=index_select_errors),
    OpInfo("index_add", lambda lib, x, d, i, s: lib.index_add(x, d, i, s, alpha=2),
           index_add_samples, dtypes=ALL, errors=index_add_errors),
    OpInfo("index_copy", lambda lib, x, d, i, s: lib.index_copy(x, d, i, s),
           index_copy_samples, dtypes=ALL),
    OpInfo("index_fill", lambda lib, x, d, i, v: x.index_fill(d, i, v), index_fill_samples,
           dtypes=ALL),
    OpInfo("masked_fill", lambda lib, x, m, v: x.masked_fill(m, v), masked_fill_samples,
           dtypes=ALL, errors=masked_fill_errors),
    OpInfo("masked_select", lambda lib, x, m: lib.masked_select(x, m), masked_select_samples,
           dtypes=ALL),
    OpInfo("masked_scatter", lambda lib, x, m, s: x.masked_scatter(m, s),
           masked_scatter_samples, dtypes=ALL, errors=masked_scatter_errors),
    OpInfo("take", lambda lib, x, i: lib.take(x, i), take_samples, dtypes=ALL,
           errors=take_errors),
    OpInfo("getitem_torch_rules", lambda lib, x, key: x[key], getitem_samples, dtypes=ALL,
           errors=getitem_errors, same_name=False),
    OpInfo("setitem_torch_rules", setitem, setitem_samples, same_name=False),
    OpInfo("pad", lambda lib, x, p, *a: _pad(lib, x, p, *a), pad_samples, dtypes=ALL,
           errors=pad_errors),
] + [
    OpInfo(f"pad_{mode}", lambda lib, x, p, m: _pad(lib, x, p, m), pad_mode_samples(mode),
           errors=pad_mode_errors(mode), same_name=False)
    for mode in ("reflect", "replicate", "circular")
]
