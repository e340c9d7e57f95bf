"""Factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty/eye/arange/linspace, the
``*_like`` forms, and the random ones with numtorch's own generator."""
from __future__ import annotations

import math
import operator

from . import _backend as B
from ._promotion import get_default_dtype, promote_types
from ._tensor import Tensor, _shape_arg

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye",
           "arange", "linspace", "zeros_like", "ones_like", "full_like", "empty_like",
           "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "manual_seed",
           "seed", "initial_seed", "Generator", "default_generator", "get_rng_state",
           "set_rng_state"]

np = B.np


def _finish(array, dtype, device, requires_grad) -> Tensor:
    """Wrap a new array, converted to ``dtype`` and moved to ``device`` (None: left where it
    is; host arrays are built first and copied to a GPU)."""
    if device is not None:
        device = B.get_device(device)
    if dtype is not None and array.dtype != dtype.np:
        array = array.astype(dtype.np)
    if device is not None:
        array = B.to_device(array, device)
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


_PLAIN = (bool, int, float)


def _scan(data, nested: bool):
    """PyTorch's dtype for (nested) data, and the data ready for NumPy.

    The dtype is the promotion of the elements' own dtypes: a Python float is the default
    dtype, an int int64, a bool bool; NumPy scalars, arrays and tensors keep theirs (None for
    an empty sequence). Tensors inside a sequence must hold one element (as in PyTorch) and are
    replaced by their value.
    """
    if isinstance(data, (list, tuple, range)):
        kinds = set(map(type, data))
        if kinds.issubset(_PLAIN):  # the common case, plain numbers: no per-element walk
            return (get_default_dtype() if float in kinds else B.int64 if int in kinds
                    else B.bool_ if kinds else None), data
        result, items = None, []
        for item in data:
            d, item = _scan(item, True)
            items.append(item)
            if d is not None:
                result = d if result is None else promote_types(result, d)
        return result, items
    if isinstance(data, Tensor):
        if nested and data._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars: "
                             f"the data holds a tensor of shape {list(data.shape)}; join "
                             f"tensors with numtorch.stack instead")
        return data._dtype, data._data.reshape(()) if nested else data._data
    if isinstance(data, (np.ndarray, np.generic)):
        if not data.dtype.isnative:
            raise ValueError("the NumPy array's byte order is not the machine's; convert it "
                             "first: array.astype(array.dtype.newbyteorder('='))")
        return B.dtype_of(data), data
    if isinstance(data, bool):
        return B.bool_, data
    if isinstance(data, int):
        return B.int64, data
    if isinstance(data, float):
        return get_default_dtype(), data
    if isinstance(data, (str, bytes, complex)):
        raise TypeError(f"tensor(): invalid data type '{type(data).__name__}': tensor() takes "
                        f"real numbers, nested lists of them, arrays or tensors")
    if hasattr(data, "__array__"):
        return _scan(np.asarray(data), nested)
    raise RuntimeError(f"Could not infer dtype of {type(data).__name__}: tensor() takes "
                       f"numbers, nested lists of numbers of equal length, arrays or tensors")


def _infer(data, dtype):
    """A new array for ``data``, with PyTorch's dtype rules, converted to ``dtype`` if given."""
    if isinstance(data, Tensor):
        same = dtype is None or dtype is data._dtype
        return data._data.copy() if same else B.cast(data._data, dtype)
    inferred, data = _scan(data, False)
    inferred = inferred or get_default_dtype()
    if isinstance(data, (np.ndarray, np.generic)):
        return B.cast(np.array(data), dtype or inferred)  # array values wrap, unchecked
    # Python floats are read as float64 and rounded once, to the dtype they end up in
    try:
        array = np.array(data, dtype=np.float64 if inferred.is_floating_point else inferred.np)
    except OverflowError:
        raise ValueError(f"tensor(): a value in the data overflows {inferred} (integers must "
                         f"lie in [-2**63, 2**63))") from None
    target = dtype or inferred
    B.check_fits(array, target)
    return B.cast(array, target)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Example: ``numtorch.tensor([[1., 2.], [3., 4.]], requires_grad=True)``
    """
    return _finish(_infer(data, dtype), None, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when no conversion is
    needed."""
    if isinstance(data, np.ndarray):
        data = from_numpy(data)
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array) -> Tensor:
    """A tensor sharing ``array``'s memory (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if not array.dtype.isnative:
        # converting would break the promise of shared memory
        raise ValueError("from_numpy: the array's byte order is not the machine's, so its "
                         "memory cannot be shared; convert it first: "
                         "array.astype(array.dtype.newbyteorder('='))")
    B.dtype_of(array)  # a clear TypeError for unsupported NumPy types
    return Tensor._make(array)


def _size(size, op) -> tuple:
    """A factory's ``*size`` (``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``), checked as PyTorch
    checks it: ints only, none negative."""
    if not size:
        raise TypeError(f"{op}() missing 1 required positional argument: 'size'")
    shape = _shape_arg(size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    return shape


def _factory(size, fill, dtype, device, requires_grad, op) -> Tensor:
    dtype = dtype or get_default_dtype()
    return _finish(np.full(_size(size, op), fill, dtype.np), None, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _factory(size, 0, dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _factory(size, 1, dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          memory_format=None, pin_memory=False) -> Tensor:
    return _factory(size, 0, dtype, device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' must be a tuple of ints, not "
                        f"{type(size).__name__} (write full(({size},), ...))")
    if dtype is None:
        dtype = (B.bool_ if isinstance(fill_value, bool) else B.int64
                 if isinstance(fill_value, int) else get_default_dtype())
    return _finish(_filled(_size((size,), "full"), fill_value, dtype), None, device,
                   requires_grad)


def _filled(shape, fill_value, dtype):
    """An array of ``shape`` full of ``fill_value`` converted to ``dtype`` as PyTorch converts
    a Python number (integers wrap; overflowing ones raise)."""
    fill = np.asarray(fill_value)
    B.check_fits(fill, dtype)
    return np.full(shape, B.cast(fill, dtype), dtype.np)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    n, m = operator.index(n), n if m is None else operator.index(m)
    if n < 0 or m < 0:
        raise RuntimeError(f"eye: n and m must be greater or equal to 0, got n={n}, m={m}")
    return _finish(np.eye(n, m, dtype=(dtype or get_default_dtype()).np),
                   None, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start (default 0) up to but not including end, every step."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, (Tensor, np.generic)) else v
              for v in (start, end, step)]
    if dtype is None:
        dtype = B.int64 if all(isinstance(v, int) for v in values) else get_default_dtype()
    start, end, step = values
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if not all(math.isfinite(v) for v in values):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step})")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is B.bool_:
        raise NotImplementedError("arange: not implemented for numtorch.bool")
    if dtype.is_floating_point:
        array = start + np.arange(math.ceil((end - start) / step), dtype=np.float64) * step
    elif dtype is B.int64:
        # NOTE: PyTorch truncates the bounds to int64 first, then counts
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("arange: step must be nonzero (it truncates to 0 for int64)")
        array = np.arange(start, end, step, dtype=np.int64)
    else:
        # ... while for the narrower integers it counts with the exact bounds and steps
        # from the truncated start by the truncated step (even a zero one)
        n = math.ceil((end - start) / step)
        array = int(start) + np.arange(n, dtype=np.int64) * int(step)
    return _finish(B.cast(array, dtype), None, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    array = np.linspace(start, end, steps, dtype=np.float64)
    return _finish(array.astype((dtype or get_default_dtype()).np), None, device,
                   requires_grad)


def _check_tensor(input, op) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")


def _like(t, fill, dtype, device, requires_grad):
    _check_tensor(t, "*_like")
    return _finish(_filled(t._data.shape, fill, dtype or t._dtype), None,
                   device or B.device_of(t._data), requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 0, dtype, device, requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 1, dtype, device, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _like(input, 0, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    return _like(input, fill_value, dtype, device, requires_grad)


# ---- random numbers -------------------------------------------------------------------------
_DEFAULT_SEED = 67280421310721


class Generator:
    """numtorch's random-number generator (NumPy's PCG64 underneath).

    NOTE: a CUDA generator draws on the host with the same algorithm and copies the numbers to
    the GPU, so for one seed CUDA tensors get exactly the numbers CPU tensors get (PyTorch's
    CUDA generator gives different ones). Each device has its own default generator, all seeded
    by ``manual_seed``.
    """

    def __init__(self, device="cpu"):
        self.device = B.device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._np_rng = None  # made on first draw: numpy.random costs ~10 ms to import
        return self

    @property
    def _rng(self):
        """The NumPy generator underneath, seeded on first use."""
        rng = self._np_rng
        if rng is None:
            rng = self._np_rng = np.random.Generator(
                np.random.PCG64(self._seed & 0xFFFFFFFFFFFFFFFF))
        return rng

    @_rng.setter
    def _rng(self, rng) -> None:  # vmap swaps in its per-sample wrapper for the call
        self._np_rng = rng

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
_cuda_generators: dict = {}       # GPU index -> its default generator, made on first use
_cuda_seed = [_DEFAULT_SEED]      # the seed a GPU's generator starts from


def cuda_generator(index: int) -> Generator:
    """The default generator of GPU ``index``."""
    g = _cuda_generators.get(index)
    if g is None:
        g = _cuda_generators[index] = Generator(B.device("cuda", index))
        g.manual_seed(_cuda_seed[0])
    return g


def manual_seed(seed: int) -> Generator:
    """Seed numtorch's default generators (the CPU's and every GPU's), making random tensors
    reproducible."""
    manual_seed_cuda(seed, None)
    return default_generator.manual_seed(seed)


def manual_seed_cuda(seed: int, index: int | None) -> None:
    """Seed GPU ``index``'s default generator (every GPU's when None)."""
    if index is None:
        _cuda_seed[0] = int(seed)
        for g in _cuda_generators.values():
            g.manual_seed(seed)
    else:
        cuda_generator(index).manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


def _rng(generator, device=None):
    """The NumPy generator behind ``generator``, or behind ``device``'s default generator."""
    if generator is not None:
        return generator._rng
    if device is None or device is B.CPU:
        return default_generator._rng
    device = B.get_device(device)
    return (default_generator if device.type == "cpu" else cuda_generator(device.index))._rng


def _float_dtype(dtype, op):
    dtype = dtype or get_default_dtype()
    if not dtype.is_floating_point:
        # PyTorch has no kernel for these, hence NotImplementedError
        raise NotImplementedError(f"{op}: sampling is not implemented for {dtype}; use a "
                                  f"floating-point dtype")
    return dtype


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Samples of the standard normal distribution, float32 unless dtype says otherwise."""
    dtype = _float_dtype(dtype, "randn")
    draw_as = np.float64 if dtype is B.float64 else np.float32
    array = _rng(generator, device).standard_normal(_size(size, "randn"), dtype=draw_as)
    return _finish(array.astype(dtype.np, copy=False), None, device, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    """Samples of the uniform distribution on [0, 1)."""
    dtype = _float_dtype(dtype, "rand")
    shape = _size(size, "rand")
    if dtype is B.float16:
        # multiples of 2**-11: every one exact in float16, so none rounds up to 1.0
        array = _rng(generator, device).integers(0, 2048, shape) * 2.0 ** -11
    else:
        draw_as = np.float64 if dtype is B.float64 else np.float32
        array = _rng(generator, device).random(shape, dtype=draw_as)
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
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be a tuple of ints, not "
                        f"{type(size).__name__}")
    low, high = operator.index(low), operator.index(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    array = _rng(generator, device).integers(low, high, _size((size,), "randint"),
                                             dtype=np.int64)
    return _finish(array, dtype or B.int64, device, requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_tensor(input, "rand_like")
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                device=device or input.device)


def randn_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_tensor(input, "randn_like")
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 device=device or input.device)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False):
    _check_tensor(input, "randint_like")
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device)
