"""numtorch on a GPU (through CuPy) against PyTorch CUDA: ms per training step.

Run: python benchmarks/gpu_bench.py [--quick] [--out results.md]
Workloads: the seed program's step (two-layer net, custom ReLU Function, N=64, 1000-100-10) and
an MLP 784-512-512-10 with batch 4096 (cross-entropy, SGD with momentum). Each framework runs
its steps back to back and is synchronised (cupy / torch.cuda) before the clock stops; the two
are interleaved round by round after a warm-up, and the median round is reported.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

TARGETS = {"seed": 1.5, "mlp": 1.2}


def seed_step(lib, device):
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

    lib.manual_seed(0)
    x = lib.randn(64, 1000, device=device)
    y = lib.randn(64, 10, device=device)
    w1 = lib.randn(1000, 100, device=device, requires_grad=True)
    w2 = lib.randn(100, 10, device=device, requires_grad=True)
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
        return loss
    return step


def mlp_step(lib, device, batch=4096):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10)).to(device)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = lib.randn(batch, 784, device=device)
    y = lib.randint(0, 10, (batch,), device=device)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def measure(workload, steps, rounds, warmup):
    import torch

    import numtorch
    make = {"seed": seed_step, "mlp": mlp_step}[workload]
    runs = {"numtorch": (make(numtorch, "cuda"), numtorch.cuda.synchronize),
            "PyTorch": (make(torch, "cuda"), torch.cuda.synchronize)}
    for step, sync in runs.values():
        for _ in range(warmup):
            step()
        sync()
    times = {name: [] for name in runs}
    issue = {name: [] for name in runs}  # the Python side alone: until the last step is queued
    for _ in range(rounds):
        for name, (step, sync) in runs.items():
            sync()
            start = time.perf_counter()
            for _ in range(steps):
                step()
            queued = time.perf_counter()
            sync()
            times[name].append((time.perf_counter() - start) / steps * 1e3)
            issue[name].append((queued - start) / steps * 1e3)
    return ({name: statistics.median(t) for name, t in times.items()},
            {name: statistics.median(t) for name, t in issue.items()})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--out", help="also write the markdown table here")
    args = parser.parse_args()
    import cupy
    import torch
    name = torch.cuda.get_device_name(0)
    rounds = 3 if args.quick else 7
    rows = []
    for workload, steps, label in (("seed", 50, "seed step (64x1000-100-10, custom ReLU)"),
                                   ("mlp", 10, "MLP 784-512-512-10, batch 4096, SGD")):
        ms, queued = measure(workload, steps, rounds, warmup=10)
        ratio = ms["numtorch"] / ms["PyTorch"]
        target = TARGETS[workload]
        rows.append(f"| {label} | {ms['numtorch']:.3f} ({queued['numtorch']:.3f}) | "
                    f"{ms['PyTorch']:.3f} ({queued['PyTorch']:.3f}) | {ratio:.2f}x | "
                    f"{target}x | {'yes' if ratio <= target else 'no'} |")
        print(rows[-1], flush=True)
    table = "\n".join([
        f"GPU: {name}; CuPy {cupy.__version__}, PyTorch {torch.__version__}; median of "
        f"{rounds} rounds, ms per step, synchronised (in brackets: the time to queue the "
        f"steps, the Python side alone; near the total means the framework, not the GPU, "
        f"sets the pace).", "",
        "| workload | numtorch (CuPy) | PyTorch CUDA | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |", *rows])
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
