"""numtorch.cuda: GPU queries, the current GPU, synchronisation and the GPUs' generators.

GPUs are reached through CuPy (``pip install 'numtorch[gpu]'``) and need an NVIDIA GPU with its
driver. Without them ``is_available()`` is False and creating a CUDA tensor raises a RuntimeError
that says what to install.
"""
from __future__ import annotations

from . import _backend as B
from . import _creation

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "manual_seed", "manual_seed_all", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "device", "get_device_name", "memory_allocated", "memory_reserved",
           "empty_cache"]


def is_available() -> bool:
    """Whether CUDA tensors can be made: CuPy is installed and sees at least one GPU."""
    return B.gpu() is not None


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy)."""
    return B.device_count()


def current_device() -> int:
    """The index of the GPU that ``device('cuda')`` means."""
    return B.current_device()


def set_device(device) -> None:
    """Make ``device`` (an index, ``'cuda:N'`` or a device) the current GPU."""
    index = B.get_device(device if not isinstance(device, int) else B.device("cuda", device))
    if index.type != "cuda":
        return  # as in PyTorch, a CPU device is ignored here
    B.gpu().cuda.runtime.setDevice(index.index)


class device:
    """Context manager that makes ``device`` the current GPU inside the block."""

    def __init__(self, device):
        self._device = device
        self._previous = None

    def __enter__(self):
        if self._device is None or (isinstance(self._device, int) and self._device < 0):
            return self
        self._previous = current_device()
        set_device(self._device)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            set_device(self._previous)
        return False


def synchronize(device=None) -> None:
    """Wait until all work queued on ``device`` (the current GPU when None) has finished;
    numtorch's GPU work runs asynchronously, so time GPU code only after this."""
    B.synchronize(device)


def _index(device) -> int:
    if device is None:
        return current_device()
    return B.get_device(device if not isinstance(device, int) else B.device("cuda", device)).index


def manual_seed(seed: int) -> None:
    """Seed the current GPU's generator (recorded for later if no GPU is present, as PyTorch
    does).

    NOTE: numtorch's GPU generators draw with the CPU algorithm on the host and copy the numbers
    to the GPU, so after ``numtorch.manual_seed(s)`` the first ``randn(n, device='cuda')`` gives
    the same numbers as the first ``randn(n)``.
    """
    if is_available():
        _creation.manual_seed_cuda(seed, current_device())
    else:
        _creation.manual_seed_cuda(seed, None)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator."""
    _creation.manual_seed_cuda(seed, None)


def seed() -> int:
    """Seed the current GPU's generator with a random number and return it."""
    return _creation.cuda_generator(current_device()).seed()


def initial_seed() -> int:
    return _creation.cuda_generator(current_device()).initial_seed()


def get_rng_state(device="cuda"):
    return _creation.cuda_generator(_index(device)).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    _creation.cuda_generator(_index(device)).set_state(new_state)


def get_device_name(device=None) -> str:
    """The GPU's name, e.g. 'NVIDIA H200'."""
    name = B.gpu().cuda.runtime.getDeviceProperties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def memory_allocated(device=None) -> int:
    """Bytes of GPU memory held by tensors (CuPy's memory pool, in use)."""
    with B.gpu().cuda.Device(_index(device)):
        return int(B.gpu().get_default_memory_pool().used_bytes())


def memory_reserved(device=None) -> int:
    """Bytes of GPU memory CuPy's pool holds, in use or cached for reuse."""
    with B.gpu().cuda.Device(_index(device)):
        return int(B.gpu().get_default_memory_pool().total_bytes())


def empty_cache() -> None:
    """Give the GPU memory cached by CuPy's pool (not held by tensors) back to the driver."""
    if is_available():
        B.gpu().get_default_memory_pool().free_all_blocks()
