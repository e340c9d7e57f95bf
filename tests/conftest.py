"""Shared test helpers: the PyTorch reference import that only CI treats as mandatory."""

from __future__ import annotations

import os

import pytest


def require_torch():
    """Import torch, skipping the calling module when it is missing (failing instead under CI)."""
    if os.environ.get("CI") == "true":
        import torch

        return torch
    return pytest.importorskip("torch")


# ---- devices: 'cpu' and 'cuda' ----------------------------------------------------------------
# 'cuda' runs on a real GPU when CuPy sees one; otherwise on fake_cupy, a NumPy-backed stand-in
# with a GPU array type of its own, so the CUDA code path (dispatch, transfers, device checks)
# is tested on every machine. NUMTORCH_TEST_CUDA=0 leaves the 'cuda' cases out; on a real GPU
# the op_db tests sweep every dtype on 'cuda' unless NUMTORCH_TEST_CUDA_ALL=0 (then, as on the
# fake, float32 and a few int64 forward cases).
def _real_gpu() -> bool:
    from numtorch import _backend as B
    return B.gpu() is not None


REAL_GPU = _real_gpu()
CUDA_TESTED = os.environ.get("NUMTORCH_TEST_CUDA", "1") != "0"
CUDA_ALL_DTYPES = REAL_GPU and os.environ.get("NUMTORCH_TEST_CUDA_ALL", "1") != "0"
DEVICES = ["cpu", "cuda"] if CUDA_TESTED else ["cpu"]


def cuda_context():
    """A context in which CUDA tensors can be made: the real GPU, or fake_cupy installed."""
    import contextlib
    if REAL_GPU:
        return contextlib.nullcontext()
    import fake_cupy
    return fake_cupy.installed()


@pytest.fixture(params=DEVICES)
def device(request):
    """'cpu' or 'cuda' (a real GPU when present, else fake_cupy)."""
    if request.param == "cpu":
        yield "cpu"
        return
    with cuda_context():
        yield request.param
