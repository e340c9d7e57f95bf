"""``DistributedDataParallel``: one model replica per rank, gradients averaged during backward.

At construction rank 0's parameters and buffers are broadcast to every rank. Gradients are
grouped into buckets (in reverse parameter order, roughly the order backward produces them);
each parameter's post-accumulate-grad hook copies its gradient into its bucket, and a full
bucket is all-reduced with MPI's non-blocking ``Iallreduce`` while backward goes on. The hook
of the last parameter waits for every bucket and writes the averages back into ``.grad``, so
when ``loss.backward()`` returns the gradients are the same on every rank.
"""
from __future__ import annotations

import functools
import weakref
import zlib
from contextlib import contextmanager

from ... import _backend as B
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.graph import _NOT_A_TENSOR, AccumulateGrad
from ...distributed import process_group as P
from ...distributed._common import host, on_device_of, put
from ..module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_MB = 1.0  # a small first bucket starts communication early, as PyTorch does
_DEFAULT_BUCKET_MB = 25.0


class _Bucket:
    """Parameters of one dtype whose gradients travel in one flat buffer."""

    __slots__ = ("params", "offsets", "flat", "ready", "request")

    def __init__(self, params: list):
        self.params = params
        self.offsets = []
        total = 0
        for p in params:
            self.offsets.append(total)
            total += p._data.size
        self.flat = B.np.zeros(total, dtype=params[0]._data.dtype)
        self.ready = 0
        self.request = None


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of the default (or given) process group.

    Args:
        module: the model; every rank must build the same one.
        broadcast_buffers: copy rank 0's buffers (e.g. BatchNorm statistics) to every rank at
            each forward.
        init_sync: broadcast rank 0's parameters and buffers at construction.
        process_group: the group to average over (default: the world).
        bucket_cap_mb: bucket size in MiB (default 25).
        find_unused_parameters: walk the autograd graph after each forward, so parameters that
            did not take part are not waited for.
        device_ids, output_device, dim, check_reduction, gradient_as_bucket_view,
            static_graph: accepted for PyTorch compatibility and ignored.

    Example::

        dist.init_process_group("mpi")
        model = DistributedDataParallel(Net())
        loss_fn(model(x_local), y_local).backward()   # .grad is the average over ranks
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, **kwargs):
        super().__init__()
        pg = P.resolve(process_group, "DistributedDataParallel")
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not part of process_group")
        self.module = module
        self.process_group = pg
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((bucket_cap_mb or _DEFAULT_BUCKET_MB) * 1024 * 1024)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        self._names = {id(p): n for n, p in named}
        self._params = [p for _, p in named]
        self._verify_same_model()
        if init_sync:
            self._broadcast([p for p in module.parameters()] + list(module.buffers()))
        self._buckets = self._make_buckets()
        self._where = {}
        for b in self._buckets:
            for i, p in enumerate(b.params):
                self._where[id(p)] = (b, i)
        # the hooks hold the wrapper weakly: once it is gone, its parameters train alone again
        hook = functools.partial(_grad_ready_hook, weakref.ref(self))
        self._handles = [p.register_post_accumulate_grad_hook(hook) for p in self._params]
        # per backward pass
        self._syncing = False       # the last forward asked for a reduction
        self._marked = set()        # ids of parameters whose gradient is in its bucket
        self._launched = 0          # buckets [0, _launched) have their Iallreduce posted
        self._unused = []           # parameters the last forward did not reach
        self._used = None           # this rank's use of each parameter (find_unused_parameters)
        self._used_request = None

    # ---- construction ---------------------------------------------------------------------
    def _verify_same_model(self) -> None:
        """Every rank must hold the same parameters (count, shapes, dtypes)."""
        pg = self.process_group
        if pg.size() == 1:
            return
        desc = ";".join(f"{tuple(p.shape)}{p.dtype}" for p in self._params)
        sig = B.np.array([len(self._params), zlib.crc32(desc.encode())], dtype=B.np.int64)
        every = B.np.empty((pg.size(), 2), dtype=B.np.int64)
        P.wait_all(pg, [pg.comm.Iallgather(sig, every)], "DistributedDataParallel (model check)")
        for r, (count, crc) in enumerate(every):
            if count != sig[0] or crc != sig[1]:
                raise RuntimeError(
                    f"DistributedDataParallel expects the same model on every rank, but rank "
                    f"{pg.rank()} has {sig[0]} parameters and rank {r} has {count}, or their "
                    f"shapes or dtypes differ. Build the same module on every rank.")

    def _broadcast(self, tensors: list) -> None:
        """Rank 0's values of ``tensors`` to every rank: one Ibcast per dtype."""
        pg = self.process_group
        if pg.size() == 1 or not tensors:
            return
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype.str, []).append(t)
        pending = []
        for group in by_dtype.values():
            flat = B.np.concatenate([host(t._data).ravel() for t in group])
            pending.append((group, flat, pg.comm.Ibcast(flat, root=0)))
        P.wait_all(pg, [req for _, _, req in pending], "DistributedDataParallel (broadcast)")
        if pg.rank() == 0:
            return
        for group, flat, _ in pending:
            offset = 0
            for t in group:
                n = t._data.size
                put(t, flat[offset:offset + n])
                offset += n

    def _make_buckets(self) -> list:
        buckets, current, size = [], [], 0
        cap = int(_FIRST_BUCKET_MB * 1024 * 1024)
        for p in reversed(self._params):
            if current and (size + p._data.nbytes > cap
                            or p._data.dtype != current[0]._data.dtype):
                buckets.append(_Bucket(current))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(p)
            size += p._data.nbytes
        buckets.append(_Bucket(current))
        return buckets

    # ---- forward ----------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._marked:
            self._unfinished_error()
        if self.broadcast_buffers:
            self._broadcast(list(self.module.buffers()))
        out = self.module(*inputs, **kwargs)
        self._syncing = self.require_backward_grad_sync and is_grad_enabled()
        self._unused = []
        if self._syncing and self.find_unused_parameters:
            reached = _reached_leaves(out)
            self._unused = [p for p in self._params if id(p) not in reached]
        return out

    @contextmanager
    def no_sync(self):
        """Backward passes whose forward runs inside this block only accumulate gradients
        locally; the first synced backward after it averages the accumulated sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # ---- backward: the hooks ----------------------------------------------------------------
    def _grad_ready(self, p: Tensor) -> None:
        if not self._syncing:
            return
        if not self._marked and self.find_unused_parameters:
            self._start_round_with_unused()
        self._mark(p)

    def _mark(self, p: Tensor) -> None:
        key = id(p)
        if key in self._marked:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self._names[key]!r} received its gradient "
                f"twice in one reduction round (several backward passes over one forward, or "
                f"a backward that reached only part of the model). Run one backward per "
                f"forward, or use no_sync() for the extra passes.")
        self._marked.add(key)
        bucket, i = self._where[key]
        n = p._data.size
        start = bucket.offsets[i]
        if p._grad is None:
            bucket.flat[start:start + n] = 0
        else:
            bucket.flat[start:start + n] = host(p._grad._data).ravel()
        bucket.ready += 1
        self._launch_ready()
        if self._launched == len(self._buckets):
            self._finish()
        elif self._launched:
            # MPI moves data only inside MPI calls: give the posted buckets a push
            self.process_group.MPI.Request.Testall(
                [b.request for b in self._buckets[:self._launched]])

    def _start_round_with_unused(self) -> None:
        """First hook of a backward with find_unused_parameters: count unused parameters as
        ready (with a zero contribution unless they hold an accumulated gradient) and share
        which parameters each rank used."""
        pg = self.process_group
        unused = {id(p) for p in self._unused}
        self._used = B.np.array([id(p) not in unused for p in self._params], dtype=B.np.int32)
        self._used_request = pg.comm.Iallreduce(pg.MPI.IN_PLACE, self._used, op=pg.MPI.MAX)
        for p in self._unused:
            self._mark(p)

    def _launch_ready(self) -> None:
        """Post the Iallreduce of full buckets, strictly in bucket order so every rank issues
        the same sequence of collectives."""
        pg = self.process_group
        while self._launched < len(self._buckets):
            bucket = self._buckets[self._launched]
            if bucket.ready < len(bucket.params):
                return
            bucket.request = pg.comm.Iallreduce(pg.MPI.IN_PLACE, bucket.flat, op=pg.MPI.SUM)
            self._launched += 1

    def _finish(self) -> None:
        """Wait for every bucket, then write the averaged gradients into ``.grad``."""
        pg = self.process_group
        requests = [b.request for b in self._buckets]
        if self._used_request is not None:
            requests.append(self._used_request)
        P.wait_all(pg, requests, "DistributedDataParallel gradient all-reduce")
        used = self._used
        index = {id(p): k for k, p in enumerate(self._params)} if used is not None else None
        world = pg.size()
        for bucket in self._buckets:
            bucket.flat /= world
            for p, start in zip(bucket.params, bucket.offsets):
                if used is not None and not used[index[id(p)]]:
                    continue  # no rank used it: its .grad stays as it was (None)
                value = bucket.flat[start:start + p._data.size].reshape(p._data.shape)
                if p._grad is None:
                    p._grad = Tensor._make(on_device_of(value.copy(), p._data))
                else:
                    put(p._grad, value)
            bucket.ready = 0
            bucket.request = None
        self._marked = set()
        self._launched = 0
        self._used = self._used_request = None

    def _unfinished_error(self) -> None:
        missing = [self._names[id(p)] for p in self._params if id(p) not in self._marked]
        # start afresh (the posted buckets are abandoned: the job should stop here)
        self._marked = set()
        self._launched = 0
        self._used = self._used_request = None
        for bucket in self._buckets:
            bucket.ready = 0
            bucket.request = None
        raise RuntimeError(
            "DistributedDataParallel: expected to have finished reduction in the prior "
            "iteration before starting a new one: these parameters got no gradient in the last "
            f"backward: {missing}. Pass find_unused_parameters=True to "
            f"DistributedDataParallel if some parameters do not take part in every forward, "
            f"and make sure every output of forward takes part in the loss.")

    def __repr__(self) -> str:
        return f"DistributedDataParallel(\n  (module): {self.module!r}\n)"


def _grad_ready_hook(ref, p: Tensor) -> None:
    ddp = ref()
    if ddp is not None:
        ddp._grad_ready(p)


def _reached_leaves(out) -> set:
    """ids of the leaf tensors the autograd graph of ``out`` leads to."""
    stack, seen, leaves = [], set(), set()
    for t in _tensors_in(out):
        if t._grad_fn is not None:
            stack.append(t._grad_fn)
        elif t._requires_grad:
            leaves.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            leaves.add(id(node.variable))
            continue
        for e in node._edges:
            if e is not None and e is not _NOT_A_TENSOR:
                stack.append(e[0])
    return leaves


def _tensors_in(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _tensors_in(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors_in(x)
