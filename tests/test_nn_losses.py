"""Loss functions (nn.functional) against PyTorch: values, gradients, reductions, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch
import numtorch.nn.functional as F
from conftest import require_torch

torch = require_torch()
TF = torch.nn.functional

DTYPES = ["float32", "float64"]
REDUCTIONS = ["none", "mean", "sum"]
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _pair(a, grad):
    """The same array as a numtorch and a torch tensor."""
    a = np.asarray(a)
    ours = numtorch.tensor(a.copy(), requires_grad=grad)
    theirs = torch.tensor(a.copy(), requires_grad=grad)
    return ours, theirs


def check(name, args, kwargs=None, grad=(0,), dtype="float64", tol=None, fn=None, tfn=None):
    """Run F.name (or fn/tfn) on ``args`` (arrays; None passes through) in both libraries and
    compare the value and the gradients of the arguments listed in ``grad``."""
    kwargs = kwargs or {}
    tol = tol or TOL[dtype]
    ours_args, torch_args = [], []
    for i, a in enumerate(args):
        if a is None or isinstance(a, (int, float, str)):
            ours_args.append(a)
            torch_args.append(a)
            continue
        o, t = _pair(a, i in grad)
        ours_args.append(o)
        torch_args.append(t)
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    ours_kw = dict(kwargs, **{k: numtorch.tensor(v) for k, v in arrays.items()})
    torch_kw = dict(kwargs, **{k: torch.tensor(v) for k, v in arrays.items()})
    ours = (fn or getattr(F, name))(*ours_args, **ours_kw)
    theirs = (tfn or getattr(TF, name))(*torch_args, **torch_kw)
    assert ours.dtype.name == str(theirs.dtype).split(".")[1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)
    if not grad:
        return
    g = np.random.default_rng(1).standard_normal(tuple(theirs.shape)).astype(dtype) + 1.5
    (ours * numtorch.tensor(g)).sum().backward()
    (theirs * torch.tensor(g)).sum().backward()
    for i in grad:
        assert ours_args[i].grad is not None, f"no gradient for argument {i}"
        np.testing.assert_allclose(ours_args[i].grad.numpy(), torch_args[i].grad.numpy(),
                                   err_msg=f"gradient of argument {i}", **tol)


rng = np.random.default_rng(0)


def rand(*shape, dtype="float64", scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def uniform(*shape, dtype="float64", low=0.0, high=1.0):
    return rng.uniform(low, high, shape).astype(dtype)


def classes(*shape, n, ignore=None, ignore_index=-100):
    t = rng.integers(0, n, shape)
    if ignore:
        t.flat[:ignore] = ignore_index
    return t


# ---- cross-entropy and nll ----------------------------------------------------------------

SHAPES = [(4, 5), (3, 4, 6), (2, 3, 2, 3), (5,)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.15])
def test_cross_entropy_indices(dtype, reduction, shape, weighted, smoothing):
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = classes(*tshape, n=c)
    if len(shape) > 1:
        target.flat[0] = -100
    weight = uniform(c, dtype=dtype, low=0.2, high=2.0) if weighted else None
    check("cross_entropy", [rand(*shape, dtype=dtype, scale=3), target, weight],
          dict(reduction=reduction, label_smoothing=smoothing), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_custom_ignore_index(dtype, reduction):
    target = np.array([0, 3, 3, 1, 2, 3])
    weight = uniform(4, dtype=dtype, low=0.5)
    for smoothing in (0.0, 0.3):
        check("cross_entropy", [rand(6, 4, dtype=dtype), target, weight],
              dict(reduction=reduction, ignore_index=3, label_smoothing=smoothing), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (5,)])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities(dtype, reduction, shape, weighted):
    axis = 0 if len(shape) == 1 else 1
    p = uniform(*shape, dtype=dtype)
    p = p / p.sum(axis=axis, keepdims=True)
    c = shape[axis]
    weight = uniform(c, dtype=dtype, low=0.2) if weighted else None
    grads = (0, 1, 2) if weighted else (0, 1)
    for smoothing in (0.0, 0.2):
        check("cross_entropy", [rand(*shape, dtype=dtype), p, weight],
              dict(reduction=reduction, label_smoothing=smoothing), grad=grads, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_extreme_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-3e4, 3e4, 1.0], [80.0, 90.0, 100.0]], dtype)
    for target in (np.array([0, 1, 2]), np.array([1, 0, 0])):
        for smoothing in (0.0, 0.1):
            check("cross_entropy", [x, target], dict(label_smoothing=smoothing), dtype=dtype)
            check("cross_entropy", [x, target], dict(reduction="none"), dtype=dtype)
    ours = F.cross_entropy(numtorch.tensor(x), numtorch.tensor([1, 0, 0]))
    assert np.isfinite(ours.item())


def test_cross_entropy_minus_inf_logit_in_another_class():
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 1.0, -np.inf]])
    check("cross_entropy", [x, np.array([0, 1])], dict(reduction="none"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_nll_loss(dtype, reduction, shape):
    c = shape[0] if len(shape) == 1 else shape[1]
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = classes(*tshape, n=c)
    if len(shape) > 1:
        target.flat[-1] = 1
    for weight in (None, uniform(c, dtype=dtype, low=0.2)):
        for ignore_index in (-100, 1):
            check("nll_loss", [rand(*shape, dtype=dtype), target, weight],
                  dict(reduction=reduction, ignore_index=ignore_index), dtype=dtype)


def test_all_targets_ignored_and_empty_batch():
    for reduction in REDUCTIONS:
        for smoothing in (0.0, 0.1):
            check("cross_entropy", [rand(3, 4), np.full(3, -100)],
                  dict(reduction=reduction, label_smoothing=smoothing), grad=())
        check("nll_loss", [rand(3, 4), np.full(3, -100)], dict(reduction=reduction), grad=())
        check("cross_entropy", [rand(0, 4), np.zeros(0, np.int64)], dict(reduction=reduction),
              grad=())


def test_byte_targets():
    check("nll_loss", [rand(3, 4), np.array([0, 3, 1], np.uint8)])
    check("cross_entropy", [rand(3, 4), np.array([0, 3, 1], np.uint8)])


def test_cross_entropy_double_backward():
    x = rand(3, 4)
    w = uniform(4, low=0.5)
    target = np.array([0, 2, -100])
    results = []
    for lib, f in ((numtorch, F), (torch, TF)):
        xs = lib.tensor(x.copy(), requires_grad=True)
        loss = f.cross_entropy(xs, lib.tensor(target), weight=lib.tensor(w),
                               label_smoothing=0.1)
        g, = (numtorch.autograd if lib is numtorch else torch.autograd).grad(
            loss, xs, create_graph=True)
        (g * lib.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        results.append((g.detach().numpy(), xs.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_grad_fn_names():
    x = numtorch.randn(3, 4, requires_grad=True)
    t = numtorch.tensor([0, 1, 2])
    assert type(F.cross_entropy(x, t).grad_fn).__name__ == "NllLossBackward0"
    assert type(F.nll_loss(x, t).grad_fn).__name__ == "NllLossBackward0"
    x4 = numtorch.randn(2, 3, 2, 2, requires_grad=True)
    t4 = numtorch.zeros(2, 2, 2, dtype=numtorch.int64)
    assert type(F.cross_entropy(x4, t4).grad_fn).__name__ == "NllLoss2DBackward0"
    assert type(F.mse_loss(x, x.detach()).grad_fn).__name__ == "MseLossBackward0"
    p = numtorch.rand(3, requires_grad=True)
    assert (type(F.binary_cross_entropy(p, numtorch.rand(3)).grad_fn).__name__
            == "BinaryCrossEntropyBackward0")


# ---- binary cross-entropy ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(dtype, reduction):
    x = uniform(4, 3, dtype=dtype, low=0.02, high=0.98)
    t = uniform(4, 3, dtype=dtype)
    check("binary_cross_entropy", [x, t], dict(reduction=reduction), grad=(0, 1), dtype=dtype)
    for w in (uniform(4, 3, dtype=dtype), uniform(3, dtype=dtype)):
        check("binary_cross_entropy", [x, t, w], dict(reduction=reduction), grad=(0, 1),
              dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_at_zero_and_one(dtype):
    # the logs are clamped at -100 and the gradient's denominator floored, as in PyTorch
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-30], dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.3, 1.0], dtype)
    check("binary_cross_entropy", [x, t], dict(reduction="none"), grad=(0,), dtype=dtype)
    check("binary_cross_entropy", [x, t], dict(reduction="sum"), grad=(0,), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(dtype, reduction):
    x = rand(5, 3, dtype=dtype, scale=3)
    t = uniform(5, 3, dtype=dtype)
    check("binary_cross_entropy_with_logits", [x, t], dict(reduction=reduction), grad=(0, 1),
          dtype=dtype)
    w, pw = uniform(5, 3, dtype=dtype), uniform(3, dtype=dtype, high=3)
    args = [x, t, w, None, None, reduction, pw]
    check("binary_cross_entropy_with_logits", args, grad=(0, 1), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_with_logits_extreme(dtype):
    x = np.array([1e4, -1e4, 100.0, -100.0, 0.0, 40.0, -40.0], dtype)
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.0, 1.0], dtype)
    pw = np.array([2.5], dtype)
    check("binary_cross_entropy_with_logits", [x, t], dict(reduction="none"), dtype=dtype)
    check("binary_cross_entropy_with_logits", [x, t, None, None, None, "sum", pw],
          dtype=dtype)


# ---- kl_div -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(dtype, reduction, log_target):
    x = np.log(uniform(4, 5, dtype=dtype, low=0.05))
    t = uniform(4, 5, dtype=dtype, low=0.05)
    t[0, 0] = 0.0 if not log_target else t[0, 0]
    if log_target:
        t = np.log(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check("kl_div", [x, t], dict(reduction=reduction, log_target=log_target),
              grad=(0,), dtype=dtype)
    t2 = uniform(4, 5, dtype=dtype, low=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check("kl_div", [x, np.log(t2) if log_target else t2],
              dict(reduction=reduction, log_target=log_target), grad=(0, 1), dtype=dtype)


def test_kl_div_mean_warns():
    x, t = numtorch.zeros(2, 3), numtorch.full((2, 3), 0.5)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)


# ---- regression losses ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(dtype, reduction):
    x, t = rand(4, 3, dtype=dtype), rand(4, 3, dtype=dtype)
    t[0, 0] = x[0, 0]  # |d| = 0: the kink of l1
    t[1, 0] = x[1, 0] - 0.5  # |d| = beta = delta: the switch point of smooth_l1 / huber
    w = uniform(4, 3, dtype=dtype, low=0.1)
    kw = dict(reduction=reduction)
    for name in ("mse_loss", "l1_loss"):
        check(name, [x, t], kw, grad=(0, 1), dtype=dtype)
        check(name, [x, t], dict(kw, weight=w), grad=(0, 1), dtype=dtype)
    for beta in (0.0, 0.5, 2.0):
        check("smooth_l1_loss", [x, t], dict(kw, beta=beta), grad=(0, 1), dtype=dtype)
    for delta in (0.5, 1.0, 3.0):
        check("huber_loss", [x, t], dict(kw, delta=delta), grad=(0, 1), dtype=dtype)
    check("huber_loss", [x, t], dict(kw, weight=w), grad=(0, 1), dtype=dtype)


def test_broadcast_target_warns_and_broadcasts():
    x, t = rand(3, 1), rand(3)
    for name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        with pytest.warns(UserWarning, match="different to the input size"):
            check(name, [x, t], grad=(0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(numtorch.tensor(t), numtorch.tensor(t))


def test_legacy_size_average_and_reduce():
    x, t = rand(3, 2), rand(3, 2)
    for size_average, reduce in ((False, None), (None, False), (True, True), (False, True)):
        with pytest.warns(UserWarning, match="size_average and reduce"):
            check("mse_loss", [x, t], dict(size_average=size_average, reduce=reduce))
        with pytest.warns(UserWarning, match="size_average and reduce"):
            check("cross_entropy", [x, np.array([0, 1, 1])],
                  dict(size_average=size_average, reduce=reduce))


# ---- margin, embedding and likelihood losses --------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses(dtype, reduction):
    kw = dict(reduction=reduction)
    x1, x2 = rand(5, 4, dtype=dtype), rand(5, 4, dtype=dtype)
    y = np.array([1.0, -1.0, 1.0, -1.0, 0.0], dtype)
    for margin in (0.0, 0.3, -0.5):
        check("cosine_embedding_loss", [x1, x2, y], dict(kw, margin=margin), grad=(0, 1),
              dtype=dtype)
    check("cosine_embedding_loss", [x1[0], x2[0], np.array(-1.0, dtype)], kw, grad=(0, 1),
          dtype=dtype)
    a, b = rand(6, dtype=dtype), rand(6, dtype=dtype)
    s = np.array([1, -1, 1, 1, -1, -1], dtype)
    for margin in (0.0, 0.5):
        check("margin_ranking_loss", [a, b, s], dict(kw, margin=margin), grad=(0, 1),
              dtype=dtype)
        check("hinge_embedding_loss", [a, s], dict(kw, margin=margin + 1), dtype=dtype)
    check("soft_margin_loss", [a, s], kw, dtype=dtype)
    anchor, pos, neg = rand(4, 3, dtype=dtype), rand(4, 3, dtype=dtype), rand(4, 3, dtype=dtype)
    for p, swap in ((2, False), (1, True), (3, True)):
        check("triplet_margin_loss", [anchor, pos, neg], dict(kw, p=p, swap=swap, margin=2.0),
              grad=(0, 1, 2), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_likelihood_losses(dtype, reduction):
    kw = dict(reduction=reduction)
    x = rand(4, 3, dtype=dtype)
    counts = rng.integers(0, 5, (4, 3)).astype(dtype)
    for full in (False, True):
        check("poisson_nll_loss", [x, counts], dict(kw, full=full), dtype=dtype)
        check("poisson_nll_loss", [np.exp(x), counts], dict(kw, full=full, log_input=False),
              dtype=dtype)
    t = rand(4, 3, dtype=dtype)
    var = uniform(4, 3, dtype=dtype, low=0.1)
    var[0, 0] = 1e-9  # floored at eps, the gradient passing through
    for v in (var, var[:, 0], var[:, :1]):
        for full in (False, True):
            check("gaussian_nll_loss", [x, t, v], dict(kw, full=full), grad=(0, 1, 2),
                  dtype=dtype)
    check("gaussian_nll_loss", [x, t, 0.5], kw, grad=(0, 1), dtype=dtype)


# ---- second derivatives of the primitives -------------------------------------------------------

SECOND_ORDER = {
    "ce_smoothing": (lambda f, lib, x, t, w: f.cross_entropy(x, t, weight=w,
                                                             label_smoothing=0.2),
                     lambda: [rand(3, 4, 2), np.array([[0, 3], [-100, 1], [2, 2]])], (0,)),
    "ce_none": (lambda f, lib, x, t, w: f.cross_entropy(x, t, reduction="none"),
                lambda: [rand(3, 4), np.array([0, 3, 1])], (0,)),
    "ce_probs": (lambda f, lib, x, t, w: f.cross_entropy(x, t, weight=w),
                 lambda: [rand(3, 4), uniform(3, 4)], (0, 1)),
    "mse": (lambda f, lib, x, t, w: f.mse_loss(x, t) * f.mse_loss(x, t, reduction="sum"),
            lambda: [rand(3, 4), rand(3, 4)], (0, 1)),
    "bce": (lambda f, lib, x, t, w: f.binary_cross_entropy(x, t, reduction="none"),
            lambda: [uniform(3, 4, low=0.1, high=0.9), uniform(3, 4)], (0, 1)),
    "bce_logits": (lambda f, lib, x, t, w: f.binary_cross_entropy_with_logits(
        x, t, pos_weight=w), lambda: [rand(3, 4), uniform(3, 4)], (0, 1)),
}


@pytest.mark.parametrize("case", sorted(SECOND_ORDER))
def test_second_derivatives(case):
    """grad(loss) with create_graph, then the gradient of <grad, v>: compared with PyTorch."""
    fn, make, diff = SECOND_ORDER[case]
    arrays = make()
    w = uniform(4, low=0.5)
    results = []
    for lib, f in ((numtorch, F), (torch, TF)):
        args = [lib.tensor(a.copy(), requires_grad=i in diff) for i, a in enumerate(arrays)]
        loss = fn(f, lib, *args, lib.tensor(w))
        grads = lib.autograd.grad(loss, [args[i] for i in diff],
                                  lib.ones_like(loss), create_graph=True)
        total = sum((g * lib.tensor(np.cos(np.arange(g.numel())).reshape(tuple(g.shape))))
                    .sum() for g in grads)
        total.backward()
        results.append([g.detach().numpy() for g in grads]
                       + [args[i].grad.numpy() for i in diff])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
