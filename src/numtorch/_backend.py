"""The only module that imports numpy (and, on demand, cupy): dtypes, devices, array modules,
moving arrays between devices."""
from __future__ import annotations

import numpy as np

__all__ = ["np", "dtype", "device", "array_module", "dtype_of", "as_array", "get_device",
           "device_of", "to_device", "use_cupy"]


class dtype:
    """A tensor element type; one module-level singleton each (``numtorch.float32`` ...)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize",
                 "category", "_legacy")

    def __init__(self, name: str, np_dtype, category: int, legacy: str):
        self.name = name
        self.np = np.dtype(np_dtype)
        # category orders the kinds for type promotion: 0 bool, 1 integer, 2 floating
        self.category = category
        self.is_floating_point = category == 2
        self.is_complex = False
        self.is_signed = category == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize
        self._legacy = legacy

    def __repr__(self) -> str:
        return f"numtorch.{self.name}"

    def __reduce__(self):
        return self.name

    def to_real(self) -> dtype:
        return self

    def to_complex(self):
        raise RuntimeError(f"numtorch has no complex dtypes yet (asked for the complex form of "
                           f"{self!r})")


float32 = dtype("float32", np.float32, 2, "FloatTensor")
float64 = dtype("float64", np.float64, 2, "DoubleTensor")
float16 = dtype("float16", np.float16, 2, "HalfTensor")
int64 = dtype("int64", np.int64, 1, "LongTensor")
int32 = dtype("int32", np.int32, 1, "IntTensor")
int16 = dtype("int16", np.int16, 1, "ShortTensor")
int8 = dtype("int8", np.int8, 1, "CharTensor")
uint8 = dtype("uint8", np.uint8, 1, "ByteTensor")
bool_ = dtype("bool", np.bool_, 0, "BoolTensor")

ALL_DTYPES = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_FROM_NUMPY = {d.np: d for d in ALL_DTYPES}


def dtype_of(array) -> dtype:
    """The numtorch dtype of an ndarray; TypeError naming the NumPy dtype if there is none."""
    try:
        return _FROM_NUMPY[array.dtype]
    except KeyError:
        raise TypeError(
            f"can't convert an array of type numpy.{array.dtype} to a numtorch tensor: the "
            f"supported types are float64, float32, float16, int64, int32, int16, int8, uint8 "
            f"and bool; convert it first, e.g. array.astype(numpy.float32)") from None


def as_array(x):
    """``x`` as an ndarray (NumPy returns scalars, not 0-d arrays, from some operations);
    GPU arrays pass through."""
    t = type(x)
    if t is np.ndarray or t is _cuda_ndarray or getattr(t, "_duck_array", False):
        return x  # (duck arrays: numtorch.func's batched arrays inside vmap)
    return np.asarray(x)


def check_fits(array, d) -> None:
    """PyTorch refuses Python numbers that overflow an integer dtype (NaN included); uint8
    also takes -255..-1, wrapping them."""
    if d.category != 1 or array.dtype == d.np:
        return
    info = np.iinfo(d.np)
    floating = array.dtype.kind == "f"
    low = -int(info.max) if d is uint8 and not floating else info.min
    with np.errstate(invalid="ignore"):
        bad = (array < low) | (array > info.max)
        if floating:
            bad |= np.isnan(array)
    if bad.any():
        raise RuntimeError(f"value cannot be converted to type {d!r} without overflow: "
                           f"{array[bad].flat[0]}")


def cast(array, d):
    """``array`` as dtype ``d``; floats too large for ``d`` become inf, as in PyTorch."""
    if array.dtype == d.np:
        return array
    with np.errstate(over="ignore"):
        return array.astype(d.np)


def fit_number(value, d: dtype):
    """A Python number as a 0-d array of dtype ``d`` for writing into a tensor (fill_,
    ``x[i] = v``), with PyTorch's overflow checks."""
    if d.category == 2 and type(value) in (float, int, bool):
        return value  # any number fits a floating dtype (too large ones become inf)
    array = np.asarray(value)
    check_fits(array, d)
    return cast(array, d)[()]  # a NumPy scalar: both array libraries take it as a number


def quiet():
    """A context in which NumPy does not warn about inf/NaN results, which PyTorch returns
    silently (log(0), x / 0, 0 ** -1, sqrt(-1))."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def zeros(shape, d: dtype, like=None):
    """Zeros of ``shape`` and dtype ``d``, on the device of the array ``like`` (CPU if None)."""
    return array_module(like).zeros(shape, d.np)


def ones(shape, d: dtype, like=None):
    return array_module(like).ones(shape, d.np)


def to_numpy_dtype(d: dtype):
    return d.np


class device:
    """Where a tensor's memory lives: ``device('cpu')``, ``device('cuda')``, ``device('cuda',
    0)``."""

    __slots__ = ("type", "index")

    def __new__(cls, type_or_str, index: int | None = None):
        if isinstance(type_or_str, device):
            return type_or_str
        if isinstance(type_or_str, int):
            type_or_str, index = "cuda", type_or_str
        if not isinstance(type_or_str, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', "
                            f"got {type(type_or_str).__name__}")
        kind, _, idx = type_or_str.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type_or_str}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type_or_str}'")
            index = int(idx)
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: "
                               f"{type_or_str}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self = object.__new__(cls)
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", index)
        return self

    def __setattr__(self, name, value):
        raise AttributeError("numtorch.device is immutable")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return (isinstance(other, device) and self.type == other.type
                and self.index == other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


CPU = device("cpu")


# ---- the GPU: CuPy, loaded on first use -------------------------------------------------------
class _NoArray:
    """Stands for the GPU array type while no GPU library is loaded: no array is of this type."""


_cupy = None               # CuPy (or a stand-in with its API, see use_cupy) once loaded
_cuda_ndarray = _NoArray   # its array type
_cupy_tried = False
_cupy_problem = "CuPy was not tried yet"
_CUDA_DEVICES: dict = {}   # index -> device('cuda', index), so tensors share one object each

INSTALL_HINT = ("CUDA tensors need an NVIDIA GPU with its driver and CuPy: pip install "
                "'numtorch[gpu]' (which installs cupy-cuda12x; pick the cupy-cudaXXx wheel that "
                "matches your CUDA version)")


def gpu():
    """The GPU array module (CuPy), loaded on first use; None when CuPy is missing or sees no
    GPU (``gpu_problem()`` says which)."""
    global _cupy_tried, _cupy_problem
    if _cupy is None and not _cupy_tried:
        _cupy_tried = True
        try:
            import cupy
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # ImportError, or CUDA's own error when there is no driver
            _cupy_problem = f"CuPy could not be used ({type(e).__name__}: {e})"
        else:
            if count > 0:
                use_cupy(cupy)
            else:
                _cupy_problem = "CuPy is installed but finds no GPU"
    return _cupy


def gpu_problem() -> str:
    """Why ``gpu()`` is None, in words."""
    return _cupy_problem


def use_cupy(module) -> None:
    """Make ``module`` numtorch's GPU array library.

    ``module`` is CuPy itself (``gpu()`` loads it on first use) or a stand-in with the part of
    CuPy's API that numtorch uses (the tests run the whole CUDA code path on a CPU-only machine
    with one, see tests/fake_cupy.py); None means "no GPU".
    """
    global _cupy, _cuda_ndarray, _cupy_tried, _cupy_problem
    _cupy = module
    _cuda_ndarray = _NoArray if module is None else module.ndarray
    _cupy_tried = True
    _cupy_problem = "no GPU array library is in use" if module is None else ""
    _CUDA_DEVICES.clear()


def _cuda_device(index: int) -> device:
    d = _CUDA_DEVICES.get(index)
    if d is None:
        d = _CUDA_DEVICES[index] = device("cuda", index)
    return d


def device_count() -> int:
    cp = gpu()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def current_device() -> int:
    cp = _require_gpu("cuda")
    return cp.cuda.runtime.getDevice()


def _require_gpu(where):
    cp = gpu()
    if cp is None:
        raise RuntimeError(f"numtorch cannot place tensors on {where}: {_cupy_problem}. "
                           f"{INSTALL_HINT}. Or keep the tensors on the CPU (device='cpu').")
    return cp


def get_device(d) -> device:
    """Check that device ``d`` can hold tensors here and return it, with the index filled in for
    CUDA (``'cuda'`` is the current GPU); cpu always can.

    CUDA needs CuPy and an NVIDIA GPU; without them this raises a RuntimeError that says what to
    install.
    """
    if d is None or d is CPU:
        return CPU
    d = device(d)
    if d.type == "cpu":
        return CPU
    cp = _require_gpu(d)
    count = cp.cuda.runtime.getDeviceCount()
    index = cp.cuda.runtime.getDevice() if d.index is None else d.index
    if index >= count:
        raise RuntimeError(f"CUDA error: invalid device ordinal: there is no {d}, numtorch "
                           f"sees {count} GPU(s) (cuda:0 to cuda:{count - 1})")
    return _cuda_device(index)


def array_module(array):
    """The array module (numpy, or cupy for GPU arrays) that owns ``array``; a duck array
    (numtorch.func's batched arrays inside vmap) gives its own namespace."""
    t = type(array)
    if t is np.ndarray:
        return np
    if t is _cuda_ndarray:
        return _cupy
    return array.__array_namespace__() if getattr(t, "_duck_array", False) else np


def is_gpu_array(array) -> bool:
    return type(array) is _cuda_ndarray


def device_of(array) -> device:
    """The device that holds ``array``."""
    if type(array) is _cuda_ndarray:
        return _cuda_device(array.device.id)
    return CPU


def to_device(array, d: device):
    """``array`` on device ``d`` (checked by ``get_device``): the same array when it is there
    already, else a copy."""
    gpu_array = type(array) is _cuda_ndarray
    if d is CPU or d.type == "cpu":
        return _cupy.asnumpy(array) if gpu_array else array
    index = d.index if d.index is not None else _cupy.cuda.runtime.getDevice()
    if gpu_array and array.device.id == index:
        return array
    with _cupy.cuda.Device(index):
        return _cupy.array(array)  # a copy made on this GPU, from the host or another GPU


def to_host(array):
    """``array`` as a NumPy array (a copy when it is on a GPU)."""
    return _cupy.asnumpy(array) if type(array) is _cuda_ndarray else array


def same_device_operands(op: str, operands):
    """After an op's forward failed: when its operands lie on different devices, either the
    operands with 0-d CPU arrays moved to the GPU (PyTorch treats 0-d CPU tensors like numbers,
    so they mix with CUDA ones), or a RuntimeError naming the op and both devices. None when the
    devices were not the problem."""
    devices = {}
    for a in operands:
        if type(a) is np.ndarray or type(a) is _cuda_ndarray:
            devices.setdefault(device_of(a), []).append(a)
    if len(devices) < 2:
        return None
    gpus = [d for d in devices if d.type == "cuda"]
    if len(gpus) == 1 and all(a.ndim == 0 for a in devices.get(CPU, ())):
        return [to_device(a, gpus[0]) if type(a) is np.ndarray else a for a in operands]
    first, second = list(devices)[:2]
    raise RuntimeError(f"Expected all tensors to be on the same device, but {op} got tensors on "
                       f"{first} and {second}; move them to one device first with .to(device), "
                       f".cuda() or .cpu()")


def ufunc_at(name: str, a, index, values, op: str) -> None:
    """``a[index] = name(a[index], values)`` unbuffered (repeated indices all count), as
    ``numpy.<name>.at``; CuPy has it for add, subtract, maximum and minimum only, and ``op``
    (the numtorch op) is named in the error for the rest."""
    try:
        getattr(array_module(a), name).at(a, index, values)
    except NotImplementedError:
        raise NotImplementedError(f"{op}: not available for CUDA tensors (CuPy has no {name}.at); "
                                  f"move the tensors to the CPU first with .cpu()") from None


def as_strided(x, shape, strides):
    """A read-only strided view of ``x`` (numpy's and cupy's stride tricks)."""
    if type(x) is _cuda_ndarray:
        return _cupy.lib.stride_tricks.as_strided(x, shape, strides)
    if is_duck_array(x):  # numtorch.func's batched arrays: their own stride tricks
        return x.__array_namespace__().lib.stride_tricks.as_strided(x, shape, strides,
                                                                    writeable=False)
    return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def synchronize(d=None) -> None:
    """Wait until the work queued on GPU ``d`` (the current one when None) has finished."""
    index = get_device("cuda" if d is None else d).index
    with _cupy.cuda.Device(index):
        _cupy.cuda.runtime.deviceSynchronize()


def is_duck_array(x) -> bool:
    """Whether ``x`` is a duck array (numtorch.func's batched arrays inside vmap)."""
    return getattr(type(x), "_duck_array", False)


def is_array(x) -> bool:
    """Whether ``x`` is an array of either device (not a NumPy scalar or a Python number)."""
    t = type(x)
    return t is np.ndarray or t is _cuda_ndarray or getattr(t, "_duck_array", False)


def writeable(a) -> bool:
    """Whether array ``a`` may be written to: NumPy's flag; for a GPU array (CuPy has no such
    flag), whether no two elements share memory (expand() made none of it)."""
    if type(a) is np.ndarray or getattr(type(a), "_duck_array", False):
        return a.flags.writeable
    return a.size == 0 or not any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides))


def data_ptr(a) -> int:
    """The address of array ``a``'s first element (host or GPU memory)."""
    if type(a) is _cuda_ndarray:
        return a.data.ptr
    return a.__array_interface__["data"][0]
