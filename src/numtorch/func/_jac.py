"""Jacobian rows by reverse mode: one backward pass per output element, or one batched pass."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from ..autograd import engine

__all__ = ["jacobian_rows", "vectorized_jacobian"]


def _zeros(shape, like):
    return _tensor.Tensor._make(B.zeros(tuple(shape), like._dtype))


def jacobian_rows(out_leaves, inputs, create_graph, chunk_size=None) -> list:
    """For each output: a list with d output / d input (shape out.shape + in.shape) per input:
    one batched backward pass (or one per ``chunk_size`` rows); ``chunk_size=1`` loops over
    the output elements with one ordinary backward pass each."""
    from .._methods.shape import stack  # noqa: PLC0415
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: chunk_size must be a positive int or None")
    if chunk_size != 1:
        from ._vmap import batched_rows  # noqa: PLC0415
        return batched_rows(out_leaves, inputs, create_graph, chunk_size)
    result = []
    for out in out_leaves:
        rows = [[] for _ in inputs]
        if out.requires_grad:
            flat = out.reshape(-1)
            for k in range(flat.numel()):
                grads = engine.grad([flat[k]], inputs, retain_graph=True,
                                    create_graph=create_graph, allow_unused=True)
                for j, g in enumerate(grads):
                    rows[j].append(g if g is not None else _zeros(inputs[j].shape, inputs[j]))
        per_input = []
        for j, inp in enumerate(inputs):
            shape = tuple(out.shape) + tuple(inp.shape)
            per_input.append(stack(rows[j]).reshape(shape) if rows[j] else _zeros(shape, inp))
        result.append(per_input)
    return result


def vectorized_jacobian(outputs, inputs, create_graph, strategy) -> tuple:
    """autograd.functional.jacobian(vectorize=True): a tuple (outputs) of tuples (inputs)."""
    if strategy == "forward-mode":
        from . import _forward  # noqa: PLC0415
        cols = _forward.columns_from_outputs(outputs, inputs, create_graph)
    else:
        from ._vmap import batched_rows  # noqa: PLC0415
        cols = batched_rows(outputs, inputs, create_graph)
    return tuple(tuple(c) for c in cols)
