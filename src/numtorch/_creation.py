"""Factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty/eye/arange/linspace, the
``*_like`` forms, and the random ones with numtorch's own generator."""
from __future__ import annotations

import math

from . import _backend as B
from ._promotion import get_default_dtype
from ._tensor import Tensor, _shape_arg

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye",
           "arange", "linspace", "zeros_like", "ones_like", "full_like", "empty_like",
           "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "manual_seed",
           "seed", "initial_seed", "Generator", "default_generator", "get_rng_state",
           "set_rng_state"]

np = B.np


def _finish(array, dtype, device, requires_grad) -> Tensor:
    B.get_device(device)
    if dtype is not None and array.dtype != dtype.np:
        array = array.astype(dtype.np)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer(data):
    """The array for Python data, with PyTorch's dtype rules (floats -> default dtype)."""
    if isinstance(data, Tensor):
        return data._data.copy()
    if hasattr(data, "__array__") and not isinstance(data, (list, tuple)):
        array = np.array(data)
        B.dtype_of(array)  # a clear TypeError for unsupported NumPy types
        return array
    if isinstance(data, (list, tuple)):
        data = [d.detach()._data if isinstance(d, Tensor) else d for d in data] \
            if any(isinstance(d, Tensor) for d in data) else data
    array = np.array(data)
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(get_default_dtype().np)
    if kind in "iu":
        return array.astype(np.int64)
    if kind == "b":
        return array
    if kind == "O" or kind == "U" or kind == "S":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}: tensor() takes "
                        f"numbers, nested lists of numbers of equal length, or arrays")
    return array


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Example: ``numtorch.tensor([[1., 2.], [3., 4.]], requires_grad=True)``
    """
    return _finish(_infer(data), dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no conversion is
    needed."""
    if isinstance(data, Tensor):
        return data if dtype is None or dtype is data._dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        t = from_numpy(data)
        return t if dtype is None or dtype is t._dtype else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array) -> Tensor:
    """A tensor sharing ``array``'s memory (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return Tensor._make(array)


def _factory(size, fill, dtype, device, requires_grad) -> Tensor:
    dtype = dtype or get_default_dtype()
    return _finish(np.full(_shape_arg(size), fill, dtype.np), None, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _factory(size, 0, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _factory(size, 1, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          memory_format=None, pin_memory=False) -> Tensor:
    return _factory(size, 0, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    if dtype is None:
        dtype = (B.bool_ if isinstance(fill_value, bool) else B.int64
                 if isinstance(fill_value, int) else get_default_dtype())
    return _finish(np.full(_shape_arg((size,)), fill_value, dtype.np), None, device,
                   requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, n if m is None else m, dtype=(dtype or get_default_dtype()).np),
                   None, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start (default 0) up to but not including end, every step."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        dtype = B.int64 if all(isinstance(v, int) for v in values) else get_default_dtype()
    start, end, step = values
    n = max(0, math.ceil((end - start) / step))
    array = (start + np.arange(n, dtype=np.float64) * step) if dtype.is_floating_point \
        else np.arange(start, end, step)
    return _finish(array.astype(dtype.np), None, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    array = np.linspace(start, end, steps, dtype=np.float64)
    return _finish(array.astype((dtype or get_default_dtype()).np), None, device,
                   requires_grad)


def _like(t, fill, dtype, requires_grad):
    return _finish(np.full(t._data.shape, fill, (dtype or t._dtype).np), None, None,
                   requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 0, dtype, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 1, dtype, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 0, dtype, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    return _like(input, fill_value, dtype, requires_grad)


# ---- random numbers -------------------------------------------------------------------------
_DEFAULT_SEED = 67280421310721


class Generator:
    """numtorch's random-number generator (NumPy's PCG64 underneath)."""

    def __init__(self, device="cpu"):
        self.device = B.device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & 0xFFFFFFFFFFFFFFFF))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> None:
        self._rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed numtorch's default generator, making random tensors reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def _rng(generator):
    return (generator or default_generator)._rng


def _float_dtype(dtype, op):
    dtype = dtype or get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating-point dtype, got {dtype}")
    return dtype


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Samples of the standard normal distribution, float32 unless dtype says otherwise."""
    dtype = _float_dtype(dtype, "randn")
    draw_as = np.float64 if dtype is B.float64 else np.float32
    array = _rng(generator).standard_normal(_shape_arg(size), dtype=draw_as)
    return _finish(array.astype(dtype.np, copy=False), None, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Samples of the uniform distribution on [0, 1)."""
    dtype = _float_dtype(dtype, "rand")
    draw_as = np.float64 if dtype is B.float64 else np.float32
    array = _rng(generator).random(_shape_arg(size), dtype=draw_as)
    return _finish(array.astype(dtype.np, copy=False), None, device, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    """Random integers in [low, high); ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    array = _rng(generator).integers(low, high, _shape_arg((size,)), dtype=np.int64)
    return _finish(array, dtype or B.int64, device, requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)
