"""numtorch.cuda: GPU queries. numtorch has no GPU backend yet, so none is ever available."""
from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize"]


def is_available() -> bool:
    """False: numtorch's CuPy backend is not built yet, so tensors live on the CPU."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored when no GPU is available, as in PyTorch."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored when no GPU is available, as in PyTorch."""


def synchronize(device=None) -> None:
    raise RuntimeError("numtorch.cuda.synchronize: no GPU backend is available; CUDA needs "
                       "CuPy and an NVIDIA GPU, and numtorch's CuPy backend is not built yet")
