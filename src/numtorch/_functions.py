"""The ``numtorch.X(tensor, ...)`` forms of the Tensor methods (one line each)."""
from __future__ import annotations

from . import _promotion
from ._tensor import Tensor

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "matmul", "mm", "sum",
           "mean", "relu", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "abs",
           "reshape", "transpose", "t", "permute", "squeeze", "unsqueeze", "flatten",
           "eq", "ne", "lt", "le", "gt", "ge", "is_tensor", "numel", "clone", "detach",
           "subtract", "multiply", "divide", "negative", "true_divide", "is_floating_point",
           "result_type"]


def _t(x):
    if isinstance(x, Tensor):
        return x
    from ._creation import tensor
    return tensor(x)


def add(input, other, *, alpha=1):
    return _t(input).add(other, alpha=alpha)


def sub(input, other, *, alpha=1):
    return _t(input).sub(other, alpha=alpha)


def mul(input, other):
    return _t(input).mul(other)


def div(input, other, *, rounding_mode=None):
    return _t(input).div(other, rounding_mode=rounding_mode)


def neg(input):
    return input.neg()


def pow(input, exponent):
    return input.pow(exponent) if isinstance(input, Tensor) else exponent.__rpow__(input)


def matmul(input, other):
    return input.matmul(other)


def mm(input, mat2):
    return input.mm(mat2)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    return input.mean(dim, keepdim, dtype=dtype)


def relu(input):
    return input.relu()


def exp(input):
    return input.exp()


def log(input):
    return input.log()


def sqrt(input):
    return input.sqrt()


def sin(input):
    return input.sin()


def cos(input):
    return input.cos()


def tanh(input):
    return input.tanh()


def sigmoid(input):
    return input.sigmoid()


def abs(input):
    return input.abs()


def reshape(input, shape):
    return input.reshape(shape)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def t(input):
    return input.t()


def permute(input, dims):
    return input.permute(*dims)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def eq(input, other):
    return input.eq(other)


def ne(input, other):
    return input.ne(other)


def lt(input, other):
    return input.lt(other)


def le(input, other):
    return input.le(other)


def gt(input, other):
    return input.gt(other)


def ge(input, other):
    return input.ge(other)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def result_type(tensor, other):
    """The dtype ``tensor op other`` computes in (each a Tensor or a Python number)."""
    return _promotion.result_type(*(x._data if isinstance(x, Tensor) else x
                                    for x in (tensor, other)))


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def numel(input) -> int:
    return input.numel()


def clone(input, *, memory_format=None):
    return input.clone()


def detach(input):
    return input.detach()


subtract = sub
multiply = mul
divide = div
true_divide = div
negative = neg
