"""Loss modules and loss error types against PyTorch (values and gradients are compared with
the helpers of test_nn_losses.py)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numtorch
from test_nn_losses import TF, F, check, rand, rng, torch, uniform

# ---- modules ------------------------------------------------------------------------------------

MODULE_CASES = [
    ("MSELoss", {}, 2), ("L1Loss", dict(reduction="sum"), 2),
    ("SmoothL1Loss", dict(beta=0.5), 2), ("HuberLoss", dict(delta=0.7, reduction="none"), 2),
    ("SoftMarginLoss", {}, 2), ("KLDivLoss", dict(reduction="batchmean", log_target=True), 2),
    ("PoissonNLLLoss", dict(full=True), 2), ("GaussianNLLLoss", dict(full=True), 3),
    ("CosineEmbeddingLoss", dict(margin=0.2), 3), ("MarginRankingLoss", dict(margin=0.1), 3),
    ("HingeEmbeddingLoss", dict(margin=0.5), 2), ("TripletMarginLoss", dict(swap=True), 3),
    ("BCELoss", {}, 2), ("BCEWithLogitsLoss", {}, 2),
]


@pytest.mark.parametrize("name, kwargs, arity", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_loss_modules(name, kwargs, arity):
    x = uniform(4, 3, low=0.1, high=0.9)
    others = {"CosineEmbeddingLoss": [x[::-1].copy(), np.array([1.0, -1, -1, 1])],
              "MarginRankingLoss": [x[::-1].copy(), np.sign(rand(4, 3))],
              "GaussianNLLLoss": [rand(4, 3), uniform(4, 3, low=0.2)],
              "HingeEmbeddingLoss": [np.sign(rand(4, 3))],
              "SoftMarginLoss": [np.sign(rand(4, 3))]}
    rest = others.get(name, [uniform(4, 3, low=0.1, high=0.9) for _ in range(arity - 1)])
    ours_m, torch_m = getattr(numtorch.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours_m) == repr(torch_m)
    assert ours_m.reduction == torch_m.reduction
    check(name, [x] + rest, grad=(0,), fn=ours_m, tfn=torch_m)


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss"])
def test_weighted_class_modules(name):
    w = uniform(4, low=0.3)
    kwargs = dict(ignore_index=2, reduction="mean")
    if name == "CrossEntropyLoss":
        kwargs["label_smoothing"] = 0.1
    ours_m = getattr(numtorch.nn, name)(weight=numtorch.tensor(w), **kwargs)
    torch_m = getattr(torch.nn, name)(weight=torch.tensor(w), **kwargs)
    assert list(ours_m.state_dict()) == list(torch_m.state_dict()) == ["weight"]
    assert ours_m.ignore_index == 2 and repr(ours_m) == repr(torch_m)
    check(name, [rand(5, 4, 3), rng.integers(0, 4, (5, 3))], fn=ours_m, tfn=torch_m)
    assert list(getattr(numtorch.nn, name)().state_dict()) == []


def test_bce_modules_buffers_and_legacy_arguments():
    w, pw = uniform(3, low=0.5), uniform(3, low=0.5, high=3)
    ours_m = numtorch.nn.BCEWithLogitsLoss(weight=numtorch.tensor(w),
                                           pos_weight=numtorch.tensor(pw))
    torch_m = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(pw))
    assert list(ours_m.state_dict()) == list(torch_m.state_dict()) == ["weight", "pos_weight"]
    check("bce", [rand(4, 3), uniform(4, 3)], fn=ours_m, tfn=torch_m)
    check("bce", [uniform(4, 3), uniform(4, 3)], fn=numtorch.nn.BCELoss(numtorch.tensor(w)),
          tfn=torch.nn.BCELoss(torch.tensor(w)))
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert numtorch.nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning):
        assert numtorch.nn.CrossEntropyLoss(reduce=False).reduction == "none"
    with pytest.raises(ValueError):
        torch.nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError):
        numtorch.nn.TripletMarginLoss(margin=0.0)


# ---- errors -----------------------------------------------------------------------------------

def _raises_like(fn, ours, theirs):
    """Both libraries raise, with the same exception type."""
    with pytest.raises(Exception) as expected:
        fn(TF, torch, *theirs)
    with pytest.raises(expected.type):
        fn(F, numtorch, *ours)


def _tensors(*arrays):
    return ([numtorch.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays])


ERROR_CASES = {
    "ce_target_too_large": lambda f, lib, x, t: f.cross_entropy(x, t + 4),
    "ce_target_negative": lambda f, lib, x, t: f.cross_entropy(x, t - 3),
    "ce_int32_target": lambda f, lib, x, t: f.cross_entropy(x, t.int()),
    "ce_batch_mismatch": lambda f, lib, x, t: f.cross_entropy(x, t[:2]),
    "ce_nd_mismatch": lambda f, lib, x, t: f.cross_entropy(x.reshape(3, 2, 2), t.reshape(3, 1)),
    "ce_2d_target_for_2d_input": lambda f, lib, x, t: f.cross_entropy(x, t.reshape(3, 1)),
    "ce_weight_size": lambda f, lib, x, t: f.cross_entropy(x, t, weight=lib.ones(3)),
    "ce_weight_dtype": lambda f, lib, x, t: f.cross_entropy(x, t,
                                                             weight=lib.ones(4).float()),
    "ce_weight_grad": lambda f, lib, x, t: f.cross_entropy(
        x, t, weight=lib.ones(4, dtype=lib.float64, requires_grad=True)),
    "ce_smoothing": lambda f, lib, x, t: f.cross_entropy(x, t, label_smoothing=1.5),
    "ce_reduction": lambda f, lib, x, t: f.cross_entropy(x, t, reduction="average"),
    "ce_probs_ignore_index": lambda f, lib, x, t: f.cross_entropy(x, x.softmax(1),
                                                                  ignore_index=0),
    "ce_int_input": lambda f, lib, x, t: f.cross_entropy(t.reshape(3, 1), t),
    "ce_0d_input": lambda f, lib, x, t: f.cross_entropy(x[0, 0], t[0]),
    "nll_0d_input": lambda f, lib, x, t: f.nll_loss(x[0, 0], t[0]),
    "nll_float_target": lambda f, lib, x, t: f.nll_loss(x, t.double()),
    "nll_out_of_range": lambda f, lib, x, t: f.nll_loss(x, t * 5),
    "bce_range": lambda f, lib, x, t: f.binary_cross_entropy(x, x.sigmoid()),
    "bce_shape": lambda f, lib, x, t: f.binary_cross_entropy(x.sigmoid(), x[:, :1].sigmoid()),
    "bce_dtype": lambda f, lib, x, t: f.binary_cross_entropy(x.sigmoid(), x.sigmoid().float()),
    "bce_logits_shape": lambda f, lib, x, t: f.binary_cross_entropy_with_logits(x, x[0]),
    "mse_shapes": lambda f, lib, x, t: f.mse_loss(x, x[:, :3]),
    "mse_int": lambda f, lib, x, t: f.mse_loss(t, t),
    "mse_reduction": lambda f, lib, x, t: f.mse_loss(x, x, reduction="avg"),
    "mse_weight_shape": lambda f, lib, x, t: f.mse_loss(x, x, weight=x[0]),
    "smooth_l1_beta": lambda f, lib, x, t: f.smooth_l1_loss(x, x, beta=-1.0),
    "huber_delta": lambda f, lib, x, t: f.huber_loss(x, x, delta=0.0),
    "kl_reduction": lambda f, lib, x, t: f.kl_div(x, x, reduction="batch"),
    "gaussian_var_size": lambda f, lib, x, t: f.gaussian_nll_loss(x, x, x[0, :2].abs()),
    "gaussian_var_negative": lambda f, lib, x, t: f.gaussian_nll_loss(x, x, -x.abs()),
    "gaussian_reduction": lambda f, lib, x, t: f.gaussian_nll_loss(x, x, x.abs(), reduction="m"),
    "cosine_dims": lambda f, lib, x, t: f.cosine_embedding_loss(x, x, t.double().reshape(3, 1)),
    "cosine_target_dims": lambda f, lib, x, t: f.cosine_embedding_loss(x[0], x[0], t.double()),
    "ranking_dims": lambda f, lib, x, t: f.margin_ranking_loss(x[0], x, x[0]),
    "triplet_dims": lambda f, lib, x, t: f.triplet_margin_loss(x, x[0], x),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_error_types(case):
    ours, theirs = _tensors(rand(3, 4), np.array([0, 1, 3]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_like(ERROR_CASES[case], ours, theirs)


def test_out_of_range_message_names_the_target():
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        F.cross_entropy(numtorch.zeros(2, 3), numtorch.tensor([0, 7]))
    # ignore_index itself may lie outside [0, C)
    assert F.nll_loss(numtorch.zeros(2, 3), numtorch.tensor([0, 7]), ignore_index=7).item() == 0
