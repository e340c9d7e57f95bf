"""``python -m numtorch.distributed.run -n N train.py [args]``: a thin wrapper over mpiexec.

It finds mpiexec (next to this Python first: the ``mpich`` wheel of the ``distributed`` extra
puts it there), then replaces itself with
``mpiexec -n N python -m numtorch.distributed._rank train.py [args]``, which sets the
torchrun-style variables RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE before running the
script, so programs written for torchrun find them.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

__all__ = ["find_mpiexec", "command", "main"]


def find_mpiexec() -> str:
    """The mpiexec to use: the one installed with this Python, else the first on PATH."""
    local = Path(sys.executable).parent / "mpiexec"
    if local.exists():
        return str(local)
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found is None:
        raise RuntimeError("numtorch.distributed.run: no mpiexec found next to "
                           f"{sys.executable} or on PATH; pip install 'numtorch[distributed]' "
                           "(installs mpi4py and mpich, which provides mpiexec)")
    return found


def _is_hydra(mpiexec: str) -> bool:
    """MPICH's launcher (hydra) and Open MPI's spell host options differently."""
    return (Path(mpiexec).parent / "mpiexec.hydra").exists() or "hydra" in Path(
        mpiexec).resolve().name


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m numtorch.distributed.run",
        description="Start N copies of a training script under mpiexec (one per rank).")
    p.add_argument("-n", "--nproc", dest="n", type=int, default=None,
                   help="number of processes (ranks) to start in all")
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="per_node", type=int,
                   default=None, help="processes per machine (torchrun's option); the total "
                   "is this times the number of hosts")
    p.add_argument("--hosts", help="comma-separated host names to spread the ranks over")
    p.add_argument("--hostfile", help="a file naming one host per line")
    p.add_argument("--mpiexec", help="the mpiexec to run (default: found automatically)")
    p.add_argument("-m", "--module", action="store_true",
                   help="the script is a module name, run as python -m")
    p.add_argument("--dry-run", action="store_true", help="print the command, do not run it")
    p.add_argument("script", help="the training script (or module, with -m)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    return p


def command(argv: list) -> list:
    """The mpiexec command line for these launcher arguments."""
    return _command(_parser().parse_args(argv))


def _count_hosts(a) -> int:
    if a.hosts:
        return len([h for h in a.hosts.split(",") if h.strip()])
    if a.hostfile:
        lines = Path(a.hostfile).read_text().splitlines()
        return len([x for x in lines if x.strip() and not x.lstrip().startswith("#")])
    return 1


def _command(a) -> list:
    mpiexec = a.mpiexec or find_mpiexec()
    hydra = _is_hydra(mpiexec)
    n = a.n
    if a.per_node is not None:
        n = a.per_node * _count_hosts(a) if n is None else n
    n = 1 if n is None else n
    if n < 1:
        raise SystemExit(f"numtorch.distributed.run: the number of processes must be at least "
                         f"1, got {n}")
    cmd = [mpiexec, "-n", str(n)]
    if a.per_node is not None:
        cmd += ["-ppn", str(a.per_node)] if hydra else ["--map-by", f"ppr:{a.per_node}:node"]
    if a.hosts:
        cmd += ["-hosts" if hydra else "--host", a.hosts]
    if a.hostfile:
        cmd += ["-f" if hydra else "--hostfile", a.hostfile]
    cmd += [sys.executable, "-m", "numtorch.distributed._rank"]
    cmd += (["-m", a.script] if a.module else [a.script]) + list(a.args)
    return cmd


def main(argv: list | None = None) -> None:
    a = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    cmd = _command(a)
    if a.dry_run:
        print(" ".join(cmd))
        return
    sys.stdout.flush()
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
