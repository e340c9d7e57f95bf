"""The only module that imports numpy (and, later, cupy): dtypes, devices, array modules."""
from __future__ import annotations

import numpy as np

__all__ = ["np", "dtype", "device", "array_module", "dtype_of", "as_array", "get_device"]


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
    """``x`` as an ndarray (NumPy returns scalars, not 0-d arrays, from some operations)."""
    return x if type(x) is np.ndarray else np.asarray(x)


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
    return cast(array, d)


def quiet():
    """A context in which NumPy does not warn about inf/NaN results, which PyTorch returns
    silently (log(0), x / 0, 0 ** -1, sqrt(-1))."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def zeros(shape, d: dtype):
    return np.zeros(shape, d.np)


def ones(shape, d: dtype):
    return np.ones(shape, d.np)


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


def get_device(d) -> device:
    """Check that a device can hold tensors here and return it; cpu always can.

    CUDA needs CuPy and an NVIDIA GPU; the CuPy backend is not part of numtorch yet, so a CUDA
    device raises a RuntimeError that says what is missing.
    """
    if d is None or d is CPU:
        return CPU
    d = device(d)
    if d.type == "cpu":
        return CPU
    raise RuntimeError(
        f"numtorch cannot place tensors on {d}: no GPU backend is available. CUDA tensors need "
        f"CuPy (pip install cupy-cuda12x) and an NVIDIA GPU, and numtorch's CuPy backend is not "
        f"built yet; use device='cpu'.")


def array_module(array):
    """The array module (numpy, or cupy for GPU arrays) that owns ``array``."""
    return np
