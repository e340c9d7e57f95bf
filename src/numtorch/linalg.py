"""numtorch.linalg: norms, inverses, determinants, decompositions and solvers."""
from __future__ import annotations

__all__: list[str] = []
