"""``Tensor``: data, dtype, device, autograd state, and one-line methods that call op Functions."""
from __future__ import annotations

import operator
import warnings

from . import _backend as B
from ._methods.activation import ActivationMethods
from ._methods.elementwise import ElementwiseMethods
from ._methods.linalg import LinalgMethods
from ._methods.reduction import ReductionMethods
from ._methods.shape import ShapeMethods
from ._promotion import get_default_dtype, result_type

__all__ = ["Tensor", "Size"]

_new = object.__new__
_dtype_of = B.dtype_of


class Size(tuple):
    """A tensor's shape: a tuple of ints."""

    def __repr__(self) -> str:
        return f"numtorch.Size({list(self)})"

    # slicing and concatenating a Size give a Size, as in PyTorch
    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        return Size(tuple.__add__(tuple(other), self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def _shape_arg(size) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)`` alike (ints only:
    ``2.0`` is refused as PyTorch refuses it; NumPy integers and int tensors are accepted)."""
    if len(size) == 1 and hasattr(size[0], "__len__") and not isinstance(size[0], Tensor):
        size = size[0]
    try:
        return tuple(operator.index(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be a sequence of ints, got {size!r}") from None


class Tensor(ElementwiseMethods, ReductionMethods, ShapeMethods, LinalgMethods,
             ActivationMethods):
    """An n-dimensional array with autograd, the numtorch counterpart of ``torch.Tensor``.

    The op library's methods come from the category mixins in ``_methods/``."""

    __slots__ = ("_data", "_dtype", "_requires_grad", "_grad_fn", "_vc", "__weakref__",
                 "__dict__")

    # rarely set, so class-level defaults instead of slots (a new tensor sets five attributes)
    _grad = None             # .grad (set on leaves)
    _output_nr = 0           # which output of its grad_fn (set on outputs after the first)
    _accum_ref = None        # a leaf's AccumulateGrad node, weakly
    _hooks = None            # {key: fn(grad)} for a leaf (non-leaves keep theirs on grad_fn)
    _post_acc_hooks = None   # {key: fn(tensor)} after .grad was accumulated
    _base = None             # the tensor this one shares memory with (views, detach())
    _view_version = None     # differentiable views: the version their grad_fn reflects
    _fw_grad = None          # forward-mode AD: the tangent at the active dual level
    __array_priority__ = 1000  # numpy defers ``array + tensor`` to Tensor.__radd__

    def __init__(self, *args, **kwargs):
        # torch.Tensor(data) or torch.Tensor(*sizes): float32 (the default dtype)
        dtype = get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            data = data._data if isinstance(data, Tensor) else data
            array = B.np.array(data, dtype=dtype.np)
        else:
            array = B.np.zeros(_shape_arg(args) if args else (0,), dtype.np)
        _init(self, array, False)

    @staticmethod
    def _make(data, requires_grad: bool = False) -> Tensor:
        """Wrap an ndarray (no copy, no checks): the constructor every op uses."""
        t = _new(Tensor)
        t._data = data
        t._dtype = _dtype_of(data)
        t._requires_grad = requires_grad
        t._grad_fn = None
        t._vc = [0]
        return t

    def _alias(self) -> Tensor:
        """A new tensor object over the same memory and version counter, with no history."""
        t = Tensor._make(self._data)
        t._vc = self._vc
        t._base = self if self._base is None else self._base
        return t

    # ---- properties -------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return B.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return B.is_gpu_array(self._data)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def data(self) -> Tensor:
        """The same memory as a tensor without history and with its own version counter, so
        changes through it go unnoticed by autograd (prefer ``detach()``)."""
        t = Tensor._make(self._data)
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._dtype = value._dtype

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def grad(self):
        if self._grad_fn is not None and self._grad is None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed: "
                "it is not populated during backward. Call .retain_grad() on it before "
                "backward if you need it, or use the leaf tensors' .grad.", UserWarning,
                stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: got "
                                   f"{list(value.shape)}, the tensor is {list(self.shape)}")
            if value._dtype is not self._dtype:
                raise RuntimeError(f"assigned grad has data of a different type: got "
                                   f"{value.dtype}, the tensor is {self.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def retains_grad(self) -> bool:
        fn = self._grad_fn
        return bool(fn is not None and fn._retained and self._output_nr in fn._retained)

    @property
    def T(self) -> Tensor:
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    # ---- sizes and conversion to Python -----------------------------------------------------
    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def is_complex(self) -> bool:
        return False

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar; item() needs exactly one element (index it first, "
                               f"or use tolist())")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force: bool = False):
        """The data as a NumPy array sharing memory (no copy). Refused for a tensor that
        requires grad while grad mode is on, as in PyTorch."""
        if self._requires_grad and not force and _grad_state.enabled:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad: the array "
                               "would escape autograd. Use tensor.detach().numpy() instead.")
        if B.is_gpu_array(self._data):
            if force:
                return B.to_host(self._data)
            raise _not_on_host(self)
        if not self._data.flags.writeable and _check._locked:
            return _check.saved_view(self._data)  # read-only while a custom Function saved it
        return self._data

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad and _grad_state.enabled:
            raise RuntimeError("Can't convert a Tensor that requires grad to a NumPy array. "
                               "Use tensor.detach().numpy() instead.")
        if B.is_gpu_array(self._data):
            raise _not_on_host(self)
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is "
                               f"ambiguous; use .any() or .all()")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self):
        """The one value, for float()/int(); PyTorch raises ValueError (not item()'s
        RuntimeError) here."""
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars "
                             f"(this one has {self._data.size})")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ._printing import tensor_repr
        d = self._dtype
        default = d is get_default_dtype() or d is B.int64 or d is B.bool_
        fn = self._grad_fn
        gpu = B.is_gpu_array(self._data)
        return tensor_repr(B.to_host(self._data), d.name, default,
                           self._requires_grad and fn is None,
                           None if fn is None else fn.name(),
                           device=str(self.device) if gpu else None,
                           tangent=self._fw_grad)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: "
                            f"only 0-d tensors take a format spec (format t.item(), or use "
                            f"'{{}}' for the whole tensor)")
        return repr(self)

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; detach() it first")
        t = Tensor._make(self._data.copy(), self._requires_grad)
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._data.copy())
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    # ---- autograd ---------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set whether autograd records operations on this (leaf) tensor; returns self."""
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want "
                    "to use a computed variable in a subgraph that doesn't require "
                    "differentiation use var_no_grad = var.detach().")
            return self
        if requires_grad and not self._dtype.is_floating_point:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, "
                               f"this one is {self.dtype}; convert it first, e.g. x.float()")
        self._requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """The same memory, cut from the graph (never requires grad)."""
        return self._alias()

    def detach_(self) -> Tensor:
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see autograd.backward)."""
        from .autograd.engine import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a
        replacement. Returns a handle with ``remove()``."""
        from .autograd.graph import add_hook
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        fn = self._grad_fn
        if fn is None:
            hooks, handle = add_hook(self._hooks, hook)
            self._hooks = hooks
            return handle
        per_output = fn._tensor_pre_hooks
        if per_output is None:
            per_output = {}
            fn._set("_tensor_pre_hooks", per_output)
        hooks, handle = add_hook(per_output.get(self._output_nr), hook)
        per_output[self._output_nr] = hooks
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` after a gradient was accumulated into this leaf's ``.grad``."""
        from .autograd.graph import add_hook
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        hooks, handle = add_hook(self._post_acc_hooks, hook)
        self._post_acc_hooks = hooks
        return handle

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor during backward."""
        import weakref
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self._grad_fn
        if fn is None:
            return
        retained = fn._retained
        if retained is None:
            retained = {}
            fn._set("_retained", retained)
        retained[self._output_nr] = weakref.ref(self)

    # ---- copies, dtypes, devices ------------------------------------------------------------
    def clone(self, memory_format=None) -> Tensor:
        return _E.Clone.apply(self)

    def contiguous(self, memory_format=None) -> Tensor:
        return self if self._data.flags.c_contiguous else _E.Clone.apply(self, True)

    def to(self, *args, **kwargs) -> Tensor:
        """Convert dtype and/or device: ``to(dtype)``, ``to(device)``, ``to(other)``,
        ``to(device, dtype)``; returns self when nothing changes (unless ``copy=True``)."""
        dtype, device, copy = _parse_to(args, kwargs)
        if device is not None:
            device = B.get_device(device)
            if device == B.device_of(self._data):
                device = None
        if device is None and (dtype is None or dtype is self._dtype):
            return _E.Clone.apply(self) if copy else self
        return _E.ToCopy.apply(self, dtype or self._dtype, device)

    def cpu(self, memory_format=None) -> Tensor:
        """This tensor in host memory (itself when it is there already)."""
        return self.to(B.CPU)

    def cuda(self, device=None, non_blocking=False, memory_format=None) -> Tensor:
        """This tensor on a GPU (the current one unless ``device`` says which)."""
        return self.to("cuda" if device is None else device)

    def get_device(self) -> int:
        """The GPU index of a CUDA tensor; -1 for a CPU tensor."""
        d = B.device_of(self._data)
        return -1 if d.type == "cpu" else d.index

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"numtorch.{self._dtype._legacy}"
        if isinstance(dtype, str):
            legacy = dtype.rsplit(".", 1)[-1]
            match = [d for d in B.ALL_DTYPES if d._legacy == legacy]
            if not match:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = match[0]
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other._dtype)

    def float(self) -> Tensor:
        return self.to(B.float32)

    def double(self) -> Tensor:
        return self.to(B.float64)

    def half(self) -> Tensor:
        return self.to(B.float16)

    def long(self) -> Tensor:
        return self.to(B.int64)

    def int(self) -> Tensor:
        return self.to(B.int32)

    def short(self) -> Tensor:
        return self.to(B.int16)

    def char(self) -> Tensor:
        return self.to(B.int8)

    def byte(self) -> Tensor:
        return self.to(B.uint8)

    def bool(self) -> Tensor:
        return self.to(B.bool_)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> Tensor:
        from ._creation import tensor
        return tensor(data, dtype=dtype or self._dtype, requires_grad=requires_grad,
                      device=self.device if device is None else device)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _new_filled(self, size, 0, dtype, requires_grad, device)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _new_filled(self, size, 1, dtype, requires_grad, device)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
        return _new_filled(self, size, 0, dtype, requires_grad, device)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        return _new_filled(self, (size,), fill_value, dtype, requires_grad, device)

    # ---- arithmetic -------------------------------------------------------------------------
    def __add__(self, other):
        return _A.Add.apply(self, other)

    def __radd__(self, other):
        return _A.Add.apply(self, other)  # the tensor first in next_functions, as in PyTorch

    def __sub__(self, other):
        return _A.Sub.apply(self, other)

    def __rsub__(self, other):
        return _A.Sub.apply(other, self)

    def __mul__(self, other):
        return _A.Mul.apply(self, other)

    def __rmul__(self, other):
        return _A.Mul.apply(self, other)

    def __truediv__(self, other):
        return _A.Div.apply(self, other)

    def __rtruediv__(self, other):
        return _A.Div.apply(other, self)

    def __matmul__(self, other):
        return _L.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return _L.MatMul.apply(other, self)

    def __neg__(self):
        return _A.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _E.Abs.apply(self)

    def add(self, other, *, alpha=1):
        _check_alpha(self, other, alpha, "add")
        return _A.Add.apply(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        _check_alpha(self, other, alpha, "sub")
        return _A.Sub.apply(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        return _A.Mul.apply(self, other)

    def neg(self):
        return _A.Neg.apply(self)

    def abs(self):
        return _E.Abs.apply(self)

    def exp(self):
        return _E.Exp.apply(self)

    def log(self):
        return _E.Log.apply(self)

    def sqrt(self):
        return _E.Sqrt.apply(self)

    def sin(self):
        return _E.Sin.apply(self)

    def cos(self):
        return _E.Cos.apply(self)

    def tanh(self):
        return _E.Tanh.apply(self)

    def sigmoid(self):
        return _E.Sigmoid.apply(self)

    def relu(self):
        return _R.Relu.apply(self)

    def mm(self, mat2):
        return _L.Mm.apply(self, mat2)

    def matmul(self, other):
        return _L.MatMul.apply(self, other)

    # ---- comparisons ------------------------------------------------------------------------
    def __eq__(self, other):
        return _A.Eq.apply(self, other)

    def __ne__(self, other):
        return _A.Ne.apply(self, other)

    def __lt__(self, other):
        return _A.Lt.apply(self, other)

    def __le__(self, other):
        return _A.Le.apply(self, other)

    def __gt__(self, other):
        return _A.Gt.apply(self, other)

    def __ge__(self, other):
        return _A.Ge.apply(self, other)

    eq = __eq__
    ne = __ne__
    lt = __lt__
    le = __le__
    gt = __gt__
    ge = __ge__

    # ---- reductions -------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _S.Sum.apply(self, dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _S.mean(self, dim, keepdim, dtype)

    # ---- shapes -----------------------------------------------------------------------------
    def reshape(self, *shape):
        return _V.reshape(self, _shape_arg(shape))

    def view(self, *shape):
        return _V.view(self, _shape_arg(shape))

    def view_as(self, other):
        return _V.view(self, other._data.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _V.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        return _V.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _V.unsqueeze(self, dim)

    def permute(self, *dims):
        return _V.permute(self, _shape_arg(dims))

    def transpose(self, dim0, dim1):
        return _V.transpose(self, dim0, dim1)

    def t(self):
        return _V.t(self)

    def expand(self, *sizes):
        return _V.expand(self, _shape_arg(sizes))

    def expand_as(self, other):
        return _V.expand(self, other._data.shape)

    def unbind(self, dim=0):
        return _I.unbind(self, dim)

    def __getitem__(self, key):
        return _I.getitem(self, key)

    # ---- in place ---------------------------------------------------------------------------
    def __setitem__(self, key, value):
        _I.setitem(self, key, value)

    def add_(self, other, *, alpha=1):
        _check_alpha(self, other, alpha, "add_")
        return _P.binary_(self, other if alpha == 1 else other * alpha, _A.Add)

    def sub_(self, other, *, alpha=1):
        _check_alpha(self, other, alpha, "sub_")
        return _P.binary_(self, other if alpha == 1 else other * alpha, _A.Sub)

    def mul_(self, other):
        return _P.binary_(self, other, _A.Mul)

    def div_(self, other):
        return _P.binary_(self, other, _A.Div)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def neg_(self):
        return _P.unary_(self, _A.Neg)

    def relu_(self):
        return _P.unary_(self, _R.Relu)

    def zero_(self):
        return _P.fill_(self, 0)

    def fill_(self, value):
        return _P.fill_(self, value)

    def copy_(self, src, non_blocking=False):
        return _P.copy_(self, src)


def _init(t, array, requires_grad):
    t._data = array
    t._dtype = _dtype_of(array)
    t._requires_grad = requires_grad
    t._grad_fn = None
    t._vc = [0]


def _check_alpha(t, other, alpha, op):
    """PyTorch refuses a float alpha for an integer result and a bool alpha for a non-bool
    one (rather than silently truncating)."""
    if type(alpha) is int:
        return
    d = result_type(t._data, other._data if isinstance(other, Tensor) else other)
    if isinstance(alpha, bool) and d is not B.bool_:
        raise RuntimeError(f"{op}: a bool alpha is only supported for bool results, this one "
                           f"is {d}")
    if isinstance(alpha, float) and not d.is_floating_point:
        raise RuntimeError(f"{op}: for integral input tensors, argument alpha must not be a "
                           f"floating point number (got alpha={alpha}, result dtype {d})")


def _rebuild(data, requires_grad):
    return Tensor._make(data, requires_grad)


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    from .ops._util import wrap_dim
    return wrap_dim(dim, ndim, op)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, B.dtype):
            dtype = a
        elif isinstance(a, (str, B.device)):
            if device is not None:
                raise TypeError(f"to() received an invalid combination of arguments: two "
                                f"devices ({device!r}, {a!r}); a dtype is numtorch.float32, "
                                f"not a string")
            device = a
        elif isinstance(a, Tensor):
            dtype, device = a._dtype, a.device
        elif isinstance(a, bool):
            continue  # the positional non_blocking / copy flags
        elif isinstance(a, int):
            device = B.device(a)  # a bare int is a CUDA device index, as in PyTorch
        else:
            raise TypeError(f"to() received an invalid combination of arguments: "
                            f"{type(a).__name__}; expected a dtype, a device or a Tensor")
    return dtype, device, copy


def _new_filled(t, size, value, dtype, requires_grad, device=None):
    d = dtype or t._dtype
    array = B.np.full(_shape_arg(size) if size else (), value, d.np)
    target = B.device_of(t._data) if device is None else B.get_device(device)
    return Tensor._make(B.to_device(array, target), requires_grad)


def _not_on_host(t):
    return TypeError(f"can't convert a tensor on {t.device} to a NumPy array: NumPy arrays live "
                     f"in host memory. Copy the tensor there first: tensor.cpu().numpy()")


# the op modules use Tensor, so they are imported once it exists
from .autograd import check_mode as _check  # noqa: E402
from .autograd.grad_mode import _state as _grad_state  # noqa: E402
from .ops import activation as _R  # noqa: E402
from .ops import arithmetic as _A  # noqa: E402
from .ops import elementwise as _E  # noqa: E402
from .ops import indexing as _I  # noqa: E402
from .ops import inplace as _P  # noqa: E402
from .ops import linalg as _L  # noqa: E402
from .ops import reduction as _S  # noqa: E402
from .ops import shape as _V  # noqa: E402
