"""``BatchedArray``: the array behind a tensor inside ``vmap``.

A batched tensor is an ordinary ``Tensor`` whose ``_data`` is a BatchedArray: a NumPy duck
array holding the whole batch (``data``, batch dimension first) that shows the shape of one
example. Every NumPy call an op's forward makes on it is batched by a rule (NumPy's
``__array_ufunc__`` and ``__array_function__`` protocols): one call on the whole batch, no loop
over examples. Because batching lives in the arrays, autograd, the ops and their backward
formulas work unchanged, so ``vmap(grad(f))`` gives per-example gradients. Nested ``vmap``
nests BatchedArrays (``data`` may itself be a BatchedArray of an outer level).
"""
from __future__ import annotations

import math
import sys

from .. import _backend as B

np = B.np

__all__ = ["BatchedArray", "no_rule", "level_of", "split", "pad", "materialize", "physical"]


def _caller_op() -> str:
    """The numtorch op whose forward or backward made the NumPy call (for error messages)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if "/numtorch/" in name and "/func/" not in name:
            qual = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
            return f"{qual} ({name.rsplit('/numtorch/', 1)[1]})"
        frame = frame.f_back
    return "the function being vmapped"


def no_rule(what: str, why: str = "") -> RuntimeError:
    return RuntimeError(
        f"vmap: there is no batching rule for {what}, called by {_caller_op()}{why}. Move "
        f"this operation out of the vmapped function, or loop over the batch for it.")


class UnbatchedWrite(RuntimeError):
    """Batched values were about to be written into an unbatched array (typically a buffer an
    op's forward copied from an unbatched input). ``Function.apply`` then runs the forward
    once more with every input array batched (broadcast, read-only) through
    ``retry_batched``."""

    def __init__(self, message: str, level: int, size: int):
        super().__init__(message)
        self.level, self.size = level, size

    def retry_batched(self, forward, ctx, arrays, kwargs):
        level, size = self.level, self.size
        batched = [BatchedArray(np.broadcast_to(a, (size,) + tuple(a.shape)), level)
                   if _is_array(a) and not (isinstance(a, BatchedArray) and a.level == level)
                   else a for a in arrays]
        return forward(ctx, *batched, **kwargs)


def _is_array(a) -> bool:
    return isinstance(a, BatchedArray) or type(a) is np.ndarray


def unbatched_write(what: str, level: int, size: int, conversion=False) -> UnbatchedWrite:
    if conversion:
        return UnbatchedWrite(
            f"vmap: {_caller_op()} needs a batched tensor as a plain NumPy array ({what}): it "
            f"prints it, converts it (.numpy()), or writes values that differ between examples "
            f"into a tensor that is the same for all (an in-place operation on an unbatched "
            f"tensor, refused as in PyTorch). Do this outside the vmapped function.",
            level, size)
    return UnbatchedWrite(
        f"vmap: {_caller_op()} writes values that differ between examples into a tensor that "
        f"is the same for every example ({what}); as in PyTorch, an in-place operation on a "
        f"tensor that is not batched cannot take batched values. Use the out-of-place form, "
        f"or clone the tensor inside the vmapped function after making it depend on the "
        f"batched input.", level, size)


class BatchedArray(np.lib.mixins.NDArrayOperatorsMixin):
    """One example's view of a batch: ``data`` has the batch as its first dimension."""

    __slots__ = ("data", "level", "truth")
    __array_priority__ = 1e6
    _duck_array = True  # _backend.as_array passes it through

    def __init__(self, data, level: int):
        self.data = data
        self.level = level
        self.truth = None  # np.any/np.all for the result of any()/all() over an example

    # ---- metadata: one example's ----------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape[1:]

    @property
    def ndim(self) -> int:
        return len(self.data.shape) - 1

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return math.prod(self.data.shape[1:])

    @property
    def itemsize(self) -> int:
        return self.data.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def batch_size(self) -> int:
        return self.data.shape[0]

    @property
    def strides(self) -> tuple:
        return self.data.strides[1:]  # nested vmaps: the outer batch's strides, in turn

    @property
    def flags(self):
        return self.data.flags

    @property
    def base(self):
        # never None ("owns its memory" would let the engine keep a gradient uncopied): the
        # batch's base when it is a view, else the batch itself
        base = self.data.base
        return self.data if base is None else base

    @property
    def T(self):
        return np.transpose(self)

    @property
    def mT(self):
        return np.swapaxes(self, -1, -2)

    @property
    def real(self):
        return self

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self) -> str:
        return (f"BatchedArray(level={self.level}, batch_size={self.batch_size}, "
                f"shape={self.shape}, dtype={self.dtype})")

    # ---- what cannot be batched --------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise unbatched_write("numpy.asarray", self.level, self.batch_size, conversion=True)

    def _scalar(self, *args):
        raise RuntimeError(
            "vmap: a tensor's value was read as a Python number (.item(), float(), bool(), "
            "int(), tolist() or a Python if on a tensor) inside the vmapped function; each "
            "example has its own value. Use tensor operations (e.g. torch.where) instead.")

    __float__ = __int__ = __index__ = item = tolist = _scalar

    def __bool__(self) -> bool:
        # an op's own guard, ``if bad.any(): raise ...`` or ``if ok.all(): ...``, asks about
        # the whole batch; user code branching on a value is refused (as in PyTorch)
        # NOTE: a comparison's truth inside an op is asked for the whole batch ("any"): the
        # ops branch on values only in guards (``if index.min() < 0: raise ...``)
        if self.ndim == 0 and _from_numtorch():
            return bool((self.truth or np.any)(physical(self.data)))
        self._scalar()

    # ---- the protocols: every NumPy call on a batched array comes here ----------------------
    def __array_namespace__(self, api_version=None):
        from ._batching_rules import Namespace  # noqa: PLC0415
        return Namespace(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from ._batching_rules import ufunc_rule  # noqa: PLC0415
        return ufunc_rule(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from ._batching_rules import RULES  # noqa: PLC0415
        rule = RULES.get(func)
        if rule is None:
            raise no_rule(f"numpy.{getattr(func, '__name__', func)}")
        return rule(func, *args, **kwargs)

    def __getitem__(self, key):
        from ._indexing import getitem  # noqa: PLC0415
        return getitem(self, key)

    def __setitem__(self, key, value) -> None:
        from ._indexing import setitem  # noqa: PLC0415
        setitem(self, key, value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ---- ndarray methods, through the NumPy functions' rules -------------------------------
    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        if not copy and np.dtype(dtype) == self.dtype:
            return self
        return type(self)(self.data.astype(dtype, casting=casting, copy=copy), self.level)

    def copy(self, order="C"):
        return type(self)(self.data.copy(), self.level)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        return np.reshape(self, shape, order=order)

    def setflags(self, write=None, align=None, uic=None) -> None:
        self.data.setflags(write=write, align=align, uic=uic)

    def fill(self, value) -> None:
        self.data.fill(value)

    def view(self, dtype=None, type=None):
        if dtype is None:
            return BatchedArray(self.data.view(), self.level)
        return BatchedArray(self.data.view(dtype), self.level)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return np.transpose(self, axes or None)

    def ravel(self, order="C"):
        return np.ravel(self, order)

    def flatten(self, order="C"):
        return np.ravel(self, order).copy()

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def swapaxes(self, a, b):
        return np.swapaxes(self, a, b)

    def dot(self, other):
        return np.dot(self, other)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        return np.diagonal(self, offset, axis1, axis2)

    def trace(self, offset=0, axis1=0, axis2=1, dtype=None, out=None):
        return np.trace(self, offset, axis1, axis2, dtype, out)

    def take(self, indices, axis=None, out=None, mode="raise"):
        return np.take(self, indices, axis, out, mode)

    def repeat(self, repeats, axis=None):
        return np.repeat(self, repeats, axis)

    def clip(self, min=None, max=None, out=None, **kwargs):
        return np.clip(self, min, max, out=out, **kwargs)

    def round(self, decimals=0, out=None):
        return np.round(self, decimals, out)

    def nonzero(self):
        return np.nonzero(self)

    def sort(self, axis=-1, kind=None, order=None) -> None:
        self.data = np.sort(self, axis, kind, order).data  # in place, as ndarray.sort

    def argsort(self, axis=-1, kind=None, order=None):
        return np.argsort(self, axis, kind, order)


def _from_numtorch() -> bool:
    """Whether __bool__ was called from numtorch's own code (not the user's function): the
    first caller outside the Tensor class is in numtorch."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if not (name.endswith("/numtorch/_tensor.py") or "/numtorch/_methods/" in name):
            return "/numtorch/" in name and "/func/" not in name
        frame = frame.f_back
    return False


def _reduction_method(name):
    func = getattr(np, name)

    def method(self, *args, **kwargs):
        return func(self, *args, **kwargs)
    method.__name__ = name
    return method


for _name in ("sum", "mean", "max", "min", "prod", "any", "all", "argmax", "argmin", "std",
              "var", "cumsum", "cumprod", "ptp"):
    setattr(BatchedArray, _name, _reduction_method(_name))


# ---- helpers for the rules ---------------------------------------------------------------------
def level_of(values) -> int:
    """The innermost (highest) vmap level among ``values`` (looking one list deep); 0 if none."""
    level = 0
    for v in values:
        if isinstance(v, BatchedArray):
            if v.level > level:
                level = v.level
        elif isinstance(v, (list, tuple)):
            for w in v:
                if isinstance(w, BatchedArray) and w.level > level:
                    level = w.level
    return level


def split(x, level: int):
    """(the array to compute with, whether it carries ``level``'s batch dimension first)."""
    if isinstance(x, BatchedArray) and x.level == level:
        return x.data, True
    return x, False


def physical(x):
    """The plain array under any number of batch levels."""
    while isinstance(x, BatchedArray):
        x = x.data
    return x


def ndim(x) -> int:
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def pad(data, k: int):
    """Insert ``k`` size-1 dimensions after the batch dimension of ``data``."""
    if k <= 0:
        return data
    s = data.shape
    return data.reshape(s[:1] + (1,) * k + s[1:])


def materialize(x, level: int, size: int):
    """``x`` with ``level``'s batch dimension first: batched values as they are, others
    broadcast (a view, no copy)."""
    data, batched = split(x, level)
    if batched:
        return data
    shape = tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)
    return np.broadcast_to(x, (size,) + shape)


def batch_size(values, level: int) -> int:
    for v in values:
        if isinstance(v, BatchedArray) and v.level == level:
            return v.batch_size
        if isinstance(v, (list, tuple)):
            for w in v:
                if isinstance(w, BatchedArray) and w.level == level:
                    return w.batch_size
    raise AssertionError("no batched value at this level")
