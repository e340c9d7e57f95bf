"""Reductions, scans and sorting: Tensor methods and numtorch.X forms."""
from __future__ import annotations

__all__: list[str] = []


class ReductionMethods:
    """Tensor methods for this category; one line each, calling the op Functions."""

    __slots__ = ()
