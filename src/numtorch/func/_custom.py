"""Custom autograd Functions under numtorch.func transforms: PyTorch's rules and errors, and
running a Function's own ``vmap`` staticmethod."""
from __future__ import annotations

import contextlib
import functools
from typing import NamedTuple

from .. import _backend as B
from .. import _tensor
from ..autograd import function as _function
from ._batched import BatchedArray

np = B.np

__all__ = ["active", "VmapInfo"]

_depth = [0]
_randomness = {}  # vmap level -> its randomness setting


class VmapInfo(NamedTuple):
    """What a Function's ``vmap(info, in_dims, *args)`` staticmethod is told."""

    batch_size: int
    randomness: str


@contextlib.contextmanager
def active(level: int | None = None, randomness: str = "error"):
    """Install the custom-Function rule while a transform runs (``level``: a vmap's)."""
    if _depth[0] == 0:
        _function.transform_rule = _rule
    _depth[0] += 1
    if level is not None:
        _randomness[level] = randomness
    try:
        yield
    finally:
        _depth[0] -= 1
        if level is not None:
            _randomness.pop(level, None)
        if _depth[0] == 0:
            _function.transform_rule = None


def _defines_vmap(cls) -> bool:
    return any("vmap" in k.__dict__ for k in cls.__mro__ if k is not _function.Function)


def _rule(cls, setup_style, args, kwargs):
    if cls.__module__.startswith("numtorch."):
        return None  # numtorch's own Functions follow the transforms by construction
    if not setup_style:
        raise RuntimeError(
            f"{cls.__name__}: to use a custom autograd.Function with numtorch.func transforms "
            f"(vmap, grad, jvp, jacrev, ...), it must define the setup_context staticmethod: "
            f"forward(*args) without ctx, and setup_context(ctx, inputs, output) to save what "
            f"backward needs.")
    level = 0
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, _tensor.Tensor) and isinstance(a._data, BatchedArray):
            level = max(level, a._data.level)
    if not level:
        return None
    generate = getattr(cls, "generate_vmap_rule", False)
    if _defines_vmap(cls):
        if generate:
            raise RuntimeError(
                f"{cls.__name__} sets generate_vmap_rule=True and also defines a vmap "
                f"staticmethod; use one of them.")
        return functools.partial(_run_vmap_rule, cls, level)
    if generate:
        return None  # forward's own tensor operations batch themselves
    raise RuntimeError(
        f"{cls.__name__}: to use a custom autograd.Function with vmap, either define the vmap "
        f"staticmethod, vmap(info, in_dims, *args) -> (output, out_dims), or set "
        f"generate_vmap_rule = True on the class.")


def _run_vmap_rule(cls, level, *args, **kwargs):
    Tensor = _tensor.Tensor
    in_dims, plain, size = [], [], None
    for a in args:
        if isinstance(a, Tensor) and isinstance(a._data, BatchedArray) \
                and a._data.level == level:
            in_dims.append(0)
            plain.append(Tensor._make(a._data.data))
            size = a._data.batch_size
        else:
            in_dims.append(None)
            plain.append(a)
    info = VmapInfo(size, _randomness.get(level, "error"))
    result = cls.vmap(info, tuple(in_dims), *plain, **kwargs)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(f"{cls.__name__}.vmap must return (output, out_dims), got "
                           f"{type(result).__name__}")
    out, out_dims = result
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    dims = (out_dims,) * len(outs) if isinstance(out_dims, int) or out_dims is None \
        else tuple(out_dims)
    if len(dims) != len(outs):
        raise RuntimeError(f"{cls.__name__}.vmap returned {len(outs)} outputs but "
                           f"{len(dims)} out_dims")
    wrapped = []
    for o, d in zip(outs, dims):
        if d is None or not isinstance(o, Tensor):
            wrapped.append(o)
        else:
            wrapped.append(Tensor._make(BatchedArray(np.moveaxis(o._data, d, 0), level)))
    return wrapped[0] if single else tuple(wrapped)
