"""numtorch.nn.functional: the functional forms of activations and other layer ops.

``inplace=True`` writes the result into ``input`` (which must not be a leaf that requires
grad) and returns it, as in PyTorch.
"""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from .._methods import activation as _M
from ..ops import activation as _A
from ..ops import activation_smooth as _SM
from ..ops import inplace as _P
from ..ops import softmax as _S
from ..ops.norms import vector_norm
from ..ops.padding import pad

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu",
           "selu_", "celu", "celu_", "rrelu", "rrelu_", "prelu", "gelu", "silu", "mish",
           "softplus", "softsign", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish",
           "logsigmoid", "tanhshrink", "softshrink", "hardshrink", "threshold", "threshold_",
           "sigmoid", "tanh", "softmax", "log_softmax", "softmin", "glu", "normalize",
           "pad"]


def _inplace(input, inplace, op_cls, inplace_cls, *args):
    """``op(input, *args)``, or written into ``input`` when ``inplace``."""
    if inplace:
        return _P.unary_(input, inplace_cls, *args)
    return op_cls.apply(input, *args)


# ---- the relu family --------------------------------------------------------------------------

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _inplace(input, inplace, _A.LeakyRelu, _A.LeakyReluInplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, True)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False) -> Tensor:
    """leaky_relu with a random slope from [lower, upper) per element in training, and the
    slope (lower + upper) / 2 otherwise."""
    if inplace:
        return _M.rrelu_(input, lower, upper, training)
    return _M.rrelu(input, lower, upper, training)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return _M.rrelu_(input, lower, upper, training)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with learned slopes ``weight``: one for all, or one per channel (dim 1)."""
    return _A.Prelu.apply(input, weight)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, ``value`` elsewhere."""
    return _inplace(input, inplace, _A.Threshold, _A.ThresholdInplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _M.threshold_(input, threshold, value)


# ---- exponential and smooth ---------------------------------------------------------------------

def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (e**x - 1) otherwise."""
    return _inplace(input, inplace, _SM.Elu, _SM.EluInplace, alpha, 1.0, 1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's fixed constants."""
    return _M.selu_(input) if inplace else _M.selu(input)


selu_ = _M.selu_


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (e**(x / alpha) - 1) otherwise."""
    return _M.celu_(input, alpha) if inplace else _M.celu(input, alpha)


celu_ = _M.celu_


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (``approximate='tanh'``: its tanh form)."""
    return _SM.Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _inplace(input, inplace, _SM.Silu, _SM.Silu)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _inplace(input, inplace, _SM.Mish, _SM.Mish)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e**(beta x)) / beta, and x itself where beta * x > threshold."""
    return _SM.Softplus.apply(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed without overflow for large |x|."""
    return _SM.LogSigmoid.apply(input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (1 + input.abs())


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


# ---- hard and shrink ----------------------------------------------------------------------------

def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    return _inplace(input, inplace, _A.Hardtanh, _A.Hardtanh, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _inplace(input, inplace, _A.Hardsigmoid, _A.Hardsigmoid)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _inplace(input, inplace, _A.Hardswish, _A.Hardswish)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    return _A.Softshrink.apply(input, lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, 0 elsewhere."""
    return _A.Hardshrink.apply(input, lambd)


# ---- softmax family ---------------------------------------------------------------------------

def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """The dim PyTorch picks when softmax-like ops get none (deprecated, hence the warning):
    0 for 0-, 1- and 3-d inputs (a 3-d one taken as unbatched (C, H, W)), else 1."""
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(f"{name}: calling it without dim is deprecated; it chose dim={dim} for this "
                  f"{ndim}-d input. Pass dim=X explicitly.", UserWarning, stacklevel=stacklevel)
    return dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """e**x / sum(e**x) along ``dim``, computed stably (the max is subtracted first);
    ``dtype`` converts the input before the operation."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably in one step."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return (-input).softmax(dim, dtype)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    return _S.Glu.apply(input, dim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """``input`` divided by its ``p``-norm along ``dim`` (at least ``eps``)."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported; assign the result")
    norm = vector_norm(input, p, dim, keepdim=True).clamp(min=eps)
    return input / norm.expand(input.shape)


# ---- linear layers and dropout (issue 5, nn.Module part) ----------------------------------------

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, for weight (out_features, in_features)."""
    if input.shape[-1:] != weight.shape[-1:] and weight.dim() == 2:
        raise RuntimeError(f"linear: mat1 and mat2 shapes cannot be multiplied (input "
                           f"{tuple(input.shape)}, weight {tuple(weight.shape)}); the input's "
                           f"last dim must equal in_features={weight.shape[-1]}")
    if (input.dim() == 2 and weight.dim() == 2 and bias is not None and bias.dim() == 1
            and bias.shape[0] == weight.shape[0]):
        from ..ops.linear import Addmm
        return Addmm.apply(input, weight, bias)
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]."""
    from ..ops.einsum import einsum
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 and input2 must have the same batch dims, got "
                           f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    if weight.dim() != 3 or (input1.shape[-1], input2.shape[-1]) != tuple(weight.shape[1:]):
        raise RuntimeError(f"bilinear: weight of shape {tuple(weight.shape)} does not fit "
                           f"inputs {tuple(input1.shape)} and {tuple(input2.shape)}; expected "
                           f"(out_features, {input1.shape[-1]}, {input2.shape[-1]})")
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def _check_dropout_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_with_mask(input: Tensor, p: float, mask_shape: tuple, inplace: bool) -> Tensor:
    """Multiply by a {0, 1/(1-p)} mask of ``mask_shape`` (broadcast over the rest)."""
    from .. import _backend as B
    from .._creation import _rng
    from .._tensor import Tensor as _T
    if not input.is_floating_point():
        raise RuntimeError(f"dropout: expected a floating-point input, got {input.dtype}")
    if p == 1.0:
        scale = B.np.zeros(mask_shape, dtype=input.dtype.np)
    else:
        # drawn on the host by the input's device's generator, then copied to that device
        keep = _rng(None, input.device).random(mask_shape) >= p
        scale = (keep / (1.0 - p)).astype(input.dtype.np)
    mask = _T._make(B.to_device(scale, input.device))
    return input.mul_(mask) if inplace else input * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), in training."""
    _check_dropout_p(p)
    if not training or p == 0.0:
        return input
    return _dropout_with_mask(input, p, tuple(input.shape), inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    """Dropout of whole channels: one draw per (batch, channel), shared over the rest."""
    _check_dropout_p(p)
    if not training or p == 0.0:
        return input
    shape = tuple(input.shape)
    return _dropout_with_mask(input, p, shape[:2] + (1,) * (len(shape) - 2), inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, L) or (C, L) inputs."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.dim()}D input; dropout1d takes (N, C, L) or (C, L)")
    if input.dim() == 2:
        _check_dropout_p(p)
        if not training or p == 0.0:
            return input
        return _dropout_with_mask(input, p, (input.shape[0], 1), inplace)
    return _feature_dropout(input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, H, W) inputs (a 3-d input is taken as (N, C, L), as in
    PyTorch, with a warning)."""
    if input.dim() not in (3, 4):
        warnings.warn(f"dropout2d: received a {input.dim()}-D input, which is deprecated; "
                      f"use dropout instead (dropout2d expects (N, C, H, W) or (C, H, W))",
                      UserWarning, stacklevel=2)
    elif input.dim() == 3:
        warnings.warn("dropout2d: received a 3D input and assuming channel-wise 1D dropout "
                      "(input read as (N, C, L)); use dropout1d for that", UserWarning,
                      stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W) inputs (any other rank
    is taken as unbatched, as in PyTorch, with a warning)."""
    if input.dim() not in (4, 5):
        warnings.warn(f"dropout3d: received a {input.dim()}-D input, which is deprecated; "
                      f"use dropout instead (dropout3d expects (N, C, D, H, W) or "
                      f"(C, D, H, W))", UserWarning, stacklevel=2)
    if input.dim() == 5:
        return _feature_dropout(input, p, training, inplace)
    _check_dropout_p(p)
    if not training or p == 0.0:
        return input
    return _dropout_with_mask(input, p, (input.shape[0],) + (1,) * (input.dim() - 1), inplace)


__all__ += ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d"]


# ---- convolution, pooling, normalization, embedding (issue 5) -------------------------------
# The forms live with their primitives in ops/conv.py, ops/pooling.py, ops/normalization.py
# and ops/embedding.py; they are re-exported here.
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: E402
from ..ops.embedding import embedding  # noqa: E402
from ..ops.normalization import batch_norm, group_norm, layer_norm  # noqa: E402
from ..ops.pooling import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ += ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
            "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
            "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "batch_norm",
            "layer_norm", "group_norm", "embedding"]


# ---- losses (issue 5) ---------------------------------------------------------------------
# The forms live in ops/loss_fn.py (classification; fused primitives in ops/loss.py) and
# ops/loss_pointwise.py (regression, margin, embedding); they are re-exported here.
from ..ops.loss_fn import (  # noqa: E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    kl_div,
    nll_loss,
)
from ..ops.loss_pointwise import (  # noqa: E402
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)

__all__ += ["cross_entropy", "nll_loss", "binary_cross_entropy",
            "binary_cross_entropy_with_logits", "kl_div", "mse_loss", "l1_loss",
            "smooth_l1_loss", "huber_loss", "soft_margin_loss", "poisson_nll_loss",
            "gaussian_nll_loss", "cosine_embedding_loss", "margin_ranking_loss",
            "hinge_embedding_loss", "triplet_margin_loss"]


# ---- attention (issue 5) --------------------------------------------------------------------
# Composed from existing ops in ops/attention.py; re-exported here.
from ..ops import attention as _attention  # noqa: E402

scaled_dot_product_attention = _attention.scaled_dot_product_attention
multi_head_attention_forward = _attention.multi_head_attention_forward
_canonical_mask = _attention.canonical_mask  # mask helpers for the Transformer modules
_none_or_dtype = _attention.none_or_dtype

__all__ += ["scaled_dot_product_attention", "multi_head_attention_forward"]
