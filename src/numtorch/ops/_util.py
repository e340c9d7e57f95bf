"""Helpers shared by the ops: the engine's one ``sum_to``, and dim normalisation."""
from __future__ import annotations

__all__ = ["sum_to", "wrap_dim", "dims_arg", "reduced_dims"]


def wrap_dim(dim: int, ndim: int, op: str = "") -> int:
    """A possibly negative ``dim`` as an index in ``range(ndim)`` (0-d tensors accept 0, -1)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim


def dims_arg(dim, ndim: int, op: str) -> tuple | None:
    """``dim`` given as None, an int, or a sequence of ints, as a sorted tuple (None: all)."""
    if dim is None:
        return None
    if isinstance(dim, int):
        return (wrap_dim(dim, ndim, op),) if ndim else ()
    dims = tuple(wrap_dim(d, ndim, op) for d in dim) if ndim else ()
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def reduced_dims(shape: tuple, target: tuple) -> tuple[tuple, tuple] | None:
    """The leading dims and the size-1 dims that reduce ``shape`` to the broadcastable
    ``target``; None when ``target`` does not broadcast to ``shape``."""
    lead = len(shape) - len(target)
    if lead < 0:
        return None
    ones = []
    for i, t in enumerate(target):
        s = shape[lead + i]
        if t == s:
            continue
        if t != 1:
            return None
        ones.append(lead + i)
    return tuple(range(lead)), tuple(ones)


def sum_to(x, shape: tuple):
    """Sum tensor ``x`` down to ``shape`` (the inverse of broadcasting); ValueError if it can't.

    The engine calls this once for every gradient returned in a broadcast shape, so no op
    needs its own un-broadcasting.
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    if reduced_dims(x._data.shape, shape) is None:
        raise ValueError(f"shape {tuple(x.shape)} cannot be summed to {shape}")
    from .reduction import SumToSize
    return SumToSize.apply(x, shape)
