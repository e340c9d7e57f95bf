"""Functional classification losses: cross_entropy, nll_loss, the binary cross-entropies,
kl_div, and the reduction argument handling every loss shares."""
from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from .. import _backend as B
from .activation_smooth import LogSigmoid
from .loss import BinaryCrossEntropy, CrossEntropy, CrossEntropy2d, NllLoss, NllLoss2d, class_axis

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "legacy_reduction", "check_reduction",
           "reduce_loss"]


def legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """The reduction named by the deprecated size_average / reduce pair (None counts as True),
    with PyTorch's deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


def check_reduction(reduction: str, size_average=None, reduce=None,
                    allowed: tuple = ("none", "mean", "sum")) -> str:
    """The effective reduction; ValueError for a name PyTorch does not accept."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction; use one of "
                         f"{', '.join(repr(a) for a in allowed)}")
    return reduction


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Apply 'none' / 'mean' / 'sum' to elementwise losses."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _no_weight_grad(op: str, weight, name: str = "weight") -> None:
    if weight is not None and weight.requires_grad:
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument "
                           f"'{name}'. This input cannot have requires_grad True; pass "
                           f"{name}.detach()")


def _index_target(input, target):
    """An unbatched (C,) input takes a 0-d target; a one-element 1-d one is accepted too."""
    if input.dim() == 1 and target.dim() == 1 and target.numel() == 1:
        return target.reshape(())
    return target


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between softmax(input) over dim 1 (dim 0 for an unbatched (C,) input) and
    ``target``: class indices of shape (N, d1, ...) (fused, stable log-softmax + NLL), or class
    probabilities of input's shape.

    ``weight`` rescales each class; 'mean' then divides by the summed weights of the targets
    that are not ``ignore_index``. ``label_smoothing`` mixes the target with the uniform
    distribution.
    """
    reduction = check_reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    if input.shape == target.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction,
                                    label_smoothing)
    _no_weight_grad("nll_loss_forward", weight)
    op = CrossEntropy2d if input.dim() >= 3 else CrossEntropy
    return op.apply(input, _index_target(input, target), weight, reduction, ignore_index,
                    float(label_smoothing))


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, smoothing):
    """Class-probability targets: -sum_c w_c t_c log softmax(x)_c, composed from ops (so the
    target and weight are differentiable too); 'mean' divides by the number of positions."""
    if not target.is_floating_point():
        raise RuntimeError(f"cross_entropy: Expected floating point type for target with class "
                           f"probabilities, got {target.dtype}; class indices need a target "
                           f"without the class dimension")
    if ignore_index != -100:
        raise RuntimeError("cross_entropy: ignore_index is not supported for floating point "
                           "target (class probabilities)")
    axis = class_axis(input._data)
    n = input.shape[axis]
    if weight is not None and weight.numel() != n:
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {n} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if smoothing:
        target = target * (1 - smoothing) + smoothing / n
    terms = input.log_softmax(axis) * target
    if weight is not None:
        terms = terms * weight.reshape([n if d == axis else 1 for d in range(input.dim())])
    loss = -terms.sum(axis)
    if reduction == "mean":
        return loss.sum() / (input.numel() // n if n else 0)
    return reduce_loss(loss, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices ``target`` (N, d1, ...) under log-probabilities
    ``input`` (N, C, d1, ...); ``weight`` and ``ignore_index`` as in cross_entropy."""
    reduction = check_reduction(reduction, size_average, reduce)
    _no_weight_grad("nll_loss_forward", weight)
    op = NllLoss2d if input.dim() >= 3 else NllLoss
    return op.apply(input, _index_target(input, target), weight, reduction, ignore_index)


def _same_dtype(op, input, other, what):
    if other is not None and other.dtype is not input.dtype:
        raise RuntimeError(f"{op}: Found dtype {other.dtype} for {what} but expected "
                           f"{input.dtype} (the input's); convert it with .to(input.dtype)")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) for probabilities ``input``, the logs clamped at -100
    as in PyTorch."""
    reduction = check_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy: Using a target size ({_size(target)}) that is "
                         f"different to the input size ({_size(input)}) is deprecated. Please "
                         f"ensure they have the same size.")
    _same_dtype("binary_cross_entropy", input, target, "target")
    _no_weight_grad("binary_cross_entropy", weight)
    if weight is not None:
        _same_dtype("binary_cross_entropy", input, weight, "weight")
        if B.np.broadcast_shapes(weight.shape, input.shape) != tuple(input.shape):
            raise RuntimeError(f"binary_cross_entropy: weight of shape {list(weight.shape)} "
                               f"does not broadcast to the input's shape {list(input.shape)}")
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) computed stably from logits:
    (1 - t) x - (1 + (pos_weight - 1) t) log sigmoid(x), times ``weight``."""
    reduction = check_reduction(reduction, size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: Target size ({_size(target)}) "
                         f"must be the same as input size ({_size(input)})")
    _no_weight_grad("binary_cross_entropy_with_logits", weight)
    _no_weight_grad("binary_cross_entropy_with_logits", pos_weight, "pos_weight")
    # NOTE: log sigmoid is evaluated through e**-|x|, finite for logits of any size
    log_sig = LogSigmoid.apply(input)
    if pos_weight is None:
        loss = (1 - target) * input - log_sig
    else:
        loss = (1 - target) * input - (1 + (pos_weight - 1) * target) * log_sig
    if weight is not None:
        loss = loss * weight
    return reduce_loss(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise KL divergence t (log t - input) for log-probabilities ``input`` (``target``
    given as log-probabilities too when ``log_target``); 'batchmean' divides the sum by the
    batch size, the mathematically correct KL mean."""
    reduction = check_reduction(reduction, size_average, reduce,
                                ("none", "mean", "sum", "batchmean"))
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size, as "
                      "the KL divergence is defined. 'mean' will change to behave like "
                      "'batchmean' in a future release.", UserWarning, stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # target log target with 0 where target == 0 (xlogy); where() keeps the unused log(0)
        # out of both the value and the gradient
        zero = target == 0
        safe = target.where(~zero, 1.0)
        loss = (target * safe.log()).where(~zero, 0.0) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() else total
    return reduce_loss(loss, reduction)


def _size(t) -> str:
    return str(t.shape)
