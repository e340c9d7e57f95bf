"""numtorch.utils.data: datasets, samplers and the DataLoader."""
from __future__ import annotations

__all__: list[str] = []
