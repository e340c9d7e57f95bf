"""A stand-in for CuPy, built on NumPy, that runs numtorch's CUDA code path on a machine with no
GPU (tests only).

Its arrays are a type of their own (``ndarray`` here wraps a NumPy array), so numtorch tells them
from CPU arrays exactly as it tells CuPy's. Like CuPy it refuses what a GPU library must refuse:
mixing its arrays with NumPy arrays in one operation (TypeError), turning into a NumPy array
implicitly (``numpy.asarray(a)`` raises; ``asnumpy(a)`` and ``a.get()`` copy), and operating on
arrays of two different GPUs (ValueError). A place in numtorch that creates a NumPy array where it
should ask the array module, or that forgets to move an operand, fails here as it would on a GPU.
It pretends to have two GPUs (cuda:0 and cuda:1). Routines CuPy lacks (``linalg.eig``,
``multiply.at``, ...) are refused here too.

Install it with ``installed()``; the ``device`` fixture in conftest.py does so for 'cuda' when no
real GPU is present.
"""
from __future__ import annotations

import contextlib
import sys
import types

import numpy

from numtorch import _backend as B

DEVICE_COUNT = 2
_current = [0]
# numpy routines CuPy does not have (as of CuPy 13/14): refused, as CuPy would (AttributeError)
MISSING = {"linalg.eig", "linalg.eigvals", "nditer", "ndindex", "add.reduceat"}
# the methods of CuPy's ndarray (beyond those defined on the class below)
METHODS = {"all", "any", "argmax", "argmin", "argpartition", "argsort", "astype", "choose",
           "clip", "compress", "conj", "conjugate", "copy", "cumprod", "cumsum", "diagonal",
           "dot", "fill", "flatten", "max", "mean", "min", "nonzero", "partition", "prod", "put",
           "ravel", "repeat", "reshape", "round", "sort", "squeeze", "std", "sum", "swapaxes",
           "take", "tobytes", "trace", "transpose", "var", "view", "real", "imag", "flat",
           "ptp"}
# ufunc.at: CuPy supports it for these only
_AT_OK = {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"}


class ndarray:
    """A fake GPU array: a NumPy array and the index of the GPU that holds it."""

    __slots__ = ("_a", "_dev")
    __array_priority__ = 2000

    def __init__(self, shape, dtype=float):
        self._a = numpy.empty(shape, dtype)
        self._dev = _current[0]

    # ---- what CuPy's arrays have ---------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    # CuPy's flags have no 'writeable'
    flags = property(lambda self: types.SimpleNamespace(
        c_contiguous=self._a.flags.c_contiguous, f_contiguous=self._a.flags.f_contiguous,
        owndata=self._a.flags.owndata))
    data = property(lambda self: types.SimpleNamespace(
        ptr=self._a.__array_interface__["data"][0]))
    T = property(lambda self: _wrap(self._a.T, self._dev))
    device = property(lambda self: Device(self._dev))

    @property
    def base(self):
        return None if self._a.base is None else _wrap(self._a.base, self._dev)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        view = self._a.diagonal(offset, axis1, axis2)
        view.flags.writeable = self._a.flags.writeable  # CuPy's diagonals are writable views
        return _wrap(view, self._dev)

    def get(self, stream=None, order="C", out=None):
        return self._a.copy()

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __getattr__(self, name):
        # methods (sum, reshape, astype, copy, transpose, ...) run on the NumPy array and give
        # fake arrays back; those CuPy's arrays lack are refused
        if name not in METHODS:
            raise AttributeError(f"fake_cupy.ndarray has no attribute {name!r} (CuPy's arrays "
                                 f"have none)")
        attr = getattr(self._a, name)
        if not callable(attr):
            return attr
        dev = self._dev

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args, dev), **_unwrap(kwargs, dev)), dev)
        return method

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        dev = _device_of_operands(inputs)
        inputs = _unwrap(inputs, dev)
        kwargs = _unwrap(kwargs, dev)
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs), dev)

    def __array_function__(self, func, types, args, kwargs):
        # numpy.f(fake) dispatches to the library's f, as CuPy's arrays do
        dev = _device_of_operands(args)
        return _wrap(func(*_unwrap(args, dev), **_unwrap(kwargs, dev)), dev)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_key(key, self._dev)], self._dev)

    def __setitem__(self, key, value):
        self._a[_unwrap_key(key, self._dev)] = _unwrap(value, self._dev)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self._a)))

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return f"fake_cupy.{self._a!r} on cuda:{self._dev}"

    def __reduce__(self):
        return (_from_host, (self._a, self._dev))

    __hash__ = None


def _from_host(a, dev):
    return _wrap(a, dev)


def _binary(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


def _inplace(ufunc):
    def op(self, other):
        ufunc(self, other, out=self)
        return self
    return op


for _name, _uf in [("add", numpy.add), ("sub", numpy.subtract), ("mul", numpy.multiply),
                   ("truediv", numpy.true_divide), ("floordiv", numpy.floor_divide),
                   ("mod", numpy.remainder), ("pow", numpy.power), ("matmul", numpy.matmul),
                   ("and", numpy.bitwise_and), ("or", numpy.bitwise_or),
                   ("xor", numpy.bitwise_xor), ("lshift", numpy.left_shift),
                   ("rshift", numpy.right_shift)]:
    _fwd, _rev = _binary(_uf)
    setattr(ndarray, f"__{_name}__", _fwd)
    setattr(ndarray, f"__r{_name}__", _rev)
    setattr(ndarray, f"__i{_name}__", _inplace(_uf))
for _name, _uf in [("eq", numpy.equal), ("ne", numpy.not_equal), ("lt", numpy.less),
                   ("le", numpy.less_equal), ("gt", numpy.greater),
                   ("ge", numpy.greater_equal)]:
    setattr(ndarray, f"__{_name}__", _binary(_uf)[0])
ndarray.__neg__ = lambda self: numpy.negative(self)
ndarray.__pos__ = lambda self: numpy.positive(self)
ndarray.__abs__ = lambda self: numpy.absolute(self)
ndarray.__invert__ = lambda self: numpy.invert(self)


def _device_of_operands(operands):
    devs = {a._dev for a in _walk(operands) if isinstance(a, ndarray)}
    if len(devs) > 1:
        raise ValueError(f"fake_cupy: arrays on different GPUs ({sorted(devs)}) in one operation")
    return devs.pop() if devs else _current[0]


def _walk(x):
    if isinstance(x, (list, tuple)):
        for item in x:
            yield from _walk(item)
    elif isinstance(x, dict):
        yield from _walk(list(x.values()))
    else:
        yield x


def _unwrap(x, dev, host_ok=False):
    """Fake arrays -> their NumPy arrays; NumPy arrays refused (unless ``host_ok``), as CuPy
    refuses them."""
    if isinstance(x, ndarray):
        if x._dev != dev:
            raise ValueError(f"fake_cupy: an array on cuda:{x._dev} used with arrays on "
                             f"cuda:{dev}")
        return x._a
    if type(x) is numpy.ndarray and not host_ok:
        raise TypeError(f"Unsupported type {type(x)}: a NumPy array (shape {x.shape}) was "
                        f"given to the fake GPU library; move it with asarray() first")
    if isinstance(x, tuple):
        return tuple(_unwrap(i, dev, host_ok) for i in x)
    if isinstance(x, list):
        return [_unwrap(i, dev, host_ok) for i in x]
    if isinstance(x, dict):
        return {k: _unwrap(v, dev, host_ok) for k, v in x.items()}
    return x


def _unwrap_key(key, dev):
    # CuPy takes NumPy integer and boolean arrays as indices (it copies them to the GPU)
    return _unwrap(key, dev, host_ok=True)


def _wrap(x, dev):
    if isinstance(x, numpy.ndarray) and type(x) is numpy.ndarray:
        out = object.__new__(ndarray)
        out._a = x
        out._dev = dev
        return out
    if isinstance(x, numpy.generic):  # CuPy gives 0-d arrays where NumPy gives scalars
        return _wrap(numpy.asarray(x), dev)
    if isinstance(x, tuple):
        return tuple(_wrap(i, dev) for i in x)
    if isinstance(x, list):
        return [_wrap(i, dev) for i in x]
    return x


# ---- module-level routines ----------------------------------------------------------------

class _UFunc:
    """A ufunc of the fake library: called, reduced, accumulated like NumPy's, on fake arrays."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__

    def __call__(self, *args, **kwargs):
        dev = _device_of_operands((args, kwargs))
        return _wrap(self._uf(*_unwrap(args, dev), **_unwrap(kwargs, dev)), dev)

    def __getattr__(self, name):
        if name == "at":
            if self._uf.__name__ not in _AT_OK:
                raise NotImplementedError(f"`{self._uf.__name__}.at` is not supported yet")
        elif f"{self._uf.__name__}.{name}" in MISSING:
            raise AttributeError(f"fake_cupy: {self._uf.__name__}.{name} is not in CuPy")
        attr = getattr(self._uf, name)
        if not callable(attr):
            return attr

        def method(*args, **kwargs):
            dev = _device_of_operands((args, kwargs))
            return _wrap(attr(*_unwrap(args, dev, name == "at"), **_unwrap(kwargs, dev)), dev)
        return method


def _function(fn, host_ok=False):
    def call(*args, **kwargs):
        dev = _device_of_operands((args, kwargs))
        return _wrap(fn(*_unwrap(args, dev, host_ok), **_unwrap(kwargs, dev, host_ok)), dev)
    call.__name__ = getattr(fn, "__name__", "routine")
    return call


def _lookup(namespace, prefix, name):
    if f"{prefix}{name}" in MISSING:
        raise AttributeError(f"fake_cupy: {prefix}{name} is not in CuPy")
    attr = getattr(namespace, name)
    if isinstance(attr, numpy.ufunc):
        return _UFunc(attr)
    if isinstance(attr, type) or not callable(attr):
        return attr  # dtypes, finfo/iinfo, constants: CuPy reuses NumPy's
    return _function(attr)


class _Namespace(types.ModuleType):
    def __init__(self, name, target, prefix):
        super().__init__(name)
        self._target = target
        self._prefix = prefix

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _lookup(self._target, self._prefix, name)


linalg = _Namespace("fake_cupy.linalg", numpy.linalg, "linalg.")
fft = _Namespace("fake_cupy.fft", numpy.fft, "fft.")
lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=lambda x, shape=None, strides=None: _wrap(
        numpy.lib.stride_tricks.as_strided(x._a, shape, strides), x._dev)))


def asarray(a, dtype=None, order=None):
    """Host data (NumPy arrays, numbers, lists) copied to the current GPU; fake arrays kept when
    on it."""
    if isinstance(a, ndarray):
        if a._dev == _current[0]:
            return a if dtype is None else a.astype(dtype, copy=False)
        a = a._a
    return _wrap(numpy.array(a, dtype=dtype, order=order or "K"), _current[0])


def array(a, dtype=None, copy=True, order="K", ndmin=0):
    if isinstance(a, ndarray):
        a = a._a
    return _wrap(numpy.array(a, dtype=dtype, copy=True, order=order, ndmin=ndmin), _current[0])


def asnumpy(a, stream=None, order="C", out=None):
    return a._a.copy() if isinstance(a, ndarray) else numpy.asarray(a)


def get_array_module(*args):
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _lookup(numpy, "", name)


# ---- cuda: devices, runtime ---------------------------------------------------------------

class Device:
    """A fake GPU: a context manager that makes it the current one."""

    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(device)
        self._saved = []

    def __enter__(self):
        if not 0 <= self.id < DEVICE_COUNT:
            raise RuntimeError(f"fake_cupy: invalid device ordinal {self.id}")
        self._saved.append(_current[0])
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._saved.pop()

    def use(self):
        _current[0] = self.id

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return self.id


class _Runtime:
    synchronizations = 0

    @staticmethod
    def getDeviceCount():
        return DEVICE_COUNT

    @staticmethod
    def getDevice():
        return _current[0]

    @staticmethod
    def setDevice(i):
        _current[0] = int(i)

    @classmethod
    def deviceSynchronize(cls):
        cls.synchronizations += 1

    @staticmethod
    def getDeviceProperties(i):
        return {"name": f"fake GPU {i}".encode()}


class _MemoryPool:
    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self):
        pass


def get_default_memory_pool():
    return _MemoryPool()


cuda = types.SimpleNamespace(Device=Device, runtime=_Runtime)


@contextlib.contextmanager
def installed():
    """Make this module numtorch's GPU library for the duration of the block."""
    saved = (B._cupy, B._cuda_ndarray, B._cupy_tried, B._cupy_problem)
    B.use_cupy(sys.modules[__name__])
    _current[0] = 0
    try:
        yield sys.modules[__name__]
    finally:
        B._cupy, B._cuda_ndarray, B._cupy_tried, B._cupy_problem = saved
        B._CUDA_DEVICES.clear()
