"""numtorch.distributed on MPI: all-reduce bandwidth, and the digits CNN's epoch time on 1 and 2
ranks.

Run: python benchmarks/allreduce.py [-n RANKS] [--max-mb 64] [--epochs 4]
It starts itself under mpiexec for the bandwidth table (float32 buffers of 1 KiB to 64 MiB,
``dist.all_reduce`` with and without the cross-rank shape check against mpi4py's blocking
``Allreduce`` on the same buffers, interleaved, median of rounds), then runs
examples/ddp_digits.py on 1 and 2 ranks and reports the median epoch time (first epoch dropped).
Prints markdown tables. Needs the `distributed` and `examples` extras.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _worker(max_mb: int) -> None:
    import numpy as np

    import numtorch as torch
    import numtorch.distributed as dist
    from numtorch.distributed import process_group as P
    dist.init_process_group("mpi")
    pg = P.default_group("benchmark")
    comm, MPI = pg.comm, pg.MPI
    rank, n = dist.get_rank(), dist.get_world_size()

    def timed(fn, reps):
        comm.Barrier()
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        mine = np.array([time.perf_counter() - start])
        comm.Allreduce(MPI.IN_PLACE, mine, op=MPI.MAX)  # the slowest rank's time counts
        return mine[0] / reps

    if rank == 0:
        library = MPI.Get_library_version().splitlines()[0].strip()
        print(f"all_reduce (SUM) of float32 buffers over {n} ranks, {library}; time per call, "
              f"median of 5 rounds; algbw = bytes / time\n")
        print("| size | mpi4py Allreduce | numtorch all_reduce | overhead | numtorch, no "
              "shape check | overhead | algbw numtorch |")
        print("|---|---|---|---|---|---|---|")
    size = 1024
    while size <= max_mb * 1024 * 1024:
        buf = np.ones(size // 4, dtype=np.float32)
        t = torch.from_numpy(buf)
        reps = max(3, min(2000, int(2e7 // size)))

        def raw(buf=buf):
            comm.Allreduce(MPI.IN_PLACE, buf)

        def ours(t=t):
            dist.all_reduce(t)

        results = {"raw": [], "checked": [], "unchecked": []}
        for _ in range(5):
            results["raw"].append(timed(raw, reps))
            pg.check = True
            results["checked"].append(timed(ours, reps))
            pg.check = False
            results["unchecked"].append(timed(ours, reps))
            buf[...] = 1  # keep the values finite
        pg.check = True
        if rank == 0:
            r, c, u = (statistics.median(results[k]) for k in ("raw", "checked", "unchecked"))
            label = f"{size // 1024} KiB" if size < 1024 ** 2 else f"{size // 1024 ** 2} MiB"
            print(f"| {label} | {_us(r)} | {_us(c)} | {c / r:.2f}x | {_us(u)} | {u / r:.2f}x | "
                  f"{size / c / 1e9:.2f} GB/s |", flush=True)
        size *= 4
    dist.destroy_process_group()


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def _digits(ranks: int, epochs: int) -> float:
    """Median epoch time (s) of examples/ddp_digits.py on ``ranks`` ranks, first dropped."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "numtorch.distributed.run", "-n", str(ranks),
           str(ROOT / "examples" / "ddp_digits.py"), "--epochs", str(epochs)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"ddp_digits.py on {ranks} ranks failed:\n{out.stdout}\n{out.stderr}")
    times = [float(x) for x in re.findall(r"epoch time ([0-9.]+) s", out.stdout)]
    return statistics.median(times[1:] if len(times) > 1 else times)


def main() -> None:
    parser = argparse.ArgumentParser(description="all-reduce bandwidth and DDP epoch time")
    parser.add_argument("-n", type=int, default=2, help="ranks for the bandwidth table")
    parser.add_argument("--max-mb", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--skip-digits", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.max_mb)
        return
    from numtorch.distributed.run import find_mpiexec
    env = dict(os.environ, OMP_NUM_THREADS="1")
    subprocess.run([find_mpiexec(), "-n", str(args.n), sys.executable, __file__, "--worker",
                    "--max-mb", str(args.max_mb)], check=True, env=env, timeout=3600)
    if args.skip_digits:
        return
    print(f"\nexamples/ddp_digits.py (1,500 images, batch 32 per rank, Adam), median epoch "
          f"time of {args.epochs} epochs without the first, on {os.cpu_count()} CPU cores\n")
    print("| ranks | s per epoch | speed-up |")
    print("|---|---|---|")
    one = _digits(1, args.epochs)
    print(f"| 1 | {one:.3f} | 1.00x |", flush=True)
    two = _digits(2, args.epochs)
    print(f"| 2 | {two:.3f} | {one / two:.2f}x |")


if __name__ == "__main__":
    main()
