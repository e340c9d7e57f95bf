"""vmap: run a function of one example on a whole batch, with one batched call per op.

Inputs enter as tensors whose data is a ``BatchedArray`` (see ``_batched``) through
``_AddBatchDim``, a differentiable Function, and leave through ``_RemoveBatchDim``; so
gradients flow into and out of vmap, and transforms nest (``vmap(grad(f))``, ``grad(vmap(f))``,
``vmap(vmap(f))``).
"""
from __future__ import annotations

import functools
import itertools

from .. import _backend as B
from .. import _creation, _tensor
from ..autograd import engine
from ..autograd.function import Function
from . import _custom
from ._batched import BatchedArray
from ._pytree import tree_flatten, tree_unflatten

np = B.np

__all__ = ["vmap", "batched_rows", "is_batched"]

# levels only grow, so a batched array's level never names two different vmaps
_levels = itertools.count(1)
ACTIVE = set()  # the levels of the vmaps (and batched backward passes) running now


def is_batched(t) -> bool:
    """Whether ``t`` is a tensor batched by a running vmap."""
    return isinstance(t, _tensor.Tensor) and isinstance(t._data, BatchedArray)


def _add_level(arr, level: int, dim: int):
    """``arr`` with its dimension ``dim`` made the batch of ``level``, nested below the batches
    of higher (inner) levels that ``arr`` already has."""
    if isinstance(arr, BatchedArray) and arr.level > level:
        return BatchedArray(_add_level(arr.data, level, dim + 1), arr.level)
    return BatchedArray(np.moveaxis(arr, dim, 0), level)


def _has_level(arr, level: int) -> bool:
    while isinstance(arr, BatchedArray):
        if arr.level == level:
            return True
        arr = arr.data
    return False


def _remove_level(arr, level: int, dim: int):
    """The batch of ``level`` in ``arr`` made its dimension ``dim``."""
    if arr.level == level:
        return np.moveaxis(arr.data, 0, dim)
    return BatchedArray(_remove_level(arr.data, level, dim + 1), arr.level)


class _AddBatchDim(Function):
    """Enter vmap: dimension ``dim`` of ``x`` becomes the batch (hidden from the example)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(ctx, x, level, dim):
        ctx.level, ctx.dim, ctx.size = level, dim, x.shape[dim]
        return _tensor.Tensor._make(_add_level(x._data, level, dim))

    @staticmethod
    def backward(ctx, grad):
        return _RemoveBatchDim.apply(grad, ctx.level, ctx.dim, ctx.size), None, None

    @staticmethod
    def jvp(ctx, tangent, *_):  # linear: the tangent is batched the same way
        return _AddBatchDim.apply(tangent, ctx.level, ctx.dim)


class _RemoveBatchDim(Function):
    """Leave vmap: the batch becomes dimension ``dim`` of a plain tensor (an output that is the
    same for every example is repeated along it)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(ctx, y, level, dim, size):
        batched = _has_level(y._data, level)
        ctx.level, ctx.dim, ctx.batched, ctx.size = level, dim, batched, size
        if batched:
            return _tensor.Tensor._make(_remove_level(y._data, level, dim))
        return _tensor.Tensor._make(np.repeat(np.expand_dims(y._data, dim), size, axis=dim))

    @staticmethod
    def backward(ctx, grad):
        if ctx.batched:
            return _AddBatchDim.apply(grad, ctx.level, ctx.dim), None, None, None
        return grad.sum(ctx.dim), None, None, None

    @staticmethod
    def jvp(ctx, tangent, *_):
        return _RemoveBatchDim.apply(tangent, ctx.level, ctx.dim, ctx.size)


class _SumBatch(Function):
    """A gradient's sum over the batch of ``level`` (a vmap that ended before backward ran, for
    a tensor from outside it); its backward hands every example the same gradient."""

    generate_vmap_rule = True

    @staticmethod
    def forward(ctx, g, level, size):
        ctx.level, ctx.size = level, size
        return _tensor.Tensor._make(np.sum(_remove_level(g._data, level, 0), axis=0))

    @staticmethod
    def backward(ctx, grad):
        expanded = grad.unsqueeze(0).expand(ctx.size, *grad.shape)
        return _AddBatchDim.apply(expanded, ctx.level, 0), None, None

    @staticmethod
    def jvp(ctx, tangent, *_):
        if not _has_level(tangent._data, ctx.level):  # the same for every example
            return tangent * ctx.size
        return _SumBatch.apply(tangent, ctx.level, ctx.size)


def _levels_of(arr) -> dict:
    found = {}
    while isinstance(arr, BatchedArray):
        found[arr.level] = arr.batch_size
        arr = arr.data
    return found


def reduce_batched_grad(g, t):
    """``g`` summed over the batch levels that ``t`` lacks and no running transform keeps."""
    own = _levels_of(t._data)
    for level, size in _levels_of(g._data).items():
        if level not in own and level not in ACTIVE:
            g = _SumBatch.apply(g, level, size)
    return g


engine.batched_grad_hook = reduce_batched_grad


# ---- randomness ----------------------------------------------------------------------------------
class _RandomInVmap:
    """Stands in for the default generator's NumPy Generator while a vmap runs, applying its
    ``randomness``: 'error' refuses random draws, 'same' draws one value for all examples,
    'different' draws one per example (a batched array)."""

    def __init__(self, rng, randomness, level, size):
        self._rng, self._mode, self._level, self._size = rng, randomness, level, size

    def _check(self, name):
        if self._mode == "error":
            raise RuntimeError(
                "vmap: a random operation was called inside vmap with randomness='error' (the "
                "default). Pass randomness='different' (independent values per example) or "
                "'same' (one value for the whole batch) to vmap, or draw the random values "
                "outside the vmapped function.")
        return self._mode == "different"

    def __getattr__(self, name):
        attr = getattr(self._rng, name)
        if not callable(attr) or not self._check(name):
            return attr
        raise RuntimeError(f"vmap: randomness='different' has no batching rule for "
                           f"Generator.{name}; draw outside vmap or use randomness='same'")

    def _draw(self, draw, size):
        """``draw(size)`` once (same) or with a leading batch dimension (different)."""
        if not self._check("draw"):
            return draw(size)
        size = () if size is None else (size,) if isinstance(size, int) else tuple(size)
        return BatchedArray(draw((self._size,) + size), self._level)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return self._draw(lambda s: self._rng.standard_normal(s, dtype=dtype), size)

    def random(self, size=None, dtype=np.float64, out=None):
        return self._draw(lambda s: self._rng.random(s, dtype=dtype), size)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return self._draw(lambda s: self._rng.integers(low, high, s, dtype, endpoint), size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._draw(lambda s: self._rng.normal(loc, scale, s), size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._draw(lambda s: self._rng.uniform(low, high, s), size)

    def exponential(self, scale=1.0, size=None):
        return self._draw(lambda s: self._rng.exponential(scale, s), size)


# ---- in_dims and out_dims -----------------------------------------------------------------------
def _name(func) -> str:
    return getattr(func, "__name__", type(func).__name__)


def _broadcast_dims(dims, tree, what: str, func):
    """One dim per leaf of ``tree``: ``dims`` is an int/None for all, or a prefix pytree."""
    leaves, spec = tree_flatten(tree)
    if dims is None or isinstance(dims, int):
        return [dims] * len(leaves)
    if isinstance(dims, (tuple, list)) and isinstance(tree, (tuple, list)) \
            and len(dims) == len(tree):
        out = []
        for d, sub in zip(dims, tree):
            out.extend(_broadcast_dims(d, sub, what, func))
        return out
    if isinstance(dims, dict) and isinstance(tree, dict) and list(dims) == list(tree):
        out = []
        for k in tree:
            out.extend(_broadcast_dims(dims[k], tree[k], what, func))
        return out
    raise ValueError(f"vmap({_name(func)}, {what}={dims!r}, ...): {what} does not match the "
                     f"structure of the {'inputs' if what == 'in_dims' else 'outputs'} "
                     f"{spec}; give an int or None, or a tuple/dict with one entry per element")


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Vectorize ``func`` over dimension ``in_dims`` of its inputs.

    Args:
        in_dims: the batch dimension of each input (an int, None for an input that is the same
            for every example, or a tuple/dict of them matching the inputs).
        out_dims: where the batch dimension goes in each output.
        randomness: 'error', 'different' or 'same' (see ``_RandomInVmap``).
        chunk_size: run the batch in chunks of this many examples (each chunk vectorized).

    Example::

        per_example_grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"vmap: randomness must be 'error', 'different' or 'same', got "
                           f"{randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size must be a positive int or None, got {chunk_size!r}")
    if not (in_dims is None or isinstance(in_dims, (int, tuple, list, dict))):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims!r}, ...): in_dims must be an "
                         f"int, None, or a tuple matching the inputs")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        if not args:
            raise ValueError(f"vmap({_name(func)})(): got no inputs; vmap needs at least one "
                             f"positional input with a batch dimension")
        if isinstance(in_dims, (tuple, list)) and len(in_dims) != len(args):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims!r}, ...)(<inputs>): "
                             f"in_dims has {len(in_dims)} entries but there are {len(args)} "
                             f"inputs")
        flat, spec = tree_flatten(args)
        dims = _broadcast_dims(tuple(in_dims) if isinstance(in_dims, list) else in_dims, args,
                               "in_dims", func)
        size = _batch_size(flat, dims, func)
        if chunk_size is None or chunk_size >= size:
            return _run(func, flat, spec, dims, size, kwargs, out_dims, randomness)
        chunks = []
        for start in range(0, size, chunk_size):
            part = [x if d is None else x.narrow(d, start, min(chunk_size, size - start))
                    for x, d in zip(flat, dims)]
            chunks.append(_run(func, part, spec, dims, min(chunk_size, size - start), kwargs,
                               out_dims, randomness))
        return _join_chunks(chunks, out_dims, func)
    return wrapped


def _batch_size(flat, dims, func) -> int:
    sizes = []
    for x, d in zip(flat, dims):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"vmap({_name(func)}, ...): in_dims entries must be int or None, "
                             f"got {d!r}")
        if not isinstance(x, _tensor.Tensor):
            raise ValueError(f"vmap({_name(func)}, in_dims=..., ...)(<inputs>): got in_dim={d} "
                             f"for an input of type {type(x)}; only Tensors can be mapped over "
                             f"(use None as its in_dim)")
        nd = x.dim()
        if not -nd <= d < nd:
            raise ValueError(f"vmap({_name(func)}, ...)(<inputs>): got in_dim={d} for an input "
                             f"with {nd} dimensions; in_dim must satisfy {-nd} <= in_dim < {nd}")
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError(f"vmap({_name(func)}, in_dims=None, ...): at least one input must be "
                         f"mapped over (have an in_dim that is not None)")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: expected all mapped inputs to have the same size in the "
                         f"mapped dimension, got sizes {sizes}")
    return sizes[0]


def _run(func, flat, spec, dims, size, kwargs, out_dims, randomness):
    level = next(_levels)
    gen = _creation.default_generator
    rng = gen._rng
    gen._rng = _RandomInVmap(rng, randomness, level, size)
    ACTIVE.add(level)
    try:
        with _custom.active(level, randomness):
            batched = [x if d is None else _AddBatchDim.apply(x, level, d % x.dim())
                       for x, d in zip(flat, dims)]
            out = func(*tree_unflatten(batched, spec), **kwargs)
    finally:
        ACTIVE.discard(level)
        gen._rng = rng
    return _unwrap(out, level, size, out_dims, func)


def _unwrap(out, level, size, out_dims, func):
    leaves, spec = tree_flatten(out)
    dims = _broadcast_dims(out_dims, out, "out_dims", func)
    res = []
    for i, (t, d) in enumerate(zip(leaves, dims)):
        if not isinstance(t, _tensor.Tensor):
            if d is None:
                res.append(t)
                continue
            raise ValueError(f"vmap({_name(func)}, ...): the function must return only Tensors, "
                             f"got {type(t)} for output {i}; set its out_dims to None to "
                             f"return it as it is")
        if d is None:
            if _has_level(t._data, level):
                raise ValueError(f"vmap({_name(func)}, ...): out_dims=None for output {i}, but "
                                 f"that output is batched (differs between examples)")
            res.append(t)
            continue
        nd = t.dim() + 1
        if not -nd <= d < nd:
            raise IndexError(f"vmap({_name(func)}, ...): out_dim={d} for output {i}, which has "
                             f"{nd - 1} dimensions per example; out_dim must satisfy {-nd} <= "
                             f"out_dim < {nd}")
        res.append(_RemoveBatchDim.apply(t, level, d % nd, size))
    return tree_unflatten(res, spec)


def _join_chunks(chunks, out_dims, func):
    from .._methods.shape import cat  # noqa: PLC0415
    first = chunks[0]
    leaves0, spec = tree_flatten(first)
    dims = _broadcast_dims(out_dims, first, "out_dims", func)
    columns = [tree_flatten(c)[0] for c in chunks]
    joined = []
    for i, d in enumerate(dims):
        if d is None:
            joined.append(leaves0[i])
        else:
            joined.append(cat([col[i] for col in columns], dim=d))
    return tree_unflatten(joined, spec)


# ---- vectorized Jacobians -----------------------------------------------------------------------
def batched_rows(outputs, inputs, create_graph, chunk_size=None) -> list:
    """For each output, d output / d input per input (shape out.shape + in.shape), all rows in
    one backward pass (or one per ``chunk_size`` rows): the cotangents are a batch of basis
    vectors, so the engine and every backward formula run batched."""
    from .._methods.shape import cat  # noqa: PLC0415
    Tensor = _tensor.Tensor
    sizes = [o.numel() for o in outputs]
    n = sum(sizes)
    pairs = [(i, o) for i, o in enumerate(outputs) if o.requires_grad]
    if n == 0 or not pairs:
        return [[Tensor._make(B.zeros(tuple(o.shape) + tuple(i.shape), i._dtype))
                 for i in inputs] for o in outputs]
    step = n if chunk_size is None else chunk_size
    parts = [[] for _ in inputs]  # per input: (rows, *input.shape) pieces
    for start in range(0, n, step):
        stop = min(start + step, n)
        level = next(_levels)
        eye = np.eye(n)[start:stop]
        cotangents, offset = [], 0
        for o, k in zip(outputs, sizes):
            rows = eye[:, offset:offset + k].reshape((stop - start,) + tuple(o.shape))
            cotangents.append(Tensor._make(BatchedArray(rows.astype(o._data.dtype), level)))
            offset += k
        ACTIVE.add(level)
        try:
            grads = engine.grad([o for _, o in pairs], inputs,
                                [cotangents[i] for i, _ in pairs], retain_graph=True,
                                create_graph=create_graph, allow_unused=True)
        finally:
            ACTIVE.discard(level)
        for j, (inp, g) in enumerate(zip(inputs, grads)):
            if g is None:
                g = Tensor._make(B.zeros((stop - start,) + tuple(inp.shape), inp._dtype))
            else:
                g = _RemoveBatchDim.apply(g, level, 0, stop - start)
            parts[j].append(g)
    full = [p[0] if len(p) == 1 else cat(p) for p in parts]
    result, offset = [], 0
    for o, k in zip(outputs, sizes):
        result.append([f[offset:offset + k].reshape(tuple(o.shape) + tuple(inp.shape))
                       for f, inp in zip(full, inputs)])
        offset += k
    return result


def grad_batched(grad, outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                 materialize_grads) -> tuple:
    """autograd.grad(is_grads_batched=True): one batched backward pass for a batch of
    grad_outputs (their first dimension)."""
    Tensor = _tensor.Tensor
    gos = grad_outputs if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
    if not gos or any(not isinstance(g, Tensor) for g in gos):
        raise RuntimeError("grad(is_grads_batched=True): every grad_output must be a Tensor "
                           "whose first dimension is the batch")
    size = gos[0].shape[0]
    level = next(_levels)
    batched = [_AddBatchDim.apply(g, level, 0) for g in gos]
    ACTIVE.add(level)
    try:
        res = grad(outputs, inputs, batched, retain_graph=retain_graph,
                   create_graph=create_graph, allow_unused=allow_unused,
                   materialize_grads=materialize_grads)
    finally:
        ACTIVE.discard(level)
    return tuple(None if r is None else _RemoveBatchDim.apply(r, level, 0, size) for r in res)
