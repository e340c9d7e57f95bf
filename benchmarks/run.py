"""The benchmark suite of issue 7: numtorch against PyTorch and a plain-NumPy floor.

Run: python benchmarks/run.py [--quick] [--threads both|default|1] [--only NAME ...]
(``make bench`` runs it with the venv's python; ``--quick`` is a smoke run of a minute or two;
``--profile conv`` prints a cProfile summary of one workload's numtorch steps instead.)

For each thread setting, three worker processes start, one per implementation (numtorch, PyTorch,
the NumPy floor), each importing only its own library so that no library's thread pool spins
while another is timed. "default" leaves the libraries' own thread defaults; "1" sets
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to 1 in the workers' environment and
also calls threadpoolctl's ``threadpool_limits(1)`` and ``torch.set_num_threads(1)``. Per
workload each worker builds its step from the same seeded float32 arrays; the parent compares
their results (losses, gradients) and then times them in turn (numtorch, PyTorch, NumPy,
numtorch, ...) after a warm-up: a sample is the mean over enough calls to fill ``--sample``
seconds, and the table shows the median sample with the min-max range. Import time and the
seed workload's peak RSS come from fresh subprocesses, one library each, interleaved too. The
markdown table is printed and saved as benchmarks/results/latest.md and
benchmarks/results/<UTC timestamp>.md (raw samples in latest.json).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

LIBS = ("numtorch", "pytorch", "numpy")
TITLES = {"numtorch": "numtorch", "pytorch": "PyTorch", "numpy": "NumPy floor"}
MODULES = {"numtorch": "numtorch", "pytorch": "torch", "numpy": "numpy"}
# issue 7's targets (default threads): numtorch / PyTorch and numtorch / NumPy floor
TARGETS = {"seed": (0.90, 1.05), "overhead, forward+backward": (1.0, None), "mlp": (0.85, 1.10),
           "conv": (1.5, 1.0), "import time": (0.1, None), "peak RSS, seed": (0.5, None)}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


MALLOC_TUNED = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(1 << 30)}


def _env(threads: str, malloc_tuned: bool = False) -> dict:
    env = dict(os.environ)
    for var in THREAD_VARS:
        env.pop(var, None)
        if threads != "default":
            env[var] = threads
    for var in MALLOC_TUNED:
        env.pop(var, None)
    if malloc_tuned:  # glibc keeps freed memory instead of returning it (and refaulting it)
        env.update(MALLOC_TUNED)
    src = os.path.join(os.path.dirname(HERE), "src")  # numtorch from this checkout
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


# ---- worker processes: one per implementation, driven in turn by the parent ---------------

def _time(step, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        step()
    return time.perf_counter() - t0


def worker(conn, impl: str, threads: str) -> None:
    """Serve one implementation: build a workload, return its check results, time calls."""
    import numpy  # noqa: F401
    import workloads
    from threadpoolctl import threadpool_info, threadpool_limits
    lib = None
    if impl != "numpy":
        lib = __import__(MODULES[impl])
    if threads != "default":
        threadpool_limits(int(threads))
        if impl == "pytorch":
            lib.set_num_threads(int(threads))
    by_name = {wl.name: wl for wl in workloads.WORKLOADS}
    step = None
    while True:
        cmd, *a = conn.recv()
        if cmd == "info":
            conn.send({"threadpoolctl": threadpool_info(),
                       "version": (lib or numpy).__version__,
                       "torch_threads": lib.get_num_threads() if impl == "pytorch" else None})
        elif cmd == "build":
            wl = by_name[a[0]]
            step = wl.build(impl, a[1])
            conn.send(wl.run_check(step))
        elif cmd == "calibrate":  # warm up, then the calls that fill a sample
            t = _time(step, 3) / 3
            reps = max(1, int(a[0] / max(t, 1e-9)))
            _time(step, min(reps, 50))
            conn.send(reps)
        elif cmd == "time":
            conn.send(_time(step, a[0]) / a[0])
        else:
            return


def measure_all(args, threads: str) -> dict:
    """Start the three workers with the thread setting and run every workload through them."""
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(_env(threads, args.malloc_tuned))
    conns, procs = {}, []
    try:
        for impl in LIBS:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(child, impl, threads), daemon=True)
            proc.start()
            conns[impl] = parent
            procs.append(proc)
    finally:
        os.environ.clear()
        os.environ.update(saved)

    def ask(impl, *msg):
        conns[impl].send(msg)
        return conns[impl].recv()

    import workloads
    info = {impl: ask(impl, "info") for impl in LIBS}
    results = {}
    for wl in workloads.WORKLOADS:
        if args.only and not any(o in wl.name for o in args.only):
            continue
        wl.check({impl: ask(impl, "build", wl.name, "full") for impl in LIBS})
        reps = {impl: ask(impl, "calibrate", args.sample) for impl in LIBS}
        samples = {impl: [] for impl in LIBS}
        for _ in range(args.rounds):
            for impl in LIBS:
                time.sleep(args.pause)  # let the previous worker's thread pools go idle
                samples[impl].append(ask(impl, "time", reps[impl]) * wl.scale / wl.per)
        results[wl.name] = {"unit": wl.unit, "samples": samples}
    for impl in LIBS:
        conns[impl].send(("quit",))
    for proc in procs:
        proc.join()
    return {"info": info, "results": results}


def profile(name: str, impl: str, seconds: float = 2.0, top: int = 15) -> None:
    """cProfile one workload's steps in this process; print the functions by own time."""
    import cProfile
    import pstats

    import workloads
    wl = next(w for w in workloads.WORKLOADS if name in w.name)
    step = wl.build(impl)
    reps = max(1, int(seconds / (_time(step, 3) / 3)))
    prof = cProfile.Profile()
    prof.enable()
    _time(step, reps)
    prof.disable()
    print(f"{wl.name}, {impl}: {reps} steps under cProfile")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def rss_child(lib: str, steps: int) -> int:
    """Peak RSS (KiB) of the seed workload, only ``lib`` imported.

    NOTE: Linux's ru_maxrss keeps the parent's peak across fork and exec (getrusage(2)), so
    where /proc/self/status has VmHWM (this process's own peak) that is used instead.
    """
    import resource

    from workloads import Seed
    arrays = Seed.arrays()
    if lib == "numpy":
        step = Seed._numpy(arrays)
    else:
        step = Seed._framework(__import__(MODULES[lib]), arrays)
    for _ in range(steps):
        step()
    try:
        with open("/proc/self/status") as f:
            return int(next(line.split()[1] for line in f if line.startswith("VmHWM:")))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ---- in the parent: subprocess measurements and the table ------------------------------------

def _run_json(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"benchmark subprocess failed: {' '.join(cmd)}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def import_and_rss(threads: str, repeats: int, rss_repeats: int, steps: int) -> dict:
    env = _env(threads)
    # numtorch runs from this checkout: let it keep its compiled bytecode (outside the tree), as
    # an installed package does (pip writes .pyc files, and torch and numpy come with theirs), so
    # that a timed import measures loading rather than compiling, even under
    # PYTHONDONTWRITEBYTECODE=1; one untimed import per library fills the cache first
    imp_env = dict(env, PYTHONPYCACHEPREFIX=os.path.join(tempfile.gettempdir(), "numtorch-pyc"))
    imp_env.pop("PYTHONDONTWRITEBYTECODE", None)
    for k in LIBS:
        subprocess.run([sys.executable, "-c", f"import {MODULES[k]}"], env=imp_env, check=True)
    imp = {k: [] for k in LIBS}
    rss = {k: [] for k in LIBS}
    for r in range(repeats):
        for k in LIBS:
            code = (f"import time; t = time.perf_counter(); import {MODULES[k]}; "
                    f"print(time.perf_counter() - t)")
            imp[k].append(_run_json([sys.executable, "-c", code], imp_env) * 1e3)
        for k in LIBS if r < rss_repeats else ():
            cmd = [sys.executable, os.path.abspath(__file__), "--rss", k, "--steps", str(steps)]
            rss[k].append(_run_json(cmd, env) / 1024)
    return {"import time": {"unit": "ms", "samples": imp},
            "peak RSS, seed": {"unit": "MiB", "samples": rss}}


def machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "loadavg": os.getloadavg()}


def _blas(info) -> str:
    parts = []
    seen = {}
    for impl in LIBS:  # each worker's pools, once each
        for lib in info[impl]["threadpoolctl"]:
            seen.setdefault((lib["internal_api"], lib["prefix"], lib["num_threads"]), lib)
    for lib in seen.values():
        desc = f"{lib['internal_api']} {lib.get('version') or ''}".strip()
        if lib.get("architecture"):
            desc += f" (kernel {lib['architecture']}, {lib.get('threading_layer')})"
        parts.append(f"{desc}: {lib['num_threads']} threads [{lib['prefix']}]")
    return "; ".join(parts)


def _fmt(v: float) -> str:
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def table(results: dict, default: bool) -> list[str]:
    lines = ["| workload | unit | numtorch | PyTorch | NumPy floor | numtorch / PyTorch "
             "| numtorch / floor | target (PyTorch / floor) | met | ratios of the minima |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in results.items():
        s = r["samples"]
        med = {k: statistics.median(s[k]) for k in LIBS}
        cells = [f"{_fmt(med[k])} ({_fmt(min(s[k]))}-{_fmt(max(s[k]))})" for k in LIBS]
        ratio_pt, ratio_np = med["numtorch"] / med["pytorch"], med["numtorch"] / med["numpy"]
        target, met = TARGETS.get(name), ""
        if target:
            want = " / ".join("—" if t is None else f"<= {t}" for t in target)
            ok = [r <= t for r, t in zip((ratio_pt, ratio_np), target) if t is not None]
            met = ("met" if all(ok) else "not met") if default else "(default threads only)"
        else:
            want = "—"
        low = {k: min(s[k]) for k in LIBS}  # less disturbed by other load on the machine
        lines.append(f"| {name} | {r['unit']} | {' | '.join(cells)} | {ratio_pt:.2f} "
                     f"| {ratio_np:.2f} | {want} | {met} | {low['numtorch'] / low['pytorch']:.2f}"
                     f" / {low['numtorch'] / low['numpy']:.2f} |")
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="a fast smoke run (few, short rounds)")
    p.add_argument("--threads", default="both", choices=("both", "default", "1"))
    p.add_argument("--only", nargs="*", help="only workloads whose name contains one of these")
    p.add_argument("--no-save", action="store_true", help="print the table only")
    p.add_argument("--malloc-tuned", action="store_true",
                   help="run the workers with glibc's trim and mmap thresholds at 1 GiB (freed "
                        "memory is kept, so big temporaries stop costing page faults)")
    p.add_argument("--profile", metavar="NAME",
                   help="cProfile workload NAME (numtorch, this process's threads) and exit")
    p.add_argument("--impl", default="numtorch", choices=LIBS, help="with --profile")
    p.add_argument("--rss", help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=100, help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, help="timed rounds per workload (default 9; quick 3)")
    p.add_argument("--sample", type=float, help="seconds per timed sample (default 0.06)")
    p.add_argument("--pause", type=float, default=0.1,
                   help="seconds of idle before each sample (lets spinning thread pools sleep)")
    args = p.parse_args()
    args.rounds = args.rounds or (3 if args.quick else 9)
    args.sample = args.sample or (0.015 if args.quick else 0.06)
    if args.rss:
        print(json.dumps(rss_child(args.rss, args.steps)))
        return
    if args.profile:
        profile(args.profile, args.impl)
        return

    start = time.perf_counter()
    mach = machine()
    settings = ("default", "1") if args.threads == "both" else (args.threads,)
    cmd = "python benchmarks/run.py" + " ".join([""] + sys.argv[1:])
    stamp = datetime.now(timezone.utc)
    out = [f"# numtorch benchmarks, {stamp:%Y-%m-%d %H:%M} UTC", "",
           f"Command: `{cmd}` (from the repository root, with the venv's python).", "",
           f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['platform']}; load average "
           f"at start {', '.join(f'{v:.2f}' for v in mach['loadavg'])}.",
           f"Method: each implementation runs in its own worker process (only its library "
           f"imported, so no thread pool of one disturbs another); per workload the workers' "
           f"results are checked to agree, then after a warm-up they are timed in turn "
           f"(numtorch, PyTorch, NumPy, numtorch, ...) for {args.rounds} rounds, each sample "
           f"the mean over about {args.sample * 1e3:.0f} ms of calls after {args.pause:g} s idle; "
           f"cells are median (min-max); the ratios and targets use the medians (the last "
           f"column, numtorch / PyTorch and numtorch / floor of the fastest samples, is less "
           f"disturbed by other load on the machine). Import time and peak RSS (VmHWM of a "
           f"fresh process running the seed steps) come from fresh subprocesses, one library "
           f"each; the imports use compiled bytecode (.pyc), as installed packages do.", ""]
    raw = {"machine": mach, "command": cmd}
    versions = None
    for threads in settings:
        res = measure_all(args, threads)
        if not args.only or any(o in ("import", "rss", "RSS") for o in args.only):
            res["results"].update(import_and_rss(threads, 2 if args.quick else 5,
                                                 1 if args.quick else 3,
                                                 20 if args.quick else 100))
        raw[threads] = res
        if versions is None:
            versions = {impl: res["info"][impl]["version"] for impl in LIBS}
            out.insert(5, f"Versions: Python {mach['python']}, NumPy {versions['numpy']}, "
                          f"PyTorch {versions['pytorch']}, numtorch {versions['numtorch']}.")
        torch_threads = res["info"]["pytorch"]["torch_threads"]
        how = ("library defaults (no thread variables set)" if threads == "default" else
               "OMP/OPENBLAS/MKL_NUM_THREADS=1 in a fresh process, threadpool_limits(1), "
               "torch.set_num_threads(1)")
        if args.malloc_tuned:
            how += "; workers with " + ", ".join(f"{k}={v}" for k, v in MALLOC_TUNED.items())
        out += [f"## Threads: {threads}", "",
                f"Setting: {how}. BLAS and OpenMP as threadpoolctl reports them: "
                f"{_blas(res['info'])}; torch.get_num_threads() = {torch_threads}.", ""]
        out += table(res["results"], threads == "default") + [""]
    out.append(f"Load average at end {', '.join(f'{v:.2f}' for v in os.getloadavg())}; "
               f"the whole run took {time.perf_counter() - start:.0f} s.")
    text = "\n".join(out) + "\n"
    print(text)
    if not args.no_save:
        folder = os.path.join(HERE, "results")
        os.makedirs(folder, exist_ok=True)
        tag = ("-quick" if args.quick else "") + ("-malloc-tuned" if args.malloc_tuned else "")
        for name in (f"latest{tag}.md", f"{stamp:%Y%m%dT%H%MZ}{tag}.md"):
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)
        with open(os.path.join(folder, f"latest{tag}.json"), "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
