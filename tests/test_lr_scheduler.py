"""numtorch.optim.lr_scheduler against PyTorch: each scheduler's learning rates (and OneCycleLR's
momentum) over 30 steps, resuming, state_dict round trips and the errors for bad arguments."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import numtorch
from conftest import require_torch
from numtorch.optim import lr_scheduler

torch = require_torch()


def _optimizer(lib, name="SGD"):
    groups = [{"params": [lib.nn.Parameter(lib.ones(2))]},
              {"params": [lib.nn.Parameter(lib.ones(1))], "lr": 0.3}]
    kwargs = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1)
    return getattr(lib.optim, name)(groups, **kwargs)


def _sched(lib):
    return lib.optim.lr_scheduler


SCHEDULERS = {
    "StepLR": lambda L, o: L.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 1 / (e + 1)),
    "LambdaLR-list": lambda L, o: L.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: e % 3 + 1]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.95),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=8),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=6),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=31),
    "OneCycleLR-linear-3": lambda L, o: L.OneCycleLR(
        o, max_lr=[0.5, 2.0], epochs=4, steps_per_epoch=8, pct_start=0.25,
        anneal_strategy="linear", three_phase=True, div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-nomomentum": lambda L, o: L.OneCycleLR(o, max_lr=0.4, total_steps=40,
                                                       cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5),
    "CosineAnnealingWarmRestarts-mult": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=4), L.ExponentialLR(o, gamma=0.9),
            L.StepLR(o, step_size=3)], milestones=[5, 12]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.2, total_iters=5), L.ExponentialLR(o, gamma=0.8)]),
    "SequentialLR-cosine": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.5, total_iters=3), L.CosineAnnealingLR(o, T_max=6)],
        milestones=[4]),
}


def _trace(lib, key, steps=30, optimizer="SGD"):
    opt = _optimizer(lib, optimizer)
    sched = SCHEDULERS[key](_sched(lib), opt)
    out = []
    for _ in range(steps):
        momentum = [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]
        out.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], momentum))
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("key", list(SCHEDULERS))
def test_lr_sequence_matches_torch(key):
    ours, theirs = _trace(numtorch, key), _trace(torch, key)
    for (a, b, c), (ta, tb, tc) in zip(ours, theirs):
        np.testing.assert_allclose(a, ta, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(b, tb, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(c, tc, rtol=1e-12, atol=1e-15)


def test_one_cycle_cycles_adam_betas():
    ours = _trace(numtorch, "OneCycleLR", optimizer="Adam")
    theirs = _trace(torch, "OneCycleLR", optimizer="Adam")
    np.testing.assert_allclose([m for _, _, m in ours], [m for _, _, m in theirs], rtol=1e-12)


def test_one_cycle_too_many_steps():
    for lib in (numtorch, torch):
        opt = _optimizer(lib)
        sched = _sched(lib).OneCycleLR(opt, max_lr=1.0, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                opt.step()
                sched.step()
            with pytest.raises(ValueError, match="Tried to step 4 times"):
                sched.step()


PLATEAU = [dict(), dict(mode="max", factor=0.5, patience=2, threshold=0.1, cooldown=2),
           dict(patience=1, threshold_mode="abs", threshold=0.05, min_lr=[0.02, 0.1]),
           dict(mode="max", threshold_mode="abs", patience=0, factor=0.7, eps=1e-3)]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_on_plateau_matches_torch(kwargs):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.89, 0.88, 0.88, 0.9, 1.2, 1.21, 1.3, 0.5] * 3

    def trace(lib):
        opt = _optimizer(lib)
        sched = _sched(lib).ReduceLROnPlateau(opt, **kwargs)
        out = []
        for m in metrics:
            opt.step()
            sched.step(m)
            out.append(([g["lr"] for g in opt.param_groups], sched.get_last_lr(),
                        sched.num_bad_epochs, sched.cooldown_counter))
        return out, sched.state_dict()

    (ours, sd), (theirs, tsd) = trace(numtorch), trace(torch)
    for (a, b, n, c), (ta, tb, tn, tc) in zip(ours, theirs):
        np.testing.assert_allclose(a, ta, rtol=1e-12)
        np.testing.assert_allclose(b, tb, rtol=1e-12)
        assert (n, c) == (tn, tc)
    assert sorted(sd) == sorted(tsd)


@pytest.mark.parametrize("key", ["StepLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR",
                                 "CosineAnnealingWarmRestarts-mult", "SequentialLR"])
def test_state_dict_round_trip(key):
    opt = _optimizer(numtorch)
    sched = SCHEDULERS[key](lr_scheduler, opt)
    for _ in range(5):
        opt.step()
        sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved
    # resuming from a checkpoint: build both, then load both
    opt2 = _optimizer(numtorch)
    sched2 = SCHEDULERS[key](lr_scheduler, opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(saved)
    for _ in range(5):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in opt2.param_groups]


def test_state_dict_keys_match_torch():
    for key in ["StepLR", "CosineAnnealingLR", "LambdaLR"]:
        ours = SCHEDULERS[key](lr_scheduler, _optimizer(numtorch)).state_dict()
        theirs = SCHEDULERS[key](_sched(torch), _optimizer(torch)).state_dict()
        public = {k for k in theirs if not k.startswith("_")}
        assert public <= set(ours), key
        assert ours["lr_lambdas" if key == "LambdaLR" else "base_lrs"] == \
            theirs["lr_lambdas" if key == "LambdaLR" else "base_lrs"]


def test_resume_and_initial_lr():
    for lib in (numtorch, torch):
        opt = _optimizer(lib)
        with pytest.raises(KeyError):
            _sched(lib).StepLR(opt, step_size=2, last_epoch=3)
    ours, theirs = _optimizer(numtorch), _optimizer(torch)
    for o in (ours, theirs):
        for g in o.param_groups:
            g["initial_lr"] = 1.0
    a = lr_scheduler.ExponentialLR(ours, gamma=0.5, last_epoch=4)
    b = _sched(torch).ExponentialLR(theirs, gamma=0.5, last_epoch=4)
    assert a.get_last_lr() == b.get_last_lr()
    ours.step()
    theirs.step()
    a.step()
    b.step()
    assert a.get_last_lr() == b.get_last_lr()


def test_step_with_epoch_uses_closed_form():
    out = []
    for lib in (numtorch, torch):
        opt = _optimizer(lib)
        sched = _sched(lib).CosineAnnealingLR(opt, T_max=10)
        with pytest.warns(UserWarning):
            sched.step(7)
        w = _sched(lib).CosineAnnealingWarmRestarts(_optimizer(lib), T_0=2, T_mult=3)
        w.step(9.5)
        out.append((sched.get_last_lr(), w.get_last_lr(), w.T_i, w.T_cur))
    assert out[0][:2] == out[1][:2] and math.isclose(out[0][3], out[1][3])
    assert out[0][2] == out[1][2]


def test_warns_when_stepped_before_optimizer():
    for lib in (numtorch, torch):
        sched = _sched(lib).StepLR(_optimizer(lib), step_size=2)
        with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
            sched.step()


BAD = [
    lambda L, o: L.ConstantLR(o, factor=1.5),
    lambda L, o: L.LinearLR(o, start_factor=0),
    lambda L, o: L.LinearLR(o, end_factor=1.5),
    lambda L, o: L.LambdaLR(o, [lambda e: 1.0]),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=0),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5),
    lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
    lambda L, o: L.OneCycleLR(o, max_lr=[1.0], total_steps=10),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda L, o: L.ReduceLROnPlateau(o, factor=1.0),
    lambda L, o: L.ReduceLROnPlateau(o, mode="avg"),
    lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda L, o: L.SequentialLR(o, [L.StepLR(o, 2)], milestones=[3]),
    lambda L, o: L.SequentialLR(o, [], milestones=[]),
]


@pytest.mark.parametrize("index", range(len(BAD)))
def test_bad_arguments_match_torch(index):
    with pytest.raises(Exception) as theirs:
        BAD[index](_sched(torch), _optimizer(torch))
    with pytest.raises(type(theirs.value)) as ours:
        BAD[index](lr_scheduler, _optimizer(numtorch))
    assert str(ours.value) == str(theirs.value)


def test_one_cycle_needs_momentum():
    p = numtorch.nn.Parameter(numtorch.ones(1))
    with pytest.raises(ValueError, match="momentum or beta1"):
        lr_scheduler.OneCycleLR(numtorch.optim.Adagrad([p]), max_lr=1.0, total_steps=5)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
