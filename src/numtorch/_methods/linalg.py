"""Linear algebra: Tensor methods and numtorch.X forms."""
from __future__ import annotations

__all__: list[str] = []


class LinalgMethods:
    """Tensor methods for this category; one line each, calling the op Functions."""

    __slots__ = ()
