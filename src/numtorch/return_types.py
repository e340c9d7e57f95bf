"""Named-tuple results of the ops that return values and indices (``x.max(dim)``, ``x.sort()``).

Each is a tuple subclass: it unpacks as ``values, indices = x.max(1)`` and also has ``.values``
and ``.indices``, and prints as ``numtorch.return_types.max(values=..., indices=...)``.
"""
from __future__ import annotations

__all__ = ["max", "min", "median", "nanmedian", "mode", "kthvalue", "sort", "topk", "cummax",
           "cummin", "aminmax"]


class _ValuesIndices(tuple):
    """(values, indices) with names; ``n_fields`` as on PyTorch's return types."""

    __slots__ = ()
    n_fields = 2
    n_sequence_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, values, indices=None):
        if indices is None:  # built from one sequence, as tuple(...) would be
            values, indices = values
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return (f"numtorch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\n"
                f"indices={self[1]!r})")

    def __reduce__(self):
        return (type(self), (self[0], self[1]))


def _named(name: str) -> type:
    return type(name, (_ValuesIndices,), {"__slots__": (), "__module__": __name__,
                                          "__qualname__": name})


max = _named("max")
min = _named("min")
median = _named("median")
nanmedian = _named("nanmedian")
mode = _named("mode")
kthvalue = _named("kthvalue")
sort = _named("sort")
topk = _named("topk")
cummax = _named("cummax")
cummin = _named("cummin")


class aminmax(tuple):
    """(min, max) with names, as returned by ``aminmax``."""

    __slots__ = ()

    def __new__(cls, min, max=None):
        if max is None:
            min, max = min
        return super().__new__(cls, (min, max))

    @property
    def min(self):
        return self[0]

    @property
    def max(self):
        return self[1]

    def __repr__(self) -> str:
        return f"numtorch.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"
