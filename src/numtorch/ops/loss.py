"""Loss primitives: fused cross-entropy (log-softmax + NLL), nll_loss, binary_cross_entropy,
mse_loss."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.jvp_rules import loss_jvp, reduction_jvp
from .activation import float_only
from .arithmetic import broadcasting

__all__ = ["CrossEntropy", "CrossEntropy2d", "NllLoss", "NllLoss2d", "BinaryCrossEntropy",
           "MseLoss", "class_axis", "check_class_targets"]


def class_axis(x) -> int:
    """The class dimension: 0 for an unbatched (C,) input, else 1."""
    return 0 if x.ndim == 1 else 1


def check_class_targets(op: str, x, target, weight, ignore_index: int) -> None:
    """PyTorch's shape, dtype and range checks for class-index targets (arrays)."""
    if x.ndim == 0:
        raise ValueError(f"{op}: Expected 1 or more dimensions (got 0); the input must be "
                         f"(C,), (N, C) or (N, C, d1, ...)")
    if x.ndim != 1 and target.ndim and x.shape[0] != target.shape[0]:
        raise ValueError(f"{op}: Expected input batch_size ({x.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    if x.ndim <= 2 and target.ndim > 1:
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not "
                           f"supported (input {list(x.shape)}, target {list(target.shape)})")
    want = (x.shape[0],) + x.shape[2:] if x.ndim >= 2 else ()
    if x.ndim >= 3 and target.shape != want:
        raise RuntimeError(f"{op}: Expected target size {list(want)}, got "
                           f"{list(target.shape)}")
    if target.dtype.kind not in "iu" or target.dtype.itemsize not in (8, 1) or (
            target.dtype.itemsize == 1 and target.dtype.kind == "i"):
        raise RuntimeError(f"{op}: expected target dtype to be Long or Byte, but got "
                           f"{B.dtype_of(target).name}; convert the class indices with "
                           f".long()")
    n = x.shape[class_axis(x)]
    if weight is not None:
        if weight.size != n:
            raise RuntimeError(f"{op}: weight tensor should be defined either for all {n} "
                               f"classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        if weight.dtype != x.dtype:
            raise RuntimeError(f"{op}: expected scalar type {B.dtype_of(x).name} but found "
                               f"{B.dtype_of(weight).name} for weight; convert it with "
                               f".to(input.dtype)")
    bad = (target != ignore_index) & ((target < 0) | (target >= n))
    if bad.any():
        raise IndexError(f"{op}: Target {target[bad].ravel()[0].item()} is out of bounds (the "
                         f"input has {n} classes, so targets must lie in [0, {n - 1}] or equal "
                         f"ignore_index={ignore_index}).")


def _picked(xp, x, target, weight, ignore_index):
    """(class indices expanded along the class axis, per-position target weights w_t with 0 at
    ignored positions, the valid mask as x's dtype)."""
    axis = class_axis(x)
    valid = target != ignore_index
    index = xp.expand_dims(xp.where(valid, target, 0).astype(xp.int64), axis)
    mask = valid.astype(x.dtype)
    w_t = mask if weight is None else weight[index.squeeze(axis)] * mask
    return index, w_t, mask


def _reduce(xp, per, w_t, reduction):
    """Reduce per-position losses; 'mean' divides by the summed target weights (NaN when
    every target is ignored, as in PyTorch)."""
    if reduction == "none":
        return per, None
    total = per.sum()
    if reduction == "sum":
        return B.as_array(total).astype(per.dtype), None
    denom = w_t.sum()
    with B.quiet():
        return B.as_array(total / denom).astype(per.dtype), denom


def _coefficients(ctx, x):
    """The dense class coefficients q (x's shape) and their sums Q over the class axis."""
    xp = B.array_module(x)
    axis, smoothing = ctx.axis, ctx.smoothing
    q = xp.zeros(x.shape, x.dtype)
    xp.put_along_axis(q, ctx.index, xp.expand_dims(ctx.w_t * (1 - smoothing), axis), axis)
    total = ctx.w_t * (1 - smoothing)
    if smoothing:
        n = x.shape[axis]
        w = xp.ones(n, x.dtype) if ctx.weight is None else ctx.weight
        shape = [1] * x.ndim
        shape[axis] = n
        q += (w * (smoothing / n)).reshape(shape) * xp.expand_dims(ctx.mask, axis)
        total = total + ctx.mask * (w.sum() * (smoothing / n))
    return q.astype(x.dtype, copy=False), B.as_array(total).astype(x.dtype, copy=False)


def _scaled_grad(ctx, grad_output):
    """grad_output shaped to broadcast over the input, divided by the weight sum for 'mean'."""
    if ctx.reduction == "none":
        return grad_output.unsqueeze(ctx.axis)
    if ctx.reduction == "mean":
        return grad_output / _tensor.Tensor._make(B.as_array(ctx.denom))
    return grad_output


class CrossEntropy(Function):
    """Class-index cross-entropy: l_i = -sum_c q_ic log softmax(x_i)_c, with
    q = (1 - s) w_t onehot(t) + s w / C (0 where t is ignored);
    dl_i/dx_i = softmax(x_i) sum_c q_ic - q_i."""

    _raw = True
    _num_inputs = 3
    _node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, reduction="mean", ignore_index=-100, smoothing=0.0):
        float_only(x, "cross_entropy")
        check_class_targets("cross_entropy", x, target, weight, ignore_index)
        xp = B.array_module(x)
        axis = class_axis(x)
        index, w_t, mask = _picked(xp, x, target, weight, ignore_index)
        with B.quiet():
            # NOTE: log-sum-exp with the max subtracted: finite for any finite logits
            s = x - xp.max(x, axis=axis, keepdims=True, initial=-xp.inf)
            p = xp.exp(s)
            total = p.sum(axis=axis, keepdims=True)
            lse = xp.log(total)
            p /= total  # softmax, kept for backward
            # gather the target's log-probability rather than multiply by a one-hot: a -inf
            # logit in another class must not turn into 0 * -inf = NaN
            per = -((xp.take_along_axis(s, index, axis) - lse).squeeze(axis) * w_t)
            if smoothing:
                n = x.shape[axis]
                lsm = s - lse
                if weight is not None:
                    lsm *= weight.reshape([n if d == axis else 1 for d in range(x.ndim)])
                per = per * (1 - smoothing) - lsm.sum(axis=axis) * mask * (smoothing / n)
        out, ctx.denom = _reduce(xp, B.as_array(per).astype(x.dtype), w_t, reduction)
        ctx.save_for_backward(x, B.as_array(p))
        ctx.index, ctx.w_t, ctx.mask, ctx.weight = index, w_t, mask, weight
        ctx.axis, ctx.smoothing, ctx.reduction = axis, smoothing, reduction
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, p = ctx.saved_tensors
        if not is_grad_enabled():
            grad = _cross_entropy_grad(ctx, p._data, grad_output._data)
            return grad, None, None, None, None, None
        q, total = _coefficients(ctx, x._data)
        make = _tensor.Tensor._make
        # for double backward, softmax is recomputed from x with Tensor ops so that it is
        # differentiated too
        p = x.softmax(ctx.axis)
        grad = (p * make(total).unsqueeze(ctx.axis) - make(q)) * _scaled_grad(ctx, grad_output)
        return grad, None, None, None, None, None

    @staticmethod
    def jvp(ctx, t, *_):
        dims = (ctx.axis,) if ctx.reduction == "none" else None
        return reduction_jvp(ctx, t, dims, False)


def _cross_entropy_grad(ctx, p, g):
    """CrossEntropy's first derivative in array form (no graph is being built):
    (p Q - q) g, with q's one-hot part subtracted in place rather than built densely."""
    xp = B.array_module(p)
    axis, smoothing = ctx.axis, ctx.smoothing
    if ctx.reduction == "none":
        g = xp.expand_dims(g, axis)
    elif ctx.reduction == "mean":
        g = g / ctx.denom
    coef = xp.expand_dims(ctx.w_t * (1 - smoothing), axis)
    if smoothing:
        n = p.shape[axis]
        w = xp.ones(n, p.dtype) if ctx.weight is None else ctx.weight
        mask = xp.expand_dims(ctx.mask, axis)
        grad = p * (coef + mask * (w.sum() * (smoothing / n)))
        shape = [n if d == axis else 1 for d in range(p.ndim)]
        grad -= (w * (smoothing / n)).reshape(shape) * mask
    else:
        grad = p * coef
    picked = xp.take_along_axis(grad, ctx.index, axis) - coef
    xp.put_along_axis(grad, ctx.index, picked, axis)
    grad *= g
    return _tensor.Tensor._make(B.as_array(grad).astype(p.dtype, copy=False))


class CrossEntropy2d(CrossEntropy):
    """CrossEntropy on (N, C, d1, ...) inputs, under PyTorch's node name for them."""

    _node_name = "NllLoss2DBackward0"


class NllLoss(Function):
    """l_i = -w_t x_{i, t_i} (0 where t is ignored);  dl_i/dx_i = -w_t onehot(t_i)."""

    _raw = True
    _num_inputs = 3
    _node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight, reduction="mean", ignore_index=-100):
        float_only(x, "nll_loss")
        check_class_targets("nll_loss", x, target, weight, ignore_index)
        xp = B.array_module(x)
        axis = class_axis(x)
        index, w_t, mask = _picked(xp, x, target, weight, ignore_index)
        per = -(xp.take_along_axis(x, index, axis).squeeze(axis) * w_t)
        out, ctx.denom = _reduce(xp, B.as_array(per).astype(x.dtype), w_t, reduction)
        ctx.shape, ctx.dtype = x.shape, x.dtype
        ctx.index, ctx.w_t, ctx.mask, ctx.weight = index, w_t, mask, weight
        ctx.axis, ctx.smoothing, ctx.reduction = axis, 0.0, reduction
        return out

    @staticmethod
    def backward(ctx, grad_output):
        xp = B.array_module(ctx.w_t)
        q, _ = _coefficients(ctx, xp.empty(ctx.shape, ctx.dtype))
        return (-_tensor.Tensor._make(q) * _scaled_grad(ctx, grad_output),
                None, None, None, None)

    @staticmethod
    def jvp(ctx, t, *_):
        dims = (ctx.axis,) if ctx.reduction == "none" else None
        return reduction_jvp(ctx, t, dims, False)


class NllLoss2d(NllLoss):
    """NllLoss on (N, C, d1, ...) inputs, under PyTorch's node name for them."""

    _node_name = "NllLoss2DBackward0"


_LOG_FLOOR = -100.0  # PyTorch clamps the logs at -100, so p = 0 or 1 gives a finite loss
_EPS = 9.999999960041972e-13  # ... and floors x (1 - x) at 1e-12 as a float32 in the gradient


class BinaryCrossEntropy(Function):
    """l = -w (t max(log x, -100) + (1 - t) max(log(1 - x), -100));
    dl/dx = w (x - t) / max(x (1 - x), 1e-12), dl/dt = w (max(log(1 - x), -100) -
    max(log x, -100))."""

    _raw = True
    _num_inputs = 3
    _node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, t, w, reduction="mean"):
        xp = B.array_module(x)
        if not ((x >= 0) & (x <= 1)).all():
            raise RuntimeError("binary_cross_entropy: all elements of input should be between "
                               "0 and 1 (it takes probabilities; for logits use "
                               "binary_cross_entropy_with_logits)")
        with B.quiet():
            log_x = xp.maximum(xp.log(x), _LOG_FLOOR)
            log_1mx = xp.maximum(xp.log(1 - x), _LOG_FLOOR)
        per = -(t * log_x + (1 - t) * log_1mx)
        if w is not None:
            per = per * w
        per = B.as_array(per).astype(x.dtype)
        ctx.save_for_backward(x, t, w)
        ctx.reduction, ctx.n = reduction, per.size
        if reduction == "none":
            return per
        total = per.sum()
        with B.quiet():
            return B.as_array(total / per.size if reduction == "mean" else total).astype(
                x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, t, w = ctx.saved_tensors
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = _finish(ctx, (x - t) / (x * (1 - x)).clamp(min=_EPS) * grad_output, w)
        if ctx.needs_input_grad[1]:
            gt = _finish(ctx, ((1 - x).log().clamp(min=_LOG_FLOOR)
                               - x.log().clamp(min=_LOG_FLOOR)) * grad_output, w)
        return gx, gt, None, None

    jvp = staticmethod(loss_jvp)


def _finish(ctx, grad, w):
    """Weight and average a BCE gradient, in the order PyTorch rounds them."""
    if w is not None:
        grad = grad * w
    return grad / ctx.n if ctx.reduction == "mean" else grad


class MseLoss(Function):
    """l = (x - t)**2, reduced;  dl/dx = 2 (x - t), dl/dt = -2 (x - t) (same dtypes only)."""

    _raw = True
    _num_inputs = 2
    _node_name = "MseLossBackward0"

    @staticmethod
    @broadcasting
    def forward(ctx, x, t, reduction="mean"):
        d = x - t
        sq = B.as_array(d * d)
        ctx.save_for_backward(x, t)
        ctx.reduction, ctx.n = reduction, sq.size
        if reduction == "none":
            return sq
        with B.quiet():  # the mean of an empty input is NaN, as in PyTorch
            return B.as_array(sq.sum() / sq.size if reduction == "mean" else sq.sum()).astype(
                sq.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, t = ctx.saved_tensors
        g = grad_output / ctx.n if ctx.reduction == "mean" else grad_output
        grad = (x - t) * 2 * g
        return grad, -grad if ctx.needs_input_grad[1] else None, None

    jvp = staticmethod(loss_jvp)
