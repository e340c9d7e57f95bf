"""numtorch.nn: neural-network building blocks."""
from __future__ import annotations

from . import functional
from .parameter import Parameter

# ---- modules (issue 5): each part adds its names here ----
# module:
# layers:
# losses:
# ---- end of modules ----

__all__ = ["functional", "Parameter"]
