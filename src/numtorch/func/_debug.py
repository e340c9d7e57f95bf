"""functionalize and debug_unwrap: the torch.func helpers that have nothing to rewrite here."""
from __future__ import annotations

import functools
from typing import Any, Callable

from .. import _tensor

__all__ = ["functionalize", "debug_unwrap"]

_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func: Callable[..., Any], *, remove: str = "mutations") -> Callable[..., Any]:
    """``func`` with in-place operations replaced by out-of-place ones, for tracing backends.

    NOTE: numtorch runs eagerly on NumPy and has no graph to rewrite, so the returned function
    runs ``func`` as it is: the same results and the same writes to its inputs, as PyTorch's
    functionalized function gives when called eagerly.
    """
    if remove not in _REMOVE:
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument "
                           f"for remove={remove!r}; valid options are {_REMOVE}")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapped


def debug_unwrap(tensor, *, recurse: bool = True):
    """Inside ``vmap``: the tensor holding the whole batch (batch dimension first), for
    debugging. ``recurse=False`` removes only the innermost vmap's level. Other tensors are
    returned as they are."""
    data = tensor._data
    if not getattr(data, "_duck_array", False):
        return tensor
    data = data.data
    while recurse and getattr(data, "_duck_array", False):
        data = data.data
    return _tensor.Tensor._make(data)
