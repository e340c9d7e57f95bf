"""numtorch: PyTorch's API with reverse-mode autograd and custom Functions, on NumPy."""
from __future__ import annotations

import importlib as _importlib

from . import _malloc, autograd
from ._backend import bool_ as bool
from ._backend import device, dtype, float16, float32, float64, int8, int16, int32, int64, uint8
from ._creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from ._functions import (
    abs,
    add,
    clone,
    cos,
    detach,
    div,
    divide,
    eq,
    exp,
    flatten,
    ge,
    gt,
    is_floating_point,
    is_tensor,
    le,
    log,
    lt,
    matmul,
    mean,
    mm,
    mul,
    multiply,
    ne,
    neg,
    negative,
    numel,
    permute,
    pow,
    relu,
    reshape,
    result_type,
    sigmoid,
    sin,
    sqrt,
    squeeze,
    sub,
    subtract,
    sum,
    t,
    tanh,
    transpose,
    true_divide,
    unsqueeze,
)
from ._methods import activation as _m_activation  # noqa: F401
from ._methods import elementwise as _m_elementwise  # noqa: F401
from ._methods import linalg as _m_linalg  # noqa: F401
from ._methods import reduction as _m_reduction  # noqa: F401
from ._methods import shape as _m_shape  # noqa: F401
from ._methods.activation import (  # noqa: F401
    celu,
    celu_,
    hardshrink,
    log_softmax,
    prelu,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    softmax,
    threshold,
    threshold_,
)

# ---- op library (issue 3): each category adds its function forms here ----
from ._methods.elementwise import (  # noqa: F401
    abs_,
    absolute,
    acos,
    addcdiv,
    addcmul,
    arccos,
    arcsin,
    arctan,
    arctan2,
    asin,
    atan,
    atan2,
    ceil,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    cosh,
    erf,
    erfc,
    exp2,
    exp_,
    expm1,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    hypot,
    lerp,
    log1p,
    log2,
    log10,
    logit,
    maximum,
    minimum,
    nan_to_num,
    neg_,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sign,
    sinh,
    sqrt_,
    square,
    tan,
    trunc,
    where,
)
from ._methods.elementwise_logical import (  # noqa: F401
    allclose,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    equal,
    greater,
    greater_equal,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
)
from ._methods.linalg import (  # noqa: F401
    addbmm,
    addmm,
    addmv,
    baddbmm,
    bmm,
    cross,
    det,
    dot,
    einsum,
    ger,
    inner,
    inverse,
    kron,
    logdet,
    matrix_power,
    mv,
    norm,
    outer,
    pinverse,
    slogdet,
    tensordot,
    trace,
    vdot,
)
from ._methods.reduction import (  # noqa: F401
    all,
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    argsort,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    kthvalue,
    logsumexp,
    max,
    median,
    min,
    mode,
    msort,
    nanmean,
    nanmedian,
    nansum,
    prod,
    sort,
    std,
    std_mean,
    topk,
    var,
    var_mean,
)
from ._methods.shape import (  # noqa: F401
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    diag,
    diag_embed,
    diagonal,
    dstack,
    flip,
    fliplr,
    flipud,
    gather,
    hstack,
    index_add,
    index_copy,
    index_fill,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    roll,
    scatter,
    scatter_add,
    select,
    split,
    stack,
    swapaxes,
    swapdims,
    take,
    take_along_dim,
    tile,
    tril,
    triu,
    unbind,
    unflatten,
    vstack,
)
from ._promotion import can_cast, get_default_dtype, promote_types, set_default_dtype
from ._tensor import Size, Tensor
from .autograd.anomaly_mode import (
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

# ---- end of op library ----

__version__ = "0.1.0"

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

__all__ = [
    "autograd", "cuda", "func", "linalg", "nn", "optim", "utils", "viz", "Tensor", "Size", "dtype",
    "device",
    "bool", "float16",
    "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "float", "double", "half",
    "long", "int", "short", "Generator", "arange", "as_tensor", "default_generator", "empty",
    "empty_like", "eye", "from_numpy", "full", "full_like", "get_rng_state", "initial_seed",
    "linspace", "manual_seed", "ones", "ones_like", "rand", "rand_like", "randint", "randint_like",
    "randn", "randn_like", "seed", "set_rng_state", "tensor", "zeros", "zeros_like", "abs", "add",
    "clamp", "clip", "clone", "cos", "detach", "div", "divide", "eq", "exp", "flatten", "ge", "gt",
    "is_floating_point", "is_tensor", "le", "log", "lt", "matmul", "mean", "mm", "mul", "multiply",
    "ne", "neg", "negative", "numel", "permute", "pow", "relu", "reshape", "sigmoid", "sin",
    "sqrt", "squeeze", "sub", "subtract", "sum", "t", "tanh", "transpose", "true_divide",
    "unsqueeze", "where", "get_default_dtype", "promote_types", "result_type", "can_cast",
    "set_default_dtype", "enable_grad", "inference_mode", "is_grad_enabled", "no_grad",
    "set_grad_enabled", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
    "set_detect_anomaly", "save", "load", "vmap",
    "celu", "celu_", "hardshrink", "log_softmax", "prelu", "relu_", "rrelu", "rrelu_", "selu",
    "selu_", "softmax", "threshold", "threshold_", "abs_", "absolute", "acos", "addcdiv",
    "addcmul", "arccos", "arcsin", "arctan", "arctan2", "asin", "atan", "atan2", "ceil",
    "clamp_max", "clamp_min", "cosh", "erf", "erfc", "exp2", "exp_", "expm1", "fix", "floor",
    "floor_divide", "fmod", "frac", "hypot", "lerp", "log1p", "log2", "log10", "logit", "maximum",
    "minimum", "nan_to_num", "neg_", "reciprocal", "remainder", "round", "rsqrt", "sign", "sinh",
    "sqrt_", "square", "tan", "trunc", "allclose", "bitwise_and", "bitwise_left_shift",
    "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "equal", "greater",
    "greater_equal", "isclose", "isfinite", "isinf", "isnan", "isneginf", "isposinf", "less",
    "less_equal", "logical_and", "logical_not", "logical_or", "logical_xor", "not_equal", "addbmm",
    "addmm", "addmv", "baddbmm", "bmm", "cross", "det", "dot", "einsum", "ger", "inner", "inverse",
    "kron", "logdet", "matrix_power", "mv", "norm", "outer", "pinverse", "slogdet", "tensordot",
    "trace", "vdot", "all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "argsort",
    "count_nonzero", "cummax", "cummin", "cumprod", "cumsum", "kthvalue", "logsumexp", "max",
    "median", "min", "mode", "msort", "nanmean", "nanmedian", "nansum", "prod", "sort", "std",
    "std_mean", "topk", "var", "var_mean", "atleast_1d", "atleast_2d", "atleast_3d",
    "broadcast_shapes", "broadcast_tensors", "broadcast_to", "cat", "chunk", "concat",
    "concatenate", "diag", "diag_embed", "diagonal", "dstack", "flip", "fliplr", "flipud",
    "gather", "hstack", "index_add", "index_copy", "index_fill", "index_select", "masked_fill",
    "masked_scatter", "masked_select", "meshgrid", "moveaxis", "movedim", "narrow", "roll",
    "scatter", "scatter_add", "select", "split", "stack", "swapaxes", "swapdims", "take",
    "take_along_dim", "tile", "tril", "triu", "unbind", "unflatten", "vstack",
]

_malloc.tune()  # large arrays are reused across steps (see _malloc.py)

# ---- subsystems loaded on first use (PEP 562) ----
# The core (Tensor, the ops, the autograd engine) loads eagerly; these load when first touched
# (``numtorch.nn``, ``import numtorch.nn``, ``from numtorch import optim``), which keeps
# ``import numtorch`` close to NumPy's own import time.
_LAZY_SUBMODULES = frozenset({"cuda", "distributed", "func", "linalg", "nn", "optim",
                              "serialization", "utils", "viz"})
_LAZY_ATTRIBUTES = {"vmap": "func", "save": "serialization", "load": "serialization"}


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    home = _LAZY_ATTRIBUTES.get(name)
    if home is not None:
        value = getattr(_importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES | set(_LAZY_ATTRIBUTES))
