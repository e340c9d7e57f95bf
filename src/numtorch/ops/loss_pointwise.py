"""Functional regression, margin and embedding losses, composed from differentiable ops:
mse, l1, smooth_l1, huber, soft_margin, poisson_nll, gaussian_nll, cosine_embedding,
margin_ranking, hinge_embedding, triplet_margin."""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from .._methods.elementwise import where
from ..autograd.grad_mode import no_grad
from .loss import MseLoss
from .loss_fn import check_reduction, reduce_loss
from .norms import vector_norm

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss"]


def _warn_broadcast(input, target) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)


def _float_input(op: str, input) -> None:
    if not input.is_floating_point():
        raise NotImplementedError(f"{op}: not implemented for {input.dtype} inputs; convert "
                                  f"them to a floating dtype first, e.g. x.float()")


def _weighted(op, loss, weight, reduction, normalise):
    """Elementwise ``weight`` (input's shape); 'mean' divides by the weight sum when
    ``normalise`` (mse and l1), by the element count otherwise (huber)."""
    if weight is None:
        return reduce_loss(loss, reduction)
    if weight.shape != loss.shape:
        raise ValueError(f"{op}: Weights and input must have the same size (weight "
                         f"{list(weight.shape)}, input {list(loss.shape)}).")
    loss = loss * weight
    if reduction == "mean" and normalise:
        return loss.sum() / weight.sum()
    return reduce_loss(loss, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(input - target)**2, reduced; a weighted 'mean' divides by the sum of ``weight``."""
    reduction = check_reduction(reduction, size_average, reduce)
    _warn_broadcast(input, target)
    _float_input("mse_loss", input)
    if weight is None and target.dtype is input.dtype:
        return MseLoss.apply(input, target, reduction)
    return _weighted("mse_loss", (input - target).square(), weight, reduction, True)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|input - target|, reduced; a weighted 'mean' divides by the sum of ``weight``."""
    reduction = check_reduction(reduction, size_average, reduce)
    _warn_broadcast(input, target)
    _float_input("l1_loss", input)
    return _weighted("l1_loss", (input - target).abs(), weight, reduction, True)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    reduction = check_reduction(reduction, size_average, reduce)
    _warn_broadcast(input, target)
    _float_input("smooth_l1_loss", input)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta (got "
                           f"{beta}).")
    d = (input - target).abs()
    if beta == 0:  # the l1 loss; the quadratic branch would divide by zero
        return reduce_loss(d, reduction)
    return reduce_loss(where(d < beta, d.square() * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target)."""
    reduction = check_reduction(reduction)
    _warn_broadcast(input, target)
    _float_input("huber_loss", input)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta (got "
                           f"{delta}).")
    d = (input - target).abs()
    loss = where(d < delta, d.square() * 0.5, (d - 0.5 * delta) * delta)
    return _weighted("huber_loss", loss, weight, reduction, False)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """log(1 + e**(-target input)), for targets of +1 / -1."""
    reduction = check_reduction(reduction, size_average, reduce)
    return reduce_loss((-target * input).exp().log1p(), reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: e**input - target input (``log_input``), else
    input - target log(input + eps); ``full`` adds Stirling's term for targets above 1."""
    reduction = check_reduction(reduction, size_average, reduce)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's term only counts for targets above 1; it is evaluated on 1 elsewhere, so
        # the unused branch holds no 0 * log(0) = NaN
        above = target > 1
        safe = where(above, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(above, stirling, 0.0)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log var + (input - target)**2 / var), var floored at ``eps`` (the floor passes
    the gradient through, as in PyTorch); ``full`` adds 0.5 log(2 pi)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entry/entries")
        var = input.new_full(input.shape, float(var)).detach()
    elif bool((var < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.dim() != var.dim() or sum(v for i, v in zip(input.shape, var.shape)
                                             if i != v) != 1:
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size: {list(var.shape)} "
                             f"for input {list(input.shape)}; give it the input's shape, the "
                             f"input's shape without the last dim, or with a last dim of 1")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target).square() / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    reduction = check_reduction(reduction, size_average, reduce)
    t = target.dim()
    if t > 1:
        raise RuntimeError(f"cosine_embedding_loss: 0D or 1D target tensor expected, "
                           f"multi-target not supported (target {list(target.shape)})")
    if input1.dim() != t + 1 or input2.dim() != t + 1:
        raise RuntimeError(f"cosine_embedding_loss: {t}D target tensor expects {t + 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    eps = 1e-12  # keeps the norms of zero vectors from dividing by zero
    dot = (input1 * input2).sum(t)
    norms = (((input1 * input1).sum(t) + eps) * ((input2 * input2).sum(t) + eps)).sqrt()
    cos = dot / norms
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp_min(0),
                                                    0.0)
    return reduce_loss(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin)."""
    reduction = check_reduction(reduction, size_average, reduce)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same "
                           f"dimension but got sizes: input1: {input1.shape}, input2: "
                           f"{input2.shape}, target: {target.shape} ")
    return reduce_loss((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1."""
    reduction = check_reduction(reduction, size_average, reduce)
    loss = (where(target != 1, (margin - input).clamp_min(0), 0.0)
            + where(target != -1, input, 0.0))
    return reduce_loss(loss, reduction)


def _pairwise_distance(x1, x2, p, eps):
    return vector_norm(x1 - x2 + eps, p, -1)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance
    over the last dim (``swap``: d(anchor, negative) replaced by d(positive, negative) when
    smaller)."""
    reduction = check_reduction(reduction, size_average, reduce)
    a, pos, neg = anchor.dim(), positive.dim(), negative.dim()
    if not a == pos == neg:
        raise RuntimeError(f"triplet_margin_loss: The anchor, positive, and negative tensors "
                           f"are expected to have the same number of dimensions, but got: "
                           f"anchor {a}D, positive {pos}D, and negative {neg}D inputs")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(_pairwise_distance(positive, negative, p, eps))
    return reduce_loss((margin + d_pos - d_neg).clamp_min(0), reduction)
