"""numtorch: PyTorch's API with reverse-mode autograd and custom Functions, on NumPy."""
from __future__ import annotations

from . import autograd, cuda, linalg, nn
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
    clamp,
    clip,
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
    where,
)
from ._methods import activation as _m_activation  # noqa: F401
from ._methods import elementwise as _m_elementwise  # noqa: F401
from ._methods import linalg as _m_linalg  # noqa: F401
from ._methods import reduction as _m_reduction  # noqa: F401
from ._methods import shape as _m_shape  # noqa: F401
from ._promotion import can_cast, get_default_dtype, promote_types, set_default_dtype
from ._tensor import Size, Tensor
from .autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

# ---- op library (issue 3): each category adds its function forms here ----
# elementwise:
# reduction:
# shape:
# linalg:
# activation:
# ---- end of op library ----

__version__ = "0.1.0"

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

__all__ = [
    "autograd", "cuda", "linalg", "nn", "Tensor", "Size", "dtype", "device", "bool",
    "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "float",
    "double", "half", "long", "int", "short", "Generator", "arange", "as_tensor",
    "default_generator", "empty",
    "empty_like", "eye", "from_numpy", "full", "full_like", "get_rng_state", "initial_seed",
    "linspace", "manual_seed", "ones", "ones_like", "rand", "rand_like", "randint",
    "randint_like", "randn", "randn_like", "seed", "set_rng_state", "tensor", "zeros",
    "zeros_like", "abs", "add", "clamp", "clip", "clone", "cos", "detach", "div", "divide",
    "eq", "exp", "flatten", "ge", "gt", "is_floating_point", "is_tensor", "le", "log", "lt",
    "matmul", "mean", "mm", "mul", "multiply", "ne", "neg", "negative", "numel", "permute",
    "pow", "relu", "reshape", "sigmoid", "sin", "sqrt", "squeeze", "sub", "subtract", "sum",
    "t", "tanh", "transpose", "true_divide", "unsqueeze", "where", "get_default_dtype",
    "promote_types", "result_type", "can_cast", "set_default_dtype", "enable_grad",
    "inference_mode", "is_grad_enabled", "no_grad", "set_grad_enabled",
]
