"""Run with 2 ranks (through numtorch.distributed.run): DistributedDataParallel against
single-process training on the whole batch, no_sync, find_unused_parameters, buffers, and
DistributedSampler. Prints "ok <name>" lines on rank 0 and "ALL OK" at the end."""
from __future__ import annotations

import contextlib
import copy
import gc
import os
import sys
from pathlib import Path

import numpy as np

import numtorch as torch
import numtorch.distributed as dist
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.nn.parallel import DistributedDataParallel as DDP
from numtorch.utils.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("mpi")
rank, n = dist.get_rank(), dist.get_world_size()
assert n == 2, "this worker expects 2 ranks"
# the launcher sets torchrun's variables
assert os.environ["RANK"] == str(rank) and os.environ["WORLD_SIZE"] == "2", dict(os.environ)
assert os.environ["LOCAL_RANK"] == str(rank)


def ok(name):
    dist.barrier()
    if rank == 0:
        print("ok", name, flush=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.fc1 = nn.Linear(3 * 6 * 6, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        x = F.relu(self.conv(x)).flatten(1)
        return self.fc2(torch.tanh(self.fc1(x)))


def batch(seed, size=8):
    g = np.random.default_rng(seed)
    x = torch.from_numpy(g.normal(size=(size, 1, 8, 8)))
    y = torch.from_numpy(g.integers(0, 4, size))
    return x, y


def assert_close(a, b, name, tol):
    a = a.detach().numpy() if hasattr(a, "detach") else a
    b = b.detach().numpy() if hasattr(b, "detach") else b
    if not np.allclose(a, b, rtol=tol, atol=tol):
        raise AssertionError(f"rank {rank}: {name}: max diff {np.abs(a - b).max()}")


# ---- DDP on a split batch == one process on the whole batch, SGD and Adam ----------------
for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 2e-5)):
    for make_opt in (lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
                     lambda ps: torch.optim.Adam(ps, lr=0.01)):
        torch.manual_seed(0)
        reference = Net().to(dtype)
        torch.manual_seed(rank + 1)  # a different start on each rank: DDP copies rank 0's
        local = Net().to(dtype)
        if rank == 0:
            local.load_state_dict(reference.state_dict())
        model = DDP(local)
        for p, q in zip(model.parameters(), reference.parameters()):
            assert_close(p, q, "broadcast at construction", 0)
        opt, ref_opt = make_opt(model.parameters()), make_opt(reference.parameters())
        for step in range(5):
            x, y = batch(step)
            x = x.to(dtype)
            opt.zero_grad()
            F.cross_entropy(model(x[4 * rank:4 * rank + 4]), y[4 * rank:4 * rank + 4]).backward()
            opt.step()
            ref_opt.zero_grad()
            F.cross_entropy(reference(x), y).backward()
            ref_opt.step()
        for (name, p), q in zip(model.module.named_parameters(), reference.parameters()):
            assert_close(p, q, f"{type(opt).__name__} {dtype} {name}", tol)
        ok(f"DDP == single process, {type(opt).__name__}, {dtype}")

# ---- the wrapper: .module, forward, state_dict --------------------------------------------
assert model.module is local
x, _ = batch(9)
x = x.float()
assert_close(model(x), local(x), "forward passes through", 0)
keys = list(model.state_dict())
assert keys and all(k.startswith("module.") for k in keys), keys
ok("module, forward, state_dict")

# ---- no_sync: local accumulation, then one averaged reduction ------------------------------
torch.manual_seed(0)
reference = Net().double()
model = DDP(copy.deepcopy(reference))
x, y = batch(42)
mine = slice(4 * rank, 4 * rank + 4)
with model.no_sync():
    F.cross_entropy(model(x[mine][:2]), y[mine][:2]).div(2).backward()
local_only = copy.deepcopy(reference)
F.cross_entropy(local_only(x[mine][:2]), y[mine][:2]).div(2).backward()
for p, q in zip(model.parameters(), local_only.parameters()):
    assert_close(p.grad, q.grad, "no_sync keeps the local gradient", 1e-12)
F.cross_entropy(model(x[mine][2:]), y[mine][2:]).div(2).backward()
F.cross_entropy(reference(x), y).backward()
for p, q in zip(model.parameters(), reference.parameters()):
    assert_close(p.grad, q.grad, "no_sync then sync == whole batch", 1e-10)
ok("no_sync")

# once the wrapper is gone, the module trains alone again (the hooks hold it weakly)
wrapped = model.module
del model
gc.collect()
for p in wrapped.parameters():
    p.grad = None
F.cross_entropy(wrapped(x[mine]), y[mine]).backward()
sums = [None] * n
dist.all_gather_object(sums, float(sum(p.grad.sum() for p in wrapped.parameters())))
assert sums[0] != sums[1], "the gradients were still averaged after the wrapper was deleted"
ok("no reduction without the wrapper")


# ---- find_unused_parameters: a head only rank 0 uses, one nobody uses ---------------------
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(5, 5)
        self.a = nn.Linear(5, 1)
        self.b = nn.Linear(5, 1)
        self.never = nn.Linear(5, 1)

    def forward(self, x, use_a):
        h = torch.tanh(self.body(x))
        return self.a(h) if use_a else self.b(h)


torch.manual_seed(3)
reference = TwoHeads().double()
model = DDP(copy.deepcopy(reference), find_unused_parameters=True)
xs = [torch.from_numpy(np.random.default_rng(7 + r).normal(size=(6, 5))) for r in range(2)]
for _ in range(2):  # twice: the bookkeeping resets between iterations
    for p in model.parameters():
        p.grad = None
    model(xs[rank], use_a=rank == 0).pow(2).mean().backward()
grads = {}
for r in range(2):
    ref = copy.deepcopy(reference)
    ref(xs[r], use_a=r == 0).pow(2).mean().backward()
    grads[r] = dict(ref.named_parameters())
for name, p in model.module.named_parameters():
    g0, g1 = grads[0][name].grad, grads[1][name].grad
    if name.startswith("never"):
        assert p.grad is None, f"{name}: unused everywhere, its grad must stay None"
        continue
    want = sum(g.detach().numpy() for g in (g0, g1) if g is not None) / 2
    assert_close(p.grad, want, f"find_unused_parameters {name}", 1e-12)
ok("find_unused_parameters")

# ---- buffers follow rank 0 ----------------------------------------------------------------
net = nn.BatchNorm1d(3)
net.running_mean.fill_(float(rank + 1))
model = DDP(net)
assert_close(net.running_mean, np.ones(3, np.float32), "buffers broadcast", 0)
ok("buffers broadcast from rank 0")

# ---- an unused parameter without find_unused_parameters: a clear error next iteration -------
model = DDP(TwoHeads().double())
model(xs[rank], use_a=True).sum().backward()
try:
    model(xs[rank], use_a=True)
except RuntimeError as e:
    assert "find_unused_parameters" in str(e) and "b.weight" in str(e), str(e)
else:
    raise AssertionError("an unfinished reduction was not reported")
ok("unused parameter error")

# ---- DistributedSampler ------------------------------------------------------------------
for size, drop_last in ((11, False), (11, True), (12, False)):
    data = TensorDataset(torch.arange(size))
    sampler = DistributedSampler(data, shuffle=True, seed=5, drop_last=drop_last)
    assert sampler.num_replicas == 2 and sampler.rank == rank
    epochs = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        got = [int(b[0]) for (b,) in DataLoader(data, batch_size=1, sampler=sampler)]
        assert len(got) == len(sampler)
        every = [None] * n
        dist.all_gather_object(every, got)
        assert len(every[0]) == len(every[1]), "every rank gets the same count"
        union = sorted(every[0] + every[1])
        if drop_last:
            assert len(union) == size // 2 * 2 and len(set(union)) == len(union), union
        else:
            assert set(union) == set(range(size)), union
            assert len(union) == size + (-size) % 2, union  # padded by repeating
        epochs.append(every[0] + every[1])
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2], "set_epoch reshuffles"
    assert list(sampler) == got, "the same epoch gives the same order again"
ok("DistributedSampler")

# ---- CUDA tensors (on fake_cupy without a GPU) travel through host memory ----------------
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from conftest import CUDA_TESTED, cuda_context  # noqa: E402

with cuda_context() if CUDA_TESTED else contextlib.nullcontext():
    device = "cuda" if CUDA_TESTED else "cpu"  # NUMTORCH_TEST_CUDA=0: the same on the CPU
    x = torch.full((3,), float(rank + 1), device=device)
    dist.all_reduce(x)
    assert x.device.type == device
    assert_close(x.cpu(), np.full(3, 3.0, np.float32), "all_reduce on cuda", 0)
    torch.manual_seed(0)
    reference = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.Tanh(), nn.Linear(8, 4))
    reference = reference.double()
    replica = copy.deepcopy(reference)
    model = DDP(replica.cuda() if device == "cuda" else replica)
    x, y = batch(11)
    F.cross_entropy(model(x[mine].to(device)), y[mine].to(device)).backward()
    F.cross_entropy(reference(x), y).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        assert p.grad.device.type == device
        assert_close(p.grad.cpu(), q.grad, "DDP on cuda", 1e-10)
ok("cuda tensors")

dist.destroy_process_group()
if rank == 0:
    print("ALL OK", flush=True)
