"""``Function``, its ctx (which is also its graph node), ``apply``, and ``once_differentiable``."""
from __future__ import annotations

import functools
import inspect
import sys
import types
import weakref

from .. import _backend as B
from .. import _tensor
from . import anomaly_mode as _anomaly
from . import check_mode as _check
from . import forward_ad as _fw
from .grad_mode import _state
from .graph import _NOT_A_TENSOR, AccumulateGrad, Node, _sequence

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]


# ``needs_input_grad`` of a built-in op's call that is not recorded: False at every index (a
# plain tuple, as it is indexed on every such call; no call has anywhere near 1024 operands)
_NEVER_NEEDED = (False,) * 1024


class FunctionCtx(Node):
    """The ``ctx`` a Function's forward and backward receive; it is also the ``grad_fn`` node.

    One object per recorded call, as in PyTorch: ``ctx`` in forward is the node that backward
    later runs on. Arbitrary attributes may be set on it to pass values to backward.
    """

    # needs_input_grad is a slot (set on every call) so that most nodes never make a __dict__
    __slots__ = ("_saved", "_out_meta", "_inputs", "needs_input_grad", "__dict__")

    _forward_cls = None
    _materialize = True
    _non_diff = None
    _dirty = None

    def __init__(self):
        # Function.apply makes its nodes with object.__new__ and sets these itself
        self._saved = ()
        self._inputs = None
        self.needs_input_grad = _NEVER_NEEDED  # a call that is not recorded needs no gradient

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or None) for backward; read them back with ``ctx.saved_tensors``.

        In-place changes to a saved tensor before backward are detected and reported.
        """
        inputs = self._inputs
        Tensor = _tensor.Tensor
        if inputs is not None:
            # a built-in op's forward, which works on arrays, mostly its inputs': keep the
            # input tensor behind one (looked for first, as no Tensor or number is one)
            if self.needs_input_grad is _NEVER_NEEDED:
                return  # a call that is not recorded: no backward will read them
            saved = []
            for t in tensors:
                if t is not None:
                    for a in inputs:
                        if isinstance(a, Tensor) and a._data is t:
                            t = ("t", a, a._vc[0])
                            break
                    else:
                        t = _save_other(t, len(saved))
                saved.append(t)
            self._saved = tuple(saved)
            return
        saved = []
        for t in tensors:
            if t is None:
                saved.append(None)
                continue
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward can only save tensors (or None), but argument "
                    f"{len(saved)} is of type {type(t).__name__}; store other values as "
                    f"attributes: ctx.name = value")
            saved.append(("t", t, t._vc[0]))
        self._saved = tuple(saved)
        if hasattr(self, "_edges"):
            # a recorded user Function: its saved arrays stay read-only while saved
            _check.lock_saved(self, self._saved)

    def save_for_forward(self, *tensors) -> None:
        """Keep tensors (or None) for ``jvp``, where ``ctx.saved_tensors`` hands them back."""
        Tensor = _tensor.Tensor
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_forward can only save tensors (or None), but argument {i} is "
                    f"of type {type(t).__name__}; store other values as attributes: "
                    f"ctx.name = value")
        self._fw_saved = tuple(None if t is None else ("t", t, t._vc[0]) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked against in-place changes."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                f"{self.name()}: its saved tensors were freed when backward ran through this "
                f"graph, so it cannot run backward a second time (or hand out saved tensors "
                f"after that). Pass retain_graph=True to the first backward() or "
                f"autograd.grad() call if you need to go through the graph again.")
        out = []
        for s in saved:
            if s is None:
                out.append(None)
            elif s[0] == "t" and s[1]._vc[0] == s[2]:  # a tensor still at its saved version
                out.append(s[1])
            else:
                out.append(self._unpack(s))
        return tuple(out)

    @property
    def _freed(self) -> bool:
        """Whether backward has run and dropped the saved tensors."""
        return self._saved is None

    def _unpack(self, s):
        if s is None:
            return None
        kind = s[0]
        if kind == "t":
            t = s[1]
            if t._vc[0] != s[2]:
                raise _version_error(self, t, s[2])
            return t
        if kind == "n":
            return s[1]
        if kind == "o":  # an output of this node, saved without a reference cycle
            _, data, vc, version, nr, requires_grad = s
            t = _tensor.Tensor._make(data, requires_grad)
            t._vc = vc
            if vc[0] != version:
                raise _version_error(self, t, version, output=nr)
            if requires_grad:
                t._grad_fn = self
                if nr:
                    t._output_nr = nr
            return t
        return _tensor.Tensor._make(s[1])  # an intermediate array: a constant

    @property
    def saved_variables(self):
        return self.saved_tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare the input tensors that forward modified in place (they are returned too)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that have no gradient (e.g. indices); they will not require grad."""
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self._materialize = bool(value)

    @property
    def retain_graph(self) -> bool:
        """Inside backward: whether this backward pass keeps the graph (``retain_graph``)."""
        from .engine import _pass
        return _pass[0]

    @property
    def create_graph(self) -> bool:
        """Inside backward: whether this backward pass records a graph (``create_graph``)."""
        from .engine import _pass
        return _pass[1]

    def _release(self) -> None:
        """Drop the saved tensors once backward has run (unless the graph is retained)."""
        if self._saved:
            self._saved = None  # None marks it freed (``_freed``)
            if _check._locked and not self._forward_cls._raw:  # only user Functions lock
                _check.release_saved(self)


BackwardCFunction = FunctionCtx


def _release_on_collect(ctx) -> None:
    """A user Function's node is collected (its graph was dropped without backward): the
    arrays it saved become writable again."""
    if _check._locked:  # (nothing is locked: nothing to release)
        _check.release_saved(ctx)


def _save_other(t, i):
    """What a built-in op's forward saves that is not one of its inputs' arrays."""
    if isinstance(t, _tensor.Tensor):
        return ("t", t, t._vc[0])
    if isinstance(t, (int, float, bool)):
        return ("n", t)  # a Python-number operand
    if hasattr(t, "shape"):
        return ("a", t)  # an array computed in forward
    raise TypeError(
        f"save_for_backward can only save tensors (or None), but argument {i} is of type "
        f"{type(t).__name__}; store other values as attributes: ctx.name = value")


def _version_error(node, t, expected, output=None):
    d = t.dtype
    where = (f"output {output} of {node.name()}" if output is not None
             else _describe_origin(t))
    return RuntimeError(
        f"one of the tensors needed for gradient computation by {node.name()} was modified by "
        f"an in-place operation: [numtorch.{d._legacy} "
        f"{list(t.shape)}], which is {where}, is at version {t._vc[0]}; expected version "
        f"{expected} instead. Find the in-place operation (x.add_(), x += ..., x[i] = ...) "
        f"that changed it after it was saved and use its out-of-place form (x = x + ...), or "
        f"clone the tensor before modifying it.")


def _describe_origin(t):
    if t._grad_fn is None:
        return "a leaf tensor"
    return f"output {t._output_nr} of {t._grad_fn.name()}"


_STATIC_NAMES = ("forward", "backward", "vjp", "jvp", "setup_context", "vmap")

# set by numtorch.func while a transform runs: fn(cls, setup_style, args, kwargs) raising
# PyTorch's errors for Functions transforms cannot use, or giving the forward to run instead
# (a Function's own vmap rule)
transform_rule = None


class Function:
    """Base class for differentiable operations with a hand-written backward.

    Subclass it with ``@staticmethod`` ``forward(ctx, *args)`` and ``backward(ctx,
    *grad_outputs)`` and call it through ``MyFunction.apply(*args)``.

    Example::

        class MyReLU(numtorch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clamp(min=0)

            @staticmethod
            def backward(ctx, grad_output):
                x, = ctx.saved_tensors
                grad_input = grad_output.clone()
                grad_input[x < 0] = 0
                return grad_input
    """

    # built-in ops set _raw: their forward receives arrays for tensor arguments and returns
    # arrays; user Functions receive and return Tensors.
    _raw = False
    # ops whose outputs never have a gradient (comparisons) set this to False
    _differentiable = True
    _backward_cls = FunctionCtx
    _node_name = None
    # built-in ops whose trailing arguments are options (dims, shapes) set how many leading
    # arguments are operands, so next_functions lists only those
    _num_inputs = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _STATIC_NAMES:
            member = cls.__dict__.get(name)
            if isinstance(member, types.FunctionType):
                params = "ctx, *grad_outputs" if name in ("backward", "vjp") else "ctx, ..."
                raise TypeError(
                    f"{cls.__name__}.{name} must be a static method: write @staticmethod on "
                    f"the line above 'def {name}({params})'. Functions are called through "
                    f"{cls.__name__}.apply(...), never as instances.")
        if "vjp" in cls.__dict__ and "backward" not in cls.__dict__:
            cls.backward = cls.__dict__["vjp"]
        name = cls.__dict__.get("_node_name") or f"{cls.__name__}Backward"
        members = {"__slots__": (), "_forward_cls": cls, "__module__": cls.__module__,
                   "_num_inputs": getattr(cls, "_num_inputs", None)}
        if not getattr(cls, "_raw", False):
            members["__del__"] = _release_on_collect  # user Functions lock their saved arrays
        cls._backward_cls = type(name, (FunctionCtx,), members)

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        name = type(self).__name__
        raise RuntimeError(
            f"{name} was called as an instance ({name}()(...)), the legacy style that "
            f"autograd no longer supports. Call it through the class instead: "
            f"{name}.apply(...), e.g. 'relu = {name}.apply; y = relu(x)'.")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for a custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or the vjp method of your custom "
            "autograd.Function to use it with backward-mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError(
            "You must implement the jvp function of your custom autograd.Function to use it "
            "with forward-mode AD: jvp(ctx, *grad_inputs) returns one tangent per output.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward and, when any input requires grad, record the node for backward."""
        Tensor = _tensor.Tensor
        if cls._raw and not _fw._enabled:
            # the built-in ops' path, kept short (it is the per-op overhead): unwrap the
            # tensors and, when grad mode is on, build the edges of those that require grad
            ctx = _new(cls._backward_cls)
            ctx._saved = ()
            ctx._inputs = args
            ctx.needs_input_grad = _NEVER_NEEDED
            record = _state.enabled and cls._differentiable
            edges = None
            if len(args) == 2 and not kwargs:  # binary ops, the most common: no loops
                x, y = args
                ex = ey = None
                if isinstance(x, Tensor):
                    if x._requires_grad and record:
                        fn = x._grad_fn
                        ex = (fn, x._output_nr, x._data.shape, x._dtype) \
                            if fn is not None and x._view_version is None else _edge(x)
                    x = x._data
                if isinstance(y, Tensor):
                    if y._requires_grad and record:
                        fn = y._grad_fn
                        ey = (fn, y._output_nr, y._data.shape, y._dtype) \
                            if fn is not None and y._view_version is None else _edge(y)
                    y = y._data
                if ex is not None or ey is not None:
                    ctx._edges = edges = (ex, ey)
                    ctx.needs_input_grad = _NEEDS_2[ex is not None][ey is not None]
                try:
                    out = cls.forward(ctx, x, y)
                except Exception:
                    out = _forward_on_one_device(cls, ctx, [x, y], kwargs)
            elif len(args) == 1 and not kwargs:  # unary ops, as binary ones
                x, = args
                if isinstance(x, Tensor):
                    if x._requires_grad and record:
                        fn = x._grad_fn
                        ctx._edges = edges = ((fn, x._output_nr, x._data.shape, x._dtype)
                                              if fn is not None and x._view_version is None
                                              else _edge(x),)
                        ctx.needs_input_grad = _NEEDS_1
                    x = x._data
                try:
                    out = cls.forward(ctx, x)
                except Exception:
                    out = _forward_on_one_device(cls, ctx, [x], kwargs)
            else:
                arrays = []
                i = 0
                for a in args:
                    if isinstance(a, Tensor):
                        arrays.append(a._data)
                        if a._requires_grad and record:
                            if edges is None:
                                edges = [None] * len(args)
                            fn = a._grad_fn
                            edges[i] = (fn, a._output_nr, a._data.shape, a._dtype) \
                                if fn is not None and a._view_version is None else _edge(a)
                    else:
                        arrays.append(a)
                    i += 1
                if edges is not None:
                    ctx._edges = edges
                    ctx.needs_input_grad = tuple([e is not None for e in edges])
                try:
                    # calls with a fixed number of arguments cost less than *-calls
                    if kwargs:
                        out = cls.forward(ctx, *arrays, **kwargs)
                    elif i == 3:
                        out = cls.forward(ctx, arrays[0], arrays[1], arrays[2])
                    else:
                        out = cls.forward(ctx, *arrays)
                except Exception:
                    out = _forward_on_one_device(cls, ctx, arrays, kwargs)
            ctx._inputs = None
            if type(out) is not _ndarray:
                out = _wrap_arrays(out)
                return out if edges is None else _record(ctx, args, out, raw=True)
            # one fresh output array, the common case: Tensor._make and _record inline
            o = _new(Tensor)
            o._data = out
            dtype = _FROM_NUMPY.get(out.dtype)
            o._dtype = dtype if dtype is not None else _dtype_of(out)  # (which raises)
            o._vc = [0]
            if edges is None or not dtype.is_floating_point:
                o._requires_grad = False
                o._grad_fn = None
                return o
            o._requires_grad = True
            o._grad_fn = ctx
            ctx._seq = next(_sequence)
            ctx._out_meta = ((out.shape, dtype),)
            if _anomaly._enabled:
                _anomaly.capture(ctx)
            for s in ctx._saved:
                # an array that forward saved may be the output: keep it by its data (no cycle)
                if s is not None and s[0] == "a" and s[1] is out:
                    ctx._saved = tuple(_detach_saved_output(s, (o,)) for s in ctx._saved)
                    break
            return o
        raw = cls._raw
        setup_style = not raw and cls.setup_context is not Function.setup_context
        if setup_style:
            # NOTE: as in PyTorch, setup_context's ``inputs`` holds every parameter of forward,
            # defaults included, so forward's signature is bound here (this style only).
            bound = _signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        # keyword arguments are inputs too: they get a gradient slot after the positional ones
        inputs = args + tuple(kwargs.values()) if kwargs and not raw else args
        record = False
        ctx = _new(cls._backward_cls)
        ctx._saved = ()
        ctx.needs_input_grad = _NEVER_NEEDED
        enabled = _state.enabled
        if enabled and cls._differentiable:
            # one pass finds the edges and whether any input needs a gradient
            edges = []
            needs = []
            for a in inputs:
                if isinstance(a, Tensor):
                    e = _edge(a) if a._requires_grad else None
                    edges.append(e)
                    needs.append(e is not None)
                    record = record or e is not None
                else:
                    edges.append(None if raw else _NOT_A_TENSOR)
                    needs.append(False)
            if record:
                ctx._edges = edges
                ctx.needs_input_grad = tuple(needs)
        if not record and not raw:
            # reported even when nothing is recorded (under no_grad), as PyTorch does
            ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a._requires_grad
                                          for a in inputs])
        if _fw._enabled:  # a forward-mode AD level is active: tangents go through jvp
            return _fw.dual_apply(cls, ctx, args, kwargs, inputs, record, setup_style)
        # (built-ins without a dual level took the short path above: only user Functions here)
        forward = cls.forward
        if transform_rule is not None:  # inside numtorch.func transforms: vmap rules, errors
            forward = transform_rule(cls, setup_style, args, kwargs) or forward
        if _check._enabled and not _check._busy:  # user Functions only: built-ins never test it
            return _check.checked_apply(cls, args, kwargs)
        ctx._inputs = None
        prev = _state.enabled
        _state.enabled = False
        try:
            if setup_style:
                out = forward(*args, **kwargs)
                cls.setup_context(ctx, inputs, out)
            elif kwargs:  # transform_rule refuses user Functions of this style, as PyTorch does
                out = forward(ctx, *args, **kwargs)
            else:
                out = forward(ctx, *args)
        finally:
            _state.enabled = prev
        if not record:
            for t in ctx._dirty or ():
                t._vc[0] += 1  # mark_dirty counts as an in-place change, recorded or not
            return out
        f = sys._getframe(1)  # where the user applied it, for every later error message
        ctx._applied_at = (f.f_code.co_filename, f.f_lineno)
        if cls not in _check._attributes_checked:
            _check.warn_tensor_attributes(cls, ctx)
        return _record(ctx, inputs, out, raw=False)


def _forward_on_one_device(cls, ctx, arrays, kwargs):
    """A built-in's forward raised. Operands on two devices make the array library fail: then
    raise PyTorch's RuntimeError naming the devices, or move 0-d CPU operands to the GPU (as
    numbers, they mix with CUDA tensors) and run forward again. Otherwise re-raise."""
    retry = getattr(sys.exc_info()[1], "retry_batched", None)
    if retry is not None:  # vmap: batched values written into an unbatched array
        return retry(cls.forward, ctx, arrays, kwargs)
    moved = B.same_device_operands(cls.__name__, arrays)
    if moved is None:
        raise  # the error being handled: devices were not the problem
    return cls.forward(ctx, *moved, **kwargs)


@functools.lru_cache(maxsize=256)
def _signature(forward) -> inspect.Signature:
    return inspect.signature(forward)


_ndarray = B.np.ndarray
_new = object.__new__
# needs_input_grad of a binary op, by whether each operand needs a gradient (shared tuples)
_NEEDS_2 = (((False, False), (False, True)), ((True, False), (True, True)))
_NEEDS_1 = (True,)
_dtype_of = B.dtype_of
_FROM_NUMPY = B._FROM_NUMPY


def _wrap_arrays(out):
    make = _tensor.Tensor._make
    if type(out) is tuple:
        return tuple(make(B.as_array(o)) if o is not None else None for o in out)
    return make(B.as_array(out))


def _edge(a):
    """The edge from a new node to input ``a``: its grad_fn, its leaf accumulator, or None."""
    if not a._requires_grad:
        return None
    if a._view_version is not None and a._view_version != a._vc[0]:
        from ..ops.inplace import refresh_view
        refresh_view(a)
    fn = a._grad_fn
    if fn is None:
        acc = a._accum_ref() if a._accum_ref is not None else None
        if acc is None:
            acc = AccumulateGrad(a)
            a._accum_ref = weakref.ref(acc)
        return (acc, 0, a._data.shape, a._dtype)
    return (fn, a._output_nr, a._data.shape, a._dtype)


def _record(ctx, args, out, raw):
    """Connect the outputs of a forward that needs a gradient to the graph through ``ctx``."""
    Tensor = _tensor.Tensor
    ctx._seq = next(_sequence)
    if _anomaly._enabled:
        _anomaly.capture(ctx)
    if ctx._dirty is None and ctx._non_diff is None and isinstance(out, Tensor):
        # one output, neither modified in place nor non-differentiable: the common case
        if not raw and (out._grad_fn is not None or out._requires_grad or _holds(args, out)):
            out = out._alias()  # an input (or a tensor from outside) returned as it is
        if out._dtype.is_floating_point:
            out._grad_fn = ctx
            if out._output_nr:
                out._output_nr = 0
            out._requires_grad = True
        else:
            out._requires_grad = False
        ctx._out_meta = ((out._data.shape, out._dtype),)
        for s in ctx._saved:
            # a saved tensor (or array) that is the output: keep it by its data (no cycle)
            if s is not None and (s[1] is out or s[1] is out._data):
                ctx._saved = tuple(_detach_saved_output(s, (out,)) for s in ctx._saved)
                break
        return out

    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    non_diff = ctx._non_diff
    dirty = ctx._dirty
    meta = []
    results = []
    nr = -1
    for o in outs:
        nr += 1
        if not isinstance(o, Tensor):
            meta.append(None)
            results.append(o)
            continue
        if dirty is not None and _holds(dirty, o):
            _check_dirty(ctx, o)
            o._vc[0] += 1  # PyTorch counts mark_dirty as one more in-place change
        elif not raw and (o._grad_fn is not None or o._requires_grad or _holds(args, o)):
            o = o._alias()  # an input (or a tensor from outside) returned as it is
        differentiable = (o._dtype.is_floating_point
                          and not (non_diff is not None and _holds(non_diff, o)))
        if differentiable:
            o._grad_fn = ctx
            if o._output_nr != nr:  # (0 is the class default: no __dict__ for most outputs)
                o._output_nr = nr
            o._requires_grad = True
        else:
            o._requires_grad = False
        meta.append((o._data.shape, o._dtype))
        results.append(o)
    ctx._out_meta = meta
    saved = ctx._saved
    if saved:
        for s in saved:
            if s is not None and _saved_output_nr(s, results) is not None:
                ctx._saved = tuple(_detach_saved_output(s, results) for s in saved)
                break
    return results[0] if single else tuple(results)


def _holds(seq, o) -> bool:
    """Whether ``o`` itself is in ``seq`` (``in`` would compare tensors elementwise)."""
    for x in seq:
        if x is o:
            return True
    return False


def _check_dirty(ctx, t):
    if t._grad_fn is None and t._requires_grad:
        raise RuntimeError(
            f"{ctx.name()}: a leaf tensor that requires grad was modified in place by forward "
            f"(it was passed to ctx.mark_dirty). Clone it before modifying it, or run the call "
            f"under numtorch.no_grad().")


def _detach_saved_output(s, outputs):
    """Save an output by its data, not the tensor, so output -> node -> output is no cycle."""
    nr = None if s is None else _saved_output_nr(s, outputs)
    if nr is None:
        return s
    o = outputs[nr]
    return ("o", o._data, o._vc, o._vc[0], nr, o._requires_grad)


def _saved_output_nr(s, outputs):
    """Which of ``outputs`` the saved entry ``s`` (not None) holds, or None."""
    kind, target = s[0], s[1]
    nr = 0
    for o in outputs:
        if o is target if kind == "t" else kind == "a" and getattr(o, "_data", None) is target:
            return nr
        nr += 1
    return None


def once_differentiable(fn):
    """Decorate a backward that cannot itself be differentiated (e.g. written with NumPy).

    The backward runs without recording; differentiating its result again raises an error.
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = _state.enabled
        _state.enabled = False
        try:
            outputs = fn(ctx, *args)
        finally:
            _state.enabled = prev
        if not prev:
            return outputs
        Tensor = _tensor.Tensor
        if not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        name = ctx.name()
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_DelayedError.apply(o, name, args) if isinstance(o, Tensor) else o
                        for o in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped
    wrapper._once_differentiable = True  # check mode skips its double-backward check
    return wrapper


class _DelayedError(Function):
    """Stands for the gradient of a once_differentiable backward; differentiating it raises."""

    _node_name = "Error"  # PyTorch's node type name

    @staticmethod
    def forward(ctx, grad, name, inputs):
        ctx.fn_name = name
        return grad

    @staticmethod
    def backward(ctx, grad_output):
        raise RuntimeError(
            f"{ctx.fn_name}'s backward is decorated with @once_differentiable, so it cannot be "
            f"differentiated again (a second-order gradient through it was asked for). Write "
            f"its backward with differentiable tensor operations and drop the decorator.")

    @classmethod
    def apply(cls, grad, name, inputs):
        ctx = cls._backward_cls()
        ctx._saved = ()
        ctx._inputs = None
        ctx.fn_name = name
        ctx._edges = [_edge(a) if isinstance(a, _tensor.Tensor) else None for a in inputs]
        return _record(ctx, inputs, grad._alias(), raw=True)
