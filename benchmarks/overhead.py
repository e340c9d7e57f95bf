"""Per-op overhead: a chain of 99 ops on (16,)-shaped float32 tensors (h * a, h + b, custom
ReLU, repeated), then sum and backward; microseconds per op for numtorch and PyTorch.

Run: python benchmarks/overhead.py   (set OMP_NUM_THREADS=1 for the single-thread figures)
The two libraries alternate over 7 rounds; medians with min-max are printed as markdown.
"""
from __future__ import annotations

import statistics
import time

ROUNDS, REPEAT, OPS = 7, 100, 99


def make_chain(lib):
    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            x, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[x < 0] = 0
            return grad_input

    lib.manual_seed(0)
    x = lib.randn(16, requires_grad=True)
    a, b = lib.randn(16), lib.randn(16)

    def run(backward: bool) -> None:
        h = x
        for _ in range(OPS // 3):
            h = MyReLU.apply(h * a + b)
        if backward:
            h.sum().backward()
    return run


def main() -> None:
    import torch

    import numtorch
    chains = {"numtorch": make_chain(numtorch), "pytorch": make_chain(torch)}
    times = {(k, m): [] for k in chains for m in ("forward", "forward+backward")}
    for _ in range(ROUNDS):
        for name, run in chains.items():
            for mode, bw in (("forward", False), ("forward+backward", True)):
                run(bw)  # warm-up
                t0 = time.perf_counter()
                for _ in range(REPEAT):
                    run(bw)
                times[name, mode].append((time.perf_counter() - t0) / REPEAT / OPS * 1e6)
    print("| mode | numtorch us/op | PyTorch us/op | numtorch/PyTorch |")
    print("| --- | --- | --- | --- |")
    for mode in ("forward", "forward+backward"):
        med = {k: statistics.median(times[k, mode]) for k in chains}
        cells = [f"{med[k]:.2f} ({min(times[k, mode]):.2f}-{max(times[k, mode]):.2f})"
                 for k in chains]
        print(f"| {mode} | {' | '.join(cells)} | {med['numtorch'] / med['pytorch']:.2f} |")


if __name__ == "__main__":
    main()
