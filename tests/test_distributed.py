"""numtorch.distributed, DistributedDataParallel and DistributedSampler.

The multi-process checks start worker scripts (tests/distributed_workers/) under mpiexec with 2
and 4 ranks on this machine; each worker bundles many checks into one launch and prints
"ALL OK" when all pass. Every launch has a time bound, so a hang fails instead of blocking.
They skip without mpi4py/mpiexec locally, but are mandatory under CI (CI=true).
"""
from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

import numtorch
import numtorch.distributed as dist
from numtorch.distributed import run as launcher
from numtorch.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parent.parent
WORKERS = Path(__file__).resolve().parent / "distributed_workers"


def _mpiexec() -> str:
    """mpiexec, or a skip (a failure under CI, where the distributed extra is installed)."""
    ci = os.environ.get("CI") == "true"
    if not dist.is_available():
        if ci:
            raise RuntimeError("CI must install mpi4py (the distributed extra)")
        pytest.skip("mpi4py is not installed (pip install -e '.[distributed]')")
    try:
        return launcher.find_mpiexec()
    except RuntimeError:
        if ci:
            raise
        pytest.skip("no mpiexec (pip install -e '.[distributed]')")


def launch(args: list, timeout: float = 180.0) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMTORCH_EXAMPLE_SHORT="1")
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=ROOT)


def mpiexec(n: int, script: str, *args, timeout: float = 180.0):
    return launch([_mpiexec(), "-n", str(n), sys.executable, str(WORKERS / script), *args],
                  timeout=timeout)


def report(proc) -> str:
    return f"exit code {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


# ---- without MPI: nothing started, clear errors ----------------------------------------------
def test_import_does_not_start_mpi():
    code = ("import sys, numtorch, numtorch.distributed, numtorch.nn.parallel; "
            "import numtorch.utils.data.distributed; print('mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(),
    lambda: dist.get_world_size(),
    lambda: dist.all_reduce(numtorch.ones(2)),
    lambda: dist.broadcast(numtorch.ones(2), src=0),
    lambda: dist.barrier(),
    lambda: dist.send(numtorch.ones(2), dst=1),
    lambda: numtorch.nn.parallel.DistributedDataParallel(numtorch.nn.Linear(2, 2)),
    lambda: DistributedSampler(range(10)),
], ids=["get_rank", "get_world_size", "all_reduce", "broadcast", "barrier", "send", "DDP",
        "DistributedSampler"])
def test_before_init_process_group(call):
    assert not dist.is_initialized()
    # PyTorch raises ValueError here; ours is also a RuntimeError
    with pytest.raises(ValueError, match="init_process_group") as info:
        call()
    assert isinstance(info.value, RuntimeError)


def test_reduce_op_names():
    assert [op.name for op in dist.ReduceOp] == ["SUM", "AVG", "PRODUCT", "MIN", "MAX",
                                                 "BAND", "BOR", "BXOR"]
    assert dist.ReduceOp.RedOpType.SUM is dist.ReduceOp.SUM


def test_launcher_command():
    cmd = launcher.command(["-n", "3", "--mpiexec", "/x/mpiexec", "train.py", "--lr", "0.1"])
    assert cmd[:3] == ["/x/mpiexec", "-n", "3"]
    assert cmd[3:] == [sys.executable, "-m", "numtorch.distributed._rank", "train.py", "--lr",
                       "0.1"]
    cmd = launcher.command(["--mpiexec", "/x/mpiexec", "-m", "pkg.mod"])
    assert cmd[-2:] == ["-m", "pkg.mod"] and cmd[1:3] == ["-n", "1"]
    # torchrun's --nproc-per-node: per machine, so the total counts the hosts
    cmd = launcher.command(["--nproc-per-node", "2", "--hosts", "a,b,c", "--mpiexec",
                            "/x/mpiexec", "t.py"])
    assert cmd[1:3] == ["-n", "6"] and "a,b,c" in cmd


def test_sampler_rules_match_pytorch():
    from conftest import require_torch
    torch = require_torch()
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    for size, replicas, drop_last in ((10, 4, False), (10, 4, True), (3, 8, False),
                                      (12, 3, False), (7, 2, True), (1, 1, False)):
        for rank in range(replicas):
            ours = DistributedSampler(range(size), replicas, rank, shuffle=False,
                                      drop_last=drop_last)
            theirs = TorchSampler(range(size), replicas, rank, shuffle=False,
                                  drop_last=drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
            shuffled = DistributedSampler(range(size), replicas, rank, seed=3,
                                          drop_last=drop_last)
            assert len(list(shuffled)) == len(theirs)
    with pytest.raises(ValueError, match="Invalid rank"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    assert torch is not None


def test_sampler_shuffles_per_epoch_and_covers_everything():
    samplers = [DistributedSampler(range(9), 3, r, seed=1) for r in range(3)]
    orders = []
    for epoch in range(3):
        for s in samplers:
            s.set_epoch(epoch)
        parts = [list(s) for s in samplers]
        assert sorted(sum(parts, [])) == list(range(9))
        orders.append(parts)
    assert orders[0] != orders[1] != orders[2]
    samplers[0].set_epoch(0)
    assert list(samplers[0]) == orders[0][0]


# ---- under mpiexec ---------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 4])
def test_collectives_against_numpy(n):
    proc = mpiexec(n, "collectives.py")
    assert proc.returncode == 0 and f"ALL OK {n}" in proc.stdout, report(proc)
    assert proc.stdout.count("ok ") >= 30, report(proc)


def test_ddp_matches_single_process_and_sampler():
    """Through the launcher: DDP (SGD, Adam, no_sync, find_unused_parameters, buffers) and
    DistributedSampler on 2 ranks."""
    _mpiexec()
    proc = launch([sys.executable, "-m", "numtorch.distributed.run", "-n", "2",
                   str(WORKERS / "ddp.py")])
    assert proc.returncode == 0 and "ALL OK" in proc.stdout, report(proc)
    for name in ("SGD, numtorch.float64", "Adam, numtorch.float32", "no_sync",
                 "find_unused_parameters", "DistributedSampler"):
        assert name in proc.stdout, report(proc)


@pytest.mark.parametrize("mode, expected", [
    ("hang", "did not complete within 1.5 s"),
    ("raise", "rank 1 failed on purpose"),
    ("kill", "signal 9"),
])
def test_a_failing_rank_ends_the_job(mode, expected):
    """A rank that hangs, raises or is killed: the job ends with an error (the subprocess
    timeout is the bound; a hang would exceed it)."""
    proc = mpiexec(2, "failures.py", mode, timeout=90)
    assert proc.returncode != 0, report(proc)
    assert "all_reduce returned" not in proc.stdout, report(proc)
    assert expected in proc.stdout + proc.stderr, report(proc)
    if mode != "kill":
        assert "aborting all ranks" in proc.stderr, report(proc)


def test_ddp_digits_example():
    _mpiexec()
    if os.environ.get("CI") != "true":
        pytest.importorskip("sklearn")
    proc = launch([sys.executable, "-m", "numtorch.distributed.run", "-n", "2",
                   str(ROOT / "examples" / "ddp_digits.py"), "--short"], timeout=300)
    assert proc.returncode == 0, report(proc)
    out = proc.stdout
    assert "2 rank(s)" in out and "replicas in sync" in out and "loss decreased" in out, out
    # rank 0 alone prints: each line once
    assert out.count("epoch 1/") == 1 and out.count("replicas in sync") == 1, out
    assert "rank 1:" in out, out


def test_timeout_argument_checked():
    with pytest.raises(TypeError, match="timedelta"):
        dist.init_process_group("mpi", timeout="10s")
    with pytest.raises(ValueError, match="unknown backend"):
        dist.init_process_group("tcp", timeout=datetime.timedelta(seconds=5))
    assert not dist.is_initialized()
