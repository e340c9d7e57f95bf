"""numtorch.nn.functional: the functional forms of activations and other layer ops."""
from __future__ import annotations

__all__: list[str] = []
