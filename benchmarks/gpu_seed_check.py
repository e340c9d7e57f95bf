"""The seed program (examples/custom_relu.py) with its GPU line uncommented, run by numtorch on
the GPU and on the CPU from the same seed: the printed losses must agree.

Run: python benchmarks/gpu_seed_check.py    (exit status 1 when they differ)
NOTE: numtorch's GPU generator gives the CPU's numbers for one seed, so both runs start from the
same tensors; only float32 rounding (cuBLAS against the CPU's BLAS) separates them.
"""
from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CPU_LINE = 'device = torch.device("cpu")'
GPU_LINE = '# device = torch.device("cuda:0") # Uncomment this to run on GPU'


def run(source: str) -> list[tuple[int, float]]:
    import numtorch
    numtorch.manual_seed(0)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "custom_relu.py", "exec"), {"__name__": "__main__"})
    pairs = [line.split() for line in out.getvalue().splitlines()]
    return [(int(t), float(v)) for t, v in pairs]


def main() -> int:
    source = (ROOT / "examples" / "custom_relu.py").read_text()
    assert CPU_LINE in source and GPU_LINE in source, "the seed's device lines changed"
    gpu_source = source.replace(GPU_LINE, 'device = torch.device("cuda:0")')
    cpu = run(source)
    gpu = run(gpu_source)
    print("step  loss (CPU)  loss (GPU)  relative difference")
    worst = 0.0
    for (t, a), (_, b) in zip(cpu, gpu):
        rel = abs(a - b) / max(abs(a), 1e-30)
        worst = max(worst, rel)
        print(f"{t:4d}  {a:.6g}  {b:.6g}  {rel:.2e}")
    # float32 sums in another order (cuBLAS) drift a little over 500 steps; the losses fall
    # from ~3e7 to ~1e-4, so a relative 1e-2 still catches any real difference
    ok = len(cpu) == len(gpu) == 5 and worst < 1e-2
    print(f"seed program on cuda:0: {'OK' if ok else 'MISMATCH'} (largest relative difference "
          f"{worst:.2e})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
