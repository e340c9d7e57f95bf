"""Normalization layers' functional forms: batch_norm, layer_norm, group_norm.

Training-mode statistics go through one fused primitive, ``Normalize`` (for speed: one pass
for the statistics, one for the result, and a closed-form backward); the running statistics
are updated in place without grad.
"""
from __future__ import annotations

import math

from .. import _backend as B
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled, no_grad

__all__ = ["Normalize", "batch_norm", "layer_norm", "group_norm"]


class Normalize(Function):
    """y = xhat * w + b, xhat = (x - mean) / sqrt(var + eps) with the (biased) statistics
    over ``axes``; w and b broadcast against x (either may be None).

    dx = (gw - mean(gw) - xhat mean(gw xhat)) / sqrt(var + eps) with gw = g * w, the means
    over ``axes``;  dw = g xhat,  db = g (summed down to their shapes by the engine).
    ``stats``, when a list, receives the raw mean and variance (for running statistics).
    """

    _raw = True
    _num_inputs = 3
    _node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, w, b, axes, eps, stats=None):
        xp = B.array_module(x)
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = xp.mean(centered * centered, axis=axes, keepdims=True)
        invstd = B.as_array(1.0 / xp.sqrt(var + eps)).astype(x.dtype)
        xhat = centered * invstd
        y = xhat if w is None else xhat * w
        if b is not None:
            y = y + b
        if stats is not None:
            stats.extend((mean, var))
        ctx.axes, ctx.eps = axes, eps
        ctx.raw = (xhat, invstd)
        ctx.save_for_backward(x, w)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        axes = list(ctx.axes)
        if is_grad_enabled():  # a graph is being built: make xhat depend on x differentiably
            mean = x.mean(axes, keepdim=True)
            invstd = (x.var(axes, correction=0, keepdim=True) + ctx.eps).rsqrt()
            xhat = (x - mean) * invstd
        else:
            xhat, invstd = (Tensor._make(a) for a in ctx.raw)
        need = ctx.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gy = grad_output if w is None else grad_output * w
            gx = invstd * (gy - gy.mean(axes, keepdim=True)
                           - xhat * (gy * xhat).mean(axes, keepdim=True))
        if need[1]:
            gw = grad_output * xhat
        if need[2]:
            gb = grad_output
        return gx, gw, gb, None, None, None


class _LayerNormalize(Normalize):
    _node_name = "NativeLayerNormBackward0"


class _GroupNormalize(Normalize):
    _node_name = "NativeGroupNormBackward0"


def _per_channel(t, ndim):
    """A (C,) tensor shaped (1, C, 1, ...) to broadcast over an ndim-d (N, C, ...) input."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _shaped(t, shape_fn):
    return None if t is None else shape_fn(t)


def _affine(y, weight, bias, shape_fn):
    if weight is not None:
        y = y * shape_fn(weight)
    if bias is not None:
        y = y + shape_fn(bias)
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) over the batch and spatial dims.

    In training the batch statistics are used and the running ones (when given) move towards
    them by ``momentum``, the variance unbiased; in eval the running statistics are used.
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), but "
                         f"got input of size {list(input.shape)}")
    nd, c = input.dim(), input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements (one per "
                               f"channel of input {list(input.shape)}), not {t.numel()}")
    shape_fn = lambda t: _per_channel(t, nd)  # noqa: E731
    if training:
        count = input.numel() // max(c, 1)
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {input.size()}")
        stats = []
        y = Normalize.apply(input, _shaped(weight, shape_fn), _shaped(bias, shape_fn),
                            (0,) + tuple(range(2, nd)), eps, stats)
        mean, var = (Tensor._make(a.reshape(-1)) for a in stats)
        with no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(mean * momentum)
            if running_var is not None:
                unbiased = var * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
        return y
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                               "evaluation mode (training=False); pass them or use "
                               "training=True")
        y = (input - shape_fn(running_mean)) * shape_fn(running_var + eps).rsqrt()
    return _affine(y, weight, bias, shape_fn)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last ``len(normalized_shape)`` dims, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
        normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(shape)}, but got "
                               f"{list(t.shape)}")
    return _LayerNormalize.apply(input, weight, bias, tuple(range(input.dim() - k,
                                                                 input.dim())), eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each of ``num_groups`` groups of channels (with their spatial dims) per
    sample, then scale and shift per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"group_norm: expected an input of at least 2 dims (N, C, ...), "
                           f"but got input of size {list(input.shape)}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"group_norm: expected {name} to be a vector of size {c} (the "
                               f"channels), but got {name} of shape {list(t.shape)}")
    grouped = input.reshape((n, num_groups, math.prod(input.shape[1:]) // num_groups))
    y = _GroupNormalize.apply(grouped, None, None, (2,), eps).reshape(tuple(input.shape))
    return _affine(y, weight, bias, lambda t: _per_channel(t, input.dim()))
