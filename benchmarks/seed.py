"""The seed workload side by side: ms per training step for numtorch, PyTorch and plain NumPy.

Run: python benchmarks/seed.py   (prints a markdown table for default threads and one thread)
Each setting runs in a fresh process so the BLAS thread count takes effect; inside it the three
implementations are interleaved (A B C A B C ...) after a warm-up, and the median is reported.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

N, D_IN, H, D_OUT = 64, 1000, 100, 10
STEPS, ROUNDS = 50, 7


def data():
    import numpy as np
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32)
            for s in ((N, D_IN), (N, D_OUT), (D_IN, H), (H, D_OUT))]


def make_framework_step(lib, arrays):
    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    x, y, w1, w2 = (lib.tensor(a) for a in arrays)
    w1.requires_grad_()
    w2.requires_grad_()
    relu = MyReLU.apply

    def step():
        nonlocal w1, w2
        loss = (relu(x.mm(w1)).mm(w2) - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            w1 -= 1e-6 * w1.grad
            w2 -= 1e-6 * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
        return loss.item()
    return step


def make_numpy_step(arrays):
    x, y, w1, w2 = (a.copy() for a in arrays)

    def step():
        nonlocal w1, w2
        h = x @ w1
        h_relu = h.clip(min=0)
        y_pred = h_relu @ w2
        diff = y_pred - y
        loss = float((diff * diff).sum())
        g_pred = 2.0 * diff
        g_w2 = h_relu.T @ g_pred
        g_h = g_pred @ w2.T
        g_h[h < 0] = 0
        g_w1 = x.T @ g_h
        w1 -= 1e-6 * g_w1
        w2 -= 1e-6 * g_w2
        return loss
    return step


def measure() -> dict:
    import numpy as np
    import torch

    import numtorch
    threads = os.environ.get("OMP_NUM_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    arrays = data()
    steps = {"numtorch": make_framework_step(numtorch, arrays),
             "pytorch": make_framework_step(torch, arrays),
             "numpy": make_numpy_step(arrays)}
    losses = {k: [s() for _ in range(5)] for k, s in steps.items()}
    ref = np.array(losses["pytorch"])
    for k, v in losses.items():  # same math before timing it
        assert np.allclose(v, ref, rtol=1e-3), (k, v, ref)
    times = {k: [] for k in steps}
    for _ in range(ROUNDS):
        for k, s in steps.items():
            t0 = time.perf_counter()
            for _ in range(STEPS):
                s()
            times[k].append((time.perf_counter() - t0) / STEPS * 1e3)
    return times


def main() -> None:
    if "--child" in sys.argv:
        print(json.dumps(measure()))
        return
    rows = []
    for label, threads in (("default", None), ("1", "1")):
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.pop(var, None)
            if threads:
                env[var] = threads
        out = subprocess.run([sys.executable, __file__, "--child"], env=env, check=True,
                             capture_output=True, text=True).stdout
        times = json.loads(out.strip().splitlines()[-1])
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append((label, med, times))
    print("| threads | numtorch ms/step | PyTorch ms/step | NumPy floor ms/step "
          "| numtorch/PyTorch | numtorch/floor |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, med, times in rows:
        cells = [f"{med[k]:.3f} ({min(times[k]):.3f}-{max(times[k]):.3f})"
                 for k in ("numtorch", "pytorch", "numpy")]
        print(f"| {label} | {' | '.join(cells)} | {med['numtorch'] / med['pytorch']:.2f} "
              f"| {med['numtorch'] / med['numpy']:.2f} |")


if __name__ == "__main__":
    main()
