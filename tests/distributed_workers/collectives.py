"""Run under mpiexec: every collective against the NumPy result each rank can compute itself.

Rank r's inputs come from a generator seeded with r, so every rank knows every rank's inputs.
Prints one "ok <name>" line per check on rank 0 and "ALL OK" at the end.
"""
from __future__ import annotations

import datetime
import time

import numpy as np

import numtorch as torch
import numtorch.distributed as dist

dist.init_process_group("mpi")
rank, n = dist.get_rank(), dist.get_world_size()


def data(r, shape=(2, 3), dtype=np.float64, lo=-3, hi=4):
    g = np.random.default_rng(1000 + r)
    if np.dtype(dtype).kind == "f":
        return g.uniform(0.5, 2.0, shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return g.integers(0, 2, shape).astype(bool)
    return g.integers(lo, hi, shape).astype(dtype)


def every(shape=(2, 3), dtype=np.float64):
    return np.stack([data(r, shape, dtype) for r in range(n)])


def t(a):
    return torch.from_numpy(np.array(a))


def same(got, want, name):
    got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    if got.dtype != np.asarray(want).dtype or not np.allclose(got, want, rtol=1e-12, atol=0):
        raise AssertionError(f"rank {rank}: {name}: got {got!r}, want {want!r}")
    dist.barrier()
    if rank == 0:
        print("ok", name, flush=True)


# all_reduce: every op, several dtypes; in place, bumping the version
x = t(data(rank))
v0 = x._version
dist.all_reduce(x)
same(x, every().sum(0), "all_reduce sum float64")
assert x._version > v0, "all_reduce must bump the version counter"
for op, fn in ((dist.ReduceOp.AVG, np.mean), (dist.ReduceOp.MAX, np.max),
               (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.PRODUCT, np.prod)):
    x = t(data(rank))
    dist.all_reduce(x, op=op)
    same(x, fn(every(), axis=0), f"all_reduce {op.name}")
x = t(data(rank, dtype=np.float32))
dist.all_reduce(x, op=dist.ReduceOp.SUM)
if not np.allclose(x.numpy(), every(dtype=np.float32).sum(0), rtol=1e-6):
    raise AssertionError("all_reduce float32")
for dt in (np.int64, np.int32, np.int16, np.int8, np.uint8):
    x = t(data(rank, dtype=dt))
    dist.all_reduce(x)
    same(x, every(dtype=dt).sum(0, dtype=dt), f"all_reduce sum {np.dtype(dt).name}")
x = t(data(rank, dtype=np.int32))
dist.all_reduce(x, op=dist.ReduceOp.BXOR)
same(x, np.bitwise_xor.reduce(every(dtype=np.int32), axis=0), "all_reduce bxor int32")
x = t(data(rank, dtype=bool))
dist.all_reduce(x, op=dist.ReduceOp.MAX)
same(x, every(dtype=bool).any(0), "all_reduce max bool")
x = t(data(rank, dtype=np.float16))
dist.all_reduce(x, op=dist.ReduceOp.MAX)
same(x, every(dtype=np.float16).max(0), "all_reduce max float16")

x = torch.tensor(float(rank + 1))  # 0-d
dist.all_reduce(x, op=dist.ReduceOp.PRODUCT)
same(x, np.array(float(np.prod(np.arange(1, n + 1))), np.float32), "all_reduce 0-d")

# a strided view: the result lands in the base tensor's memory
base = t(data(rank, (3, 4)))
view = base.t()
dist.all_reduce(view)
same(base, every((3, 4)).sum(0), "all_reduce non-contiguous view")

# async_op: a Work with wait() and is_completed()
x = t(data(rank, (1000,)))
work = dist.all_reduce(x, op=dist.ReduceOp.SUM, async_op=True)
assert isinstance(work, dist.Work)
assert work.wait() is True and work.is_completed()
same(x, every((1000,)).sum(0), "all_reduce async_op")

# broadcast from the last rank
src = n - 1
x = t(data(rank))
dist.broadcast(x, src=src)
same(x, data(src), "broadcast")
x = t(data(rank))
dist.broadcast(x, src=src, async_op=True).wait()
same(x, data(src), "broadcast async_op")

# all_gather and all_gather_into_tensor (concatenated and stacked)
outs = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)]
dist.all_gather(outs, t(data(rank)))
same(torch.stack(outs), every(), "all_gather")
out = torch.zeros(2 * n, 3, dtype=torch.float64)
dist.all_gather_into_tensor(out, t(data(rank)))
same(out, every().reshape(2 * n, 3), "all_gather_into_tensor concatenated")
out = torch.zeros(n, 2, 3, dtype=torch.float64)
dist.all_gather_into_tensor(out, t(data(rank)), async_op=True).wait()
same(out, every(), "all_gather_into_tensor stacked")

# reduce_scatter: rank r gets the reduction of everyone's block r
blocks = [t(data(rank * n + j)) for j in range(n)]
out = torch.zeros(2, 3, dtype=torch.float64)
dist.reduce_scatter(out, blocks)
want = sum(data(r * n + rank) for r in range(n))
same(out, want, "reduce_scatter sum")
big = t(np.concatenate([data(rank * n + j) for j in range(n)]))
out = torch.zeros(2, 3, dtype=torch.float64)
dist.reduce_scatter_tensor(out, big, op=dist.ReduceOp.AVG)
same(out, want / n, "reduce_scatter_tensor avg")
out = torch.zeros(2, 3, dtype=torch.float64)
dist.reduce_scatter_tensor(out, big.reshape(n, 2, 3), op=dist.ReduceOp.MAX)
same(out, np.max([data(r * n + rank) for r in range(n)], axis=0), "reduce_scatter_tensor max")

# gather to rank 1 (if there is one), scatter from rank 0
dst = 1 % n
gl = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)] if rank == dst else None
dist.gather(t(data(rank)), gl, dst=dst)
if rank == dst:
    if not np.array_equal(torch.stack(gl).numpy(), every()):
        raise AssertionError("gather")
same(torch.zeros(1), np.zeros(1, np.float32), "gather")
sl = [t(data(100 + j)) for j in range(n)] if rank == 0 else None
x = torch.zeros(2, 3, dtype=torch.float64)
dist.scatter(x, sl, src=0)
same(x, data(100 + rank), "scatter")

# reduce to rank 0: the others keep their input
x = t(data(rank, dtype=np.int64))
dist.reduce(x, dst=0, op=dist.ReduceOp.MAX)
same(x, every(dtype=np.int64).max(0) if rank == 0 else data(rank, dtype=np.int64), "reduce max")

dist.barrier()
dist.barrier(async_op=True).wait()
same(torch.ones(1), np.ones(1, np.float32), "barrier")

# a Work is not complete while a peer is missing; wait(timeout) raises and may be retried
if rank == 1:
    time.sleep(0.5)
work = dist.barrier(async_op=True)
if rank == 0 and n > 1:
    assert not work.is_completed()
    try:
        work.wait(timeout=datetime.timedelta(seconds=0.05))
    except RuntimeError as e:
        assert "did not complete within 0.05 s" in str(e), str(e)
    else:
        raise AssertionError("wait(timeout) did not time out")
assert work.wait() and work.is_completed()
same(torch.ones(1), np.ones(1, np.float32), "Work.is_completed and wait(timeout)")

# all_to_all_single and all_to_all: block j of rank r goes to rank j's block r
inp = t(np.concatenate([data(rank * n + j, (1, 3)) for j in range(n)]))
out = torch.zeros(n, 3, dtype=torch.float64)
dist.all_to_all_single(out, inp)
same(out, np.concatenate([data(r * n + rank, (1, 3)) for r in range(n)]), "all_to_all_single")
# uneven: rank r sends r + j + 1 rows to rank j
send_sizes = [rank + j + 1 for j in range(n)]
recv_sizes = [r + rank + 1 for r in range(n)]
inp = t(np.concatenate([data(rank * n + j, (rank + j + 1, 2)) for j in range(n)]))
out = torch.zeros(sum(recv_sizes), 2, dtype=torch.float64)
dist.all_to_all_single(out, inp, recv_sizes, send_sizes)
same(out, np.concatenate([data(r * n + rank, (r + rank + 1, 2)) for r in range(n)]),
     "all_to_all_single uneven")
outs = [torch.zeros(2, 3, dtype=torch.float64) for _ in range(n)]
dist.all_to_all(outs, [t(data(rank * n + j)) for j in range(n)])
same(torch.stack(outs), np.stack([data(r * n + rank) for r in range(n)]), "all_to_all")

# point to point around a ring; recv from any source tells who sent
right, left = (rank + 1) % n, (rank - 1) % n
x = torch.zeros(2, 3, dtype=torch.float64)
reqs = [dist.isend(t(data(rank)), right), dist.irecv(x, left)]
for w in reqs:
    w.wait()
same(x, data(left), "isend/irecv ring")
if rank == 0:
    senders = set()
    for _ in range(1, n):
        y = torch.zeros(2, 3, dtype=torch.float64)
        sender = dist.recv(y)
        assert np.array_equal(y.numpy(), data(sender)), "recv from any source"
        senders.add(sender)
    assert senders == set(range(1, n)), senders
else:
    dist.send(t(data(rank)), dst=0)
same(torch.ones(1), np.ones(1, np.float32), "send/recv any source")

# objects
objs = [{"rank": rank}, "x"] if rank == 0 else [None, None]
dist.broadcast_object_list(objs, src=0)
gathered = [None] * n
dist.all_gather_object(gathered, (rank, "a" * rank))
assert objs == [{"rank": 0}, "x"] and gathered == [(r, "a" * r) for r in range(n)]
same(torch.ones(1), np.ones(1, np.float32), "broadcast_object_list/all_gather_object")

# a subgroup of ranks 0 and 1
sub = dist.new_group([0, 1])
x = t(data(rank))
if rank < 2:
    dist.all_reduce(x, group=sub)
    assert dist.get_world_size(sub) == min(n, 2)
    want = sum(data(r) for r in range(min(n, 2)))
else:
    assert sub is dist.GroupMember.NON_GROUP_MEMBER
    want = data(rank)
if rank < 2:
    assert dist.get_global_rank(sub, 1) == 1 and dist.get_group_rank(sub, 0) == 0
    assert dist.get_process_group_ranks(sub) == list(range(min(n, 2)))
same(x, want, "new_group all_reduce")
dist.monitored_barrier(timeout=datetime.timedelta(seconds=60))

# mismatched calls fail on every rank with a message naming the shapes (and nothing hangs)
if n > 1:
    x = torch.zeros(3 + rank, dtype=torch.float32)
    try:
        dist.all_reduce(x)
    except RuntimeError as e:
        msg = str(e)
        assert "do not match" in msg and "[3]" in msg and "[4]" in msg, msg
    else:
        raise AssertionError("mismatched shapes were not detected")
    try:
        if rank == 0:
            dist.broadcast(torch.zeros(3), src=0)
        else:
            dist.all_reduce(torch.zeros(3))
    except RuntimeError as e:
        assert "broadcast" in str(e) and "all_reduce" in str(e), str(e)
    else:
        raise AssertionError("mismatched collectives were not detected")
    same(torch.ones(1), np.ones(1, np.float32), "mismatch detected")

# wrong arguments: clear errors before anything is sent
checks = [(lambda: dist.all_gather([torch.zeros(2)] * (n + 1), torch.zeros(2)), ValueError),
          (lambda: dist.all_reduce(torch.ones(2, dtype=torch.int64), op=dist.ReduceOp.AVG),
           RuntimeError),
          (lambda: dist.broadcast(torch.ones(2), src=n), ValueError)]
for call, exc in checks:
    try:
        call()
    except exc:
        pass
    else:
        raise AssertionError(f"expected {exc.__name__}")
same(torch.ones(1), np.ones(1, np.float32), "argument errors")

dist.destroy_process_group()
assert not dist.is_initialized()
if rank == 0:
    print("ALL OK", n, flush=True)
