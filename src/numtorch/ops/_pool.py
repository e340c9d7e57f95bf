"""Reused workspace arrays for the ops' largest temporaries (convolution columns, normalization's
centred input): a fresh array of megabytes costs more in page faults than the pass that fills it.

An op takes a buffer with ``take`` and hands it back with ``give`` once nothing refers to it;
``give`` checks that itself (by reference count), so a buffer that escaped into a result is simply
not pooled. NumPy only: CuPy keeps its own memory pool.
"""
from __future__ import annotations

import sys

from .. import _backend as B

__all__ = ["take", "give"]

_POOL: dict = {}  # (shape, dtype) -> free arrays
_LIMIT = 128 << 20  # bytes kept in all
_MIN = 1 << 18  # smaller arrays are cheap to allocate
_PER_KEY = 2


def take(xp, shape, dtype):
    """An uninitialised array of ``shape`` and ``dtype``: a pooled one when one is free."""
    free = _POOL.get((shape, dtype)) if xp is B.np else None
    if free:
        try:
            return free.pop()
        except IndexError:  # another thread took it
            pass
    return xp.empty(shape, dtype)


def give(a) -> None:
    """Put ``a`` back in the pool if it is a NumPy array that no one else holds (nor a view
    of it); the caller must not use it afterwards."""
    # NOTE: 3 references are the caller's name, this parameter and getrefcount's argument
    if (type(a) is not B.np.ndarray or a.base is not None or a.nbytes < _MIN
            or sys.getrefcount(a) > 3):
        return
    if sum(b.nbytes for free in _POOL.values() for b in free) + a.nbytes > _LIMIT:
        _POOL.clear()  # the shapes changed: start over rather than grow
    free = _POOL.setdefault((a.shape, a.dtype), [])
    if len(free) < _PER_KEY:
        free.append(a)
