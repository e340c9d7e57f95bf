"""numtorch.nn: neural-network building blocks (so far the functional layer)."""
from __future__ import annotations

from . import functional

__all__ = ["functional"]
