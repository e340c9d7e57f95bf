"""The op database: one entry per built-in op, driving the generic tests in test_ops.py.

Each entry holds one expression ``fn(lib, *args)`` written once and evaluated with ``lib`` set
to numtorch (our callable, ``OpInfo.op``) or to torch (the reference, ``OpInfo.ref``), so both
sides run the same call. Sample inputs are NumPy arrays that the tests turn into tensors of
either library; floating-point arrays become differentiable inputs.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import numtorch

FLOATS = ("float32", "float64")
ALL = ("float32", "float64", "int64")


class Const:
    """A sample argument turned into a tensor that never requires grad (indices, masks)."""

    def __init__(self, array):
        self.array = np.asarray(array)

    def __repr__(self) -> str:
        return f"Const({self.array.tolist()!r})"


@dataclass
class Sample:
    """One call: positional arguments (arrays, ``Const`` or plain values) and a label.

    ``fd=False`` marks samples placed on a kink (relu at 0, clamp at its bounds), where only
    the comparison with PyTorch is meaningful, not finite differences. ``same_name=False``
    marks calls where PyTorch names its node after a variant (``RsubBackward1`` for
    ``2.5 - x``) that numtorch records with the op's one Function. ``gradgrad=False`` skips
    the second-derivative comparison where PyTorch's own result is NaN.
    """

    args: tuple
    desc: str
    fd: bool = True
    same_name: bool = True
    gradgrad: bool = True

    def __repr__(self) -> str:
        return self.desc


class Maker:
    """Builds sample arrays of one dtype inside an op's input domain."""

    def __init__(self, dtype: str, domain: tuple, seed: int = 0):
        self.dtype = np.dtype(dtype)
        self.domain = domain
        self.rng = np.random.default_rng(seed)

    def __call__(self, *shape, low=None, high=None, noncontig=False, dtype=None):
        """A random array; ``noncontig`` gives a strided view (every other last-dim entry)."""
        low = self.domain[0] if low is None else low
        high = self.domain[1] if high is None else high
        dt = self.dtype if dtype is None else np.dtype(dtype)
        full = shape[:-1] + (2 * shape[-1],) if noncontig and shape else shape
        values = self.rng.uniform(low, high, size=full)
        if dt.kind in "iu":
            values = np.rint(values)
        array = np.asarray(values).astype(dt)
        if noncontig and shape:
            array = array[..., ::2]
            assert not array.flags.c_contiguous or array.size <= 1
        return array


@dataclass
class OpInfo:
    """One op: the shared expression, its samples, domain, dtypes and tolerances.

    Args:
        name: test id.
        fn: ``fn(lib, *args)`` computing the op with ``lib`` numtorch or torch.
        samples: ``samples(make)`` returning a list of ``Sample``; ``make`` is a ``Maker``.
        domain: (low, high) of the random inputs, where the op is smooth and defined.
        dtypes: the dtypes the forward comparison sweeps.
        differentiable: whether gradients are compared (False for comparisons).
        gradgrad: whether second derivatives are compared (create_graph=True).
        tol: (rtol, atol) per dtype for values and gradients against PyTorch.
        errors: ``errors(make)`` giving samples on which both libraries must raise the same
            exception type.
        same_name: whether ``grad_fn.name()`` matches PyTorch's for every sample.
    """

    name: str
    fn: Callable
    samples: Callable
    domain: tuple = (-2.0, 2.0)
    dtypes: tuple = FLOATS
    differentiable: bool = True
    gradgrad: bool = True
    tol: dict = field(default_factory=lambda: {"float32": (1e-5, 1e-5),
                                               "float64": (1e-10, 1e-12),
                                               "int64": (0, 0)})
    errors: Callable | None = None
    same_name: bool = True

    @property
    def op(self) -> Callable:
        """Our callable."""
        return functools.partial(self.fn, numtorch)

    def ref(self, torch) -> Callable:
        """PyTorch's callable."""
        return functools.partial(self.fn, torch)

    def __repr__(self) -> str:
        return self.name


# ---- sample generators ----------------------------------------------------------------------

def binary_samples(make, scalar=2.5):
    """Same shapes, broadcasting, 0-d, non-contiguous and Python-number operands."""
    return [
        Sample((make(3, 4), make(3, 4)), "same shape"),
        Sample((make(3, 1), make(1, 4)), "broadcast both"),
        Sample((make(2, 3, 4), make(4)), "broadcast leading"),
        Sample((make(4), make(2, 3, 4)), "broadcast first"),
        Sample((make(), make(3)), "0-d with 1-d"),
        Sample((make(2, 3), make()), "1-d with 0-d"),
        Sample((make(), make()), "both 0-d"),
        Sample((make(3, 4, noncontig=True), make(3, 4)), "non-contiguous"),
        Sample((make(3, 4).T, make(4, 1, noncontig=True)), "transposed, broadcast"),
        Sample((make(2, 3), scalar), "tensor, python number"),
        Sample((scalar, make(2, 3)), "python number, tensor", same_name=False),
        Sample((make(2, 3), make(3, dtype="float64")), "mixed float32/float64"),
    ]


def unary_samples(make):
    return [
        Sample((make(3, 4),), "2-d"),
        Sample((make(),), "0-d"),
        Sample((make(5),), "1-d"),
        Sample((make(3, 4, noncontig=True),), "non-contiguous"),
        Sample((make(2, 3, 4).transpose(2, 0, 1),), "permuted"),
    ]


def pow_scalar_samples(make):
    return [
        Sample((make(3, 4, low=-2, high=2), 2), "x ** 2"),
        Sample((make(3, 4, low=-2, high=2), 3), "x ** 3"),
        Sample((make(), 2), "0-d ** 2"),
        Sample((make(3, 4, low=0.5, high=2), 0.5), "x ** 0.5"),
        Sample((make(3, 4, low=0.5, high=2), -1.5), "x ** -1.5"),
        Sample((make(3, 4, low=-2, high=2), 0), "x ** 0"),
        Sample((make(3, 4, low=-2, high=2), 1), "x ** 1"),
        Sample((make(3, 4, low=0.5, high=2, noncontig=True), 2.5), "non-contiguous ** 2.5"),
        Sample((np.array([0.0, 1.0, -1.0], make.dtype), 2), "zero base ** 2", fd=True),
    ]


def pow_samples(make):
    return [
        Sample((make(3, 4), make(3, 4, low=-2, high=2)), "same shape"),
        Sample((make(3, 1), make(1, 4, low=-2, high=2)), "broadcast"),
        Sample((make(), make(3, low=-2, high=2)), "0-d base"),
        Sample((make(2, 3), make(low=-2, high=2)), "0-d exponent"),
        Sample((make(3, 4, noncontig=True), make(4, low=-2, high=2)), "non-contiguous"),
        Sample((np.array([0.0, 0.0, 2.0], make.dtype), np.array([0.0, 2.0, 0.0], make.dtype)),
               "zero base and zero exponent", fd=False, gradgrad=False),
    ]


def rpow_samples(make):
    return [
        Sample((2.0, make(3, 4, low=-2, high=2)), "2.0 ** x"),
        Sample((0.5, make(low=-2, high=2)), "0.5 ** 0-d"),
        Sample((3.0, make(3, 4, low=-2, high=2, noncontig=True)), "3.0 ** non-contiguous"),
    ]


def matmul_samples(make):
    return [
        Sample((make(3, 4), make(4, 5)), "matrix @ matrix"),
        Sample((make(4), make(4)), "vector @ vector"),
        Sample((make(4), make(4, 5)), "vector @ matrix"),
        Sample((make(3, 4), make(4)), "matrix @ vector"),
        Sample((make(2, 3, 4), make(4, 5)), "batch @ matrix"),
        Sample((make(4, 5), make(2, 5, 3)), "matrix @ batch"),
        Sample((make(2, 3, 4), make(2, 4, 5)), "batch @ batch"),
        Sample((make(2, 1, 3, 4), make(3, 4, 2)), "broadcast batches"),
        Sample((make(2, 3, 4), make(4)), "batch @ vector"),
        Sample((make(4), make(2, 4, 3)), "vector @ batch"),
        Sample((make(3, 4, noncontig=True), make(5, 4).T), "non-contiguous"),
    ]


def matmul_errors(make):
    return [
        Sample((make(3, 4), make(5, 2)), "inner size mismatch"),
        Sample((make(), make(3)), "0-d operand"),
    ]


def mm_samples(make):
    return [
        Sample((make(3, 4), make(4, 5)), "matrices"),
        Sample((make(1, 4), make(4, 1)), "row @ column"),
        Sample((make(3, 4, noncontig=True), make(5, 4).T), "non-contiguous"),
    ]


def mm_errors(make):
    return [
        Sample((make(3, 4), make(5, 2)), "inner size mismatch"),
        Sample((make(3, 4), make(4)), "vector operand"),
    ]


def clamp_samples(make):
    kink = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], make.dtype)
    return [
        Sample((make(3, 4), -0.5, 0.5), "min and max"),
        Sample((make(3, 4), -0.5, None), "min only"),
        Sample((make(3, 4), None, 0.5), "max only"),
        Sample((make(), -0.5, 0.5), "0-d"),
        Sample((make(3, 4, noncontig=True), -1, 1), "non-contiguous, int bounds"),
        Sample((kink, -0.5, 0.5), "values on the bounds", fd=False),
        Sample((make(3, 4), 0.5, -0.5), "min > max", fd=False),
    ]


def clamp_errors(make):
    return [Sample((make(3), None, None), "no bounds")]


def relu_samples(make):
    return unary_samples(make) + [
        Sample((np.array([-1.0, 0.0, 1.0], make.dtype),), "zero", fd=False)]


def abs_samples(make):
    return unary_samples(make) + [
        Sample((np.array([-1.0, 0.0, 1.0], make.dtype),), "zero", fd=False)]


def reduce_samples(make):
    return [
        Sample((make(3, 4), None, False), "all"),
        Sample((make(3, 4), 0, False), "dim 0"),
        Sample((make(3, 4), -1, True), "dim -1 keepdim"),
        Sample((make(2, 3, 4), (0, 2), False), "dims (0, 2)"),
        Sample((make(2, 3, 4), (-1, 1), True), "dims (-1, 1) keepdim"),
        Sample((make(), None, False), "0-d"),
        Sample((make(), 0, False), "0-d dim 0"),
        Sample((make(3, 4, noncontig=True), 1, False), "non-contiguous"),
        Sample((make(3, 0), 1, False), "empty dim"),
    ]


def reduce_errors(make):
    return [
        Sample((make(3, 4), 2, False), "dim out of range"),
        Sample((make(3, 4), (0, 0), False), "repeated dim"),
    ]


def mean_samples(make):
    return [s for s in reduce_samples(make) if s.desc != "empty dim"]


def mean_errors(make):
    return reduce_errors(make) + [Sample((make(3, dtype="int64"), None, False), "integer input")]


def reshape_samples(make):
    return [
        Sample((make(3, 4), (2, 6)), "2-d to 2-d"),
        Sample((make(3, 4), (-1,)), "flatten with -1"),
        Sample((make(2, 3, 4), (4, -1, 2)), "inferred middle"),
        Sample((make(), (1, 1)), "0-d to (1, 1)"),
        Sample((make(1), ()), "(1,) to 0-d"),
        Sample((make(3, 4, noncontig=True), (12,)), "non-contiguous"),
        Sample((make(4, 3).T, (2, 6)), "transposed"),
    ]


def reshape_errors(make):
    return [
        Sample((make(3, 4), (5, 2)), "wrong numel"),
        Sample((make(3, 4), (-1, -1)), "two -1"),
    ]


def view_samples(make):
    return [s for s in reshape_samples(make) if s.desc not in ("non-contiguous", "transposed")]


def view_errors(make):
    return reshape_errors(make) + [Sample((make(4, 3).T, (12,)), "transposed needs a copy")]


def transpose_samples(make):
    return [
        Sample((make(3, 4), 0, 1), "2-d"),
        Sample((make(2, 3, 4), -1, 0), "3-d, negative dim"),
        Sample((make(2, 3, 4), 1, 1), "same dim"),
        Sample((make(3, 4, noncontig=True), 1, 0), "non-contiguous"),
        Sample((make(), 0, -1), "0-d"),
    ]


def transpose_errors(make):
    return [Sample((make(3, 4), 0, 2), "dim out of range")]


def t_samples(make):
    return [
        Sample((make(3, 4),), "2-d"),
        Sample((make(4),), "1-d"),
        Sample((make(),), "0-d"),
        Sample((make(3, 4, noncontig=True),), "non-contiguous"),
    ]


def t_errors(make):
    return [Sample((make(2, 3, 4),), "3-d")]


def matrix_samples(make):
    return [
        Sample((make(3, 4),), "2-d"),
        Sample((make(3, 4, noncontig=True),), "non-contiguous"),
    ]


def permute_samples(make):
    return [
        Sample((make(2, 3, 4), (2, 0, 1)), "3-d"),
        Sample((make(2, 3, 4), (-1, -3, 1)), "negative dims"),
        Sample((make(3, 4), (0, 1)), "identity"),
        Sample((make(), ()), "0-d"),
        Sample((make(2, 3, 4, noncontig=True), (1, 2, 0)), "non-contiguous"),
    ]


def permute_errors(make):
    return [
        Sample((make(2, 3, 4), (0, 1)), "too few dims"),
        Sample((make(2, 3, 4), (0, 1, 1)), "repeated dim"),
    ]


def expand_samples(make):
    return [
        Sample((make(3, 1), (3, 4)), "column"),
        Sample((make(3, 1), (2, 3, 4)), "new leading dim"),
        Sample((make(1), (2, 3)), "(1,) to 2-d"),
        Sample((make(), (2, 3)), "0-d"),
        Sample((make(3, 1), (-1, 4)), "-1 keeps a dim"),
        Sample((make(3, 4), (3, 4)), "same shape"),
        Sample((make(4, 2, noncontig=True)[:, :1], (4, 3)), "non-contiguous"),
    ]


def expand_errors(make):
    return [
        Sample((make(3, 2), (3, 4)), "non-singleton mismatch"),
        Sample((make(2, 3), (3,)), "fewer dims"),
    ]


def squeeze_samples(make):
    return [
        Sample((make(3, 1, 4, 1), None), "all"),
        Sample((make(3, 1, 4), 1), "dim 1"),
        Sample((make(3, 1, 4), 0), "non-singleton dim: no-op"),
        Sample((make(3, 1, 4, 1), -1), "negative dim"),
        Sample((make(), None), "0-d"),
        Sample((make(1, 1), None), "to 0-d"),
        Sample((make(3, 1, 4, noncontig=True), 1), "non-contiguous"),
    ]


def unsqueeze_samples(make):
    return [
        Sample((make(3, 4), 0), "front"),
        Sample((make(3, 4), -1), "back"),
        Sample((make(3, 4), 1), "middle"),
        Sample((make(), 0), "0-d"),
        Sample((make(3, 4, noncontig=True), -2), "non-contiguous"),
    ]


def unsqueeze_errors(make):
    return [Sample((make(3, 4), 3), "dim out of range")]


def getitem_samples(make):
    x = make(4, 5)
    mask = Const(np.array([True, False, True, True]))
    mask2d = Const(make.rng.uniform(size=(4, 5)) > 0.5)
    idx = Const(np.array([0, 2, 0, 3, 2], np.int64))
    idx2d = Const(np.array([[1, 1], [0, 3]], np.int64))
    cols = Const(np.array([4, 0, 4], np.int64))
    return [
        Sample((x, 1), "int"),
        Sample((x, -1), "negative int"),
        Sample((x, slice(1, 3)), "slice"),
        Sample((x, slice(None, None, 2)), "step slice"),
        Sample((x, (slice(None), 1)), "column"),
        Sample((x, (1, slice(1, 4))), "int, slice"),
        Sample((x, None), "None"),
        Sample((x, (Ellipsis, 2)), "Ellipsis, int"),
        Sample((x, (1, Ellipsis, None)), "int, Ellipsis, None"),
        Sample((x, mask), "bool mask over rows"),
        Sample((x, mask2d), "bool mask, full shape"),
        Sample((x, idx), "int tensor with repeats"),
        Sample((x, idx2d), "2-d int tensor"),
        Sample((x, (slice(None), cols)), "columns with repeats"),
        Sample((x, (idx, slice(1, 3))), "int tensor, slice"),
        Sample((x, (Const(np.array([0, 0, 3])), Const(np.array([1, 1, 2])))), "index pairs"),
        Sample((x, [0, 0, 2]), "list with repeats"),
        Sample((make(), None), "0-d, None"),
        Sample((make(), Ellipsis), "0-d, Ellipsis"),
        Sample((make(), ()), "0-d, ()"),
        Sample((make(4, 5, noncontig=True), (slice(1, None), idx)), "non-contiguous"),
        Sample((make(2, 3, 4), (Ellipsis, 1, 0)), "3-d, Ellipsis, ints"),
    ]


def getitem_errors(make):
    return [
        Sample((make(4, 5), 4), "int out of range"),
        Sample((make(4, 5), Const(np.array([0, 7]))), "tensor index out of range"),
        Sample((make(4, 5), (1, 2, 3)), "too many indices"),
        Sample((make(4, 5), 1.5), "float index"),
    ]


def setitem(lib, x, v, key):
    y = x * 1  # a non-leaf copy, so the in-place write is allowed and recorded
    y[key] = v
    return y


def setitem_samples(make):
    return [
        Sample((make(4, 5), make(5), 1), "row"),
        Sample((make(4, 5), make(), (slice(1, 3), 2)), "0-d value into a slice"),
        Sample((make(4, 5), make(2, 1), (slice(0, 2), slice(1, 4))), "broadcast block"),
        Sample((make(4, 5), make(), Const(np.array([True, False, True, False]))), "mask rows"),
        Sample((make(4, 5), make(3, 5), Const(np.array([3, 0, 1]))), "int tensor rows"),
        Sample((make(4, 5), make(2), (Const(np.array([0, 2])), Const(np.array([4, 1])))),
               "index pairs"),
        Sample((make(4, 5), 2.5, (Ellipsis, 0)), "python number"),
        Sample((make(4, 5, noncontig=True), make(4, 1), (slice(None), slice(0, 2))),
               "non-contiguous"),
    ]


def compare_samples(make):
    x = make(3, 4)
    return binary_samples(make) + [Sample((x, x.copy()), "equal values")]


# ---- the database ---------------------------------------------------------------------------

def _binary(name, fn, **kw):
    return OpInfo(name, fn, kw.pop("samples", binary_samples), dtypes=ALL, **kw)


def _unary(name, fn, **kw):
    return OpInfo(name, fn, kw.pop("samples", unary_samples), dtypes=kw.pop("dtypes", ALL), **kw)


def _compare(name, fn):
    return OpInfo(name, fn, compare_samples, dtypes=ALL, differentiable=False)


OPS = [
    _binary("add", lambda lib, x, y: x + y),
    _binary("add_alpha", lambda lib, x, y: lib.add(x, y, alpha=2)
            if not isinstance(x, float) else lib.add(y, x, alpha=2),
            samples=lambda make: [s for s in binary_samples(make)
                                  if not isinstance(s.args[0], float)]),
    _binary("sub", lambda lib, x, y: x - y),
    _binary("mul", lambda lib, x, y: x * y),
    _binary("div", lambda lib, x, y: x / y, domain=(0.5, 2.0)),
    OpInfo("neg", lambda lib, x: -x, unary_samples, dtypes=ALL),
    OpInfo("pow", lambda lib, x, y: x ** y, pow_samples, domain=(0.5, 2.0), same_name=False),
    OpInfo("pow_scalar", lambda lib, x, y: x ** y, pow_scalar_samples, dtypes=ALL,
           tol={"float32": (1e-5, 1e-5), "float64": (1e-10, 1e-12), "int64": (0, 0)}),
    OpInfo("rpow", lambda lib, s, x: s ** x, rpow_samples, same_name=False),
    OpInfo("pow_function", lambda lib, x, y: lib.pow(x, y), pow_samples, domain=(0.5, 2.0),
           same_name=False),
    OpInfo("matmul", lambda lib, x, y: x @ y, matmul_samples, errors=matmul_errors,
           same_name=False),
    OpInfo("mm", lambda lib, x, y: lib.mm(x, y), mm_samples, errors=mm_errors),
    OpInfo("clamp", lambda lib, x, lo, hi: lib.clamp(x, min=lo, max=hi), clamp_samples,
           errors=clamp_errors),
    OpInfo("sum", lambda lib, x, dim, keepdim: x.sum() if dim is None
           else x.sum(dim, keepdim=keepdim), reduce_samples, dtypes=ALL,
           errors=reduce_errors, same_name=False),
    OpInfo("mean", lambda lib, x, dim, keepdim: x.mean() if dim is None
           else x.mean(dim, keepdim=keepdim), mean_samples, errors=mean_errors,
           same_name=False),
    _unary("clone", lambda lib, x: x.clone()),
    _unary("relu", lambda lib, x: x.relu(), samples=relu_samples, dtypes=FLOATS),
    _unary("exp", lambda lib, x: x.exp()),
    _unary("log", lambda lib, x: x.log(), domain=(0.2, 3.0)),
    _unary("sqrt", lambda lib, x: x.sqrt(), domain=(0.2, 3.0)),
    _unary("sin", lambda lib, x: x.sin(), domain=(-4.0, 4.0)),
    _unary("cos", lambda lib, x: x.cos(), domain=(-4.0, 4.0)),
    _unary("tanh", lambda lib, x: x.tanh()),
    _unary("sigmoid", lambda lib, x: x.sigmoid(), domain=(-6.0, 6.0)),
    _unary("abs", lambda lib, x: x.abs(), samples=abs_samples),
    _compare("eq", lambda lib, x, y: x == y),
    _compare("ne", lambda lib, x, y: x != y),
    _compare("lt", lambda lib, x, y: x < y),
    _compare("le", lambda lib, x, y: x <= y),
    _compare("gt", lambda lib, x, y: x > y),
    _compare("ge", lambda lib, x, y: x >= y),
    OpInfo("reshape", lambda lib, x, shape: x.reshape(shape), reshape_samples, dtypes=ALL,
           errors=reshape_errors, same_name=False),
    OpInfo("view", lambda lib, x, shape: x.view(shape), view_samples, dtypes=ALL,
           errors=view_errors),
    OpInfo("transpose", lambda lib, x, d0, d1: x.transpose(d0, d1), transpose_samples,
           dtypes=ALL, errors=transpose_errors, same_name=False),
    OpInfo("t", lambda lib, x: x.t(), t_samples, dtypes=ALL, errors=t_errors,
           same_name=False),
    OpInfo("T", lambda lib, x: x.T, matrix_samples, dtypes=ALL),
    # torch's Tensor.permute() needs at least one argument: a 0-d tensor takes ()
    OpInfo("permute", lambda lib, x, dims: x.permute(*dims) if dims else x.permute(dims),
           permute_samples, dtypes=ALL, errors=permute_errors),
    OpInfo("expand", lambda lib, x, shape: x.expand(*shape), expand_samples, dtypes=ALL,
           errors=expand_errors),
    OpInfo("squeeze", lambda lib, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
           squeeze_samples, dtypes=ALL, same_name=False),
    OpInfo("unsqueeze", lambda lib, x, dim: x.unsqueeze(dim), unsqueeze_samples, dtypes=ALL,
           errors=unsqueeze_errors, same_name=False),
    OpInfo("getitem", lambda lib, x, key: x[key], getitem_samples, dtypes=ALL,
           errors=getitem_errors, same_name=False),
    # PyTorch records basic-index writes as CopySlices, numtorch as IndexPutBackward0
    OpInfo("setitem", setitem, setitem_samples, dtypes=FLOATS, same_name=False),
]

# the op library's entries live in one file per category
import op_db_activation  # noqa: E402
import op_db_elementwise  # noqa: E402
import op_db_linalg  # noqa: E402
import op_db_reduction  # noqa: E402
import op_db_shape  # noqa: E402

for _category in (op_db_elementwise, op_db_reduction, op_db_shape, op_db_linalg,
                  op_db_activation):
    OPS += _category.OPS

OPS_BY_NAME = {op.name: op for op in OPS}
assert len(OPS_BY_NAME) == len(OPS), "op names must be unique"
