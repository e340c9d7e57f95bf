"""What every call shares: the ``Work`` handle, tensors as MPI buffers (GPU arrays staged
through host memory), the cheap cross-rank check of shapes and dtypes, and ReduceOp on MPI."""
from __future__ import annotations

import zlib

from .. import _backend as B
from .._tensor import Tensor
from ..autograd.check_mode import _locked, unlock
from . import process_group as P
from .process_group import ReduceOp

__all__ = ["Work", "host", "put", "on_device_of"]


class Work:
    """A posted operation: ``wait()`` blocks until it is done (or the timeout passes),
    ``is_completed()`` checks without blocking."""

    __slots__ = ("_pg", "_reqs", "_what", "_finish", "_done", "_outputs", "_source",
                 "_statuses")

    def __init__(self, pg, reqs, what: str, finish=None, outputs=()):
        self._pg = pg
        self._reqs = reqs
        self._what = what
        self._finish = finish
        self._done = False
        self._outputs = outputs
        self._source = -1
        self._statuses = None  # irecv: MPI fills in the sender and the byte count

    def _complete(self) -> None:
        self._done = True
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()

    def wait(self, timeout=None) -> bool:
        """Block until done; raise RuntimeError after ``timeout`` (a timedelta; default: the
        process group's)."""
        if not self._done:
            seconds = None if timeout is None else P._seconds(timeout)
            P.wait_all(self._pg, self._reqs, self._what, seconds, self._statuses)
            self._complete()
        return True

    def is_completed(self) -> bool:
        if not self._done:
            try:
                done = self._pg.MPI.Request.Testall(self._reqs, self._statuses)
            except self._pg.MPI.Exception as e:
                raise RuntimeError(f"{self._what} failed in MPI: {e}") from None
            if done:
                self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None

    def synchronize(self) -> None:
        self.wait()

    def result(self) -> list:
        self.wait()
        return list(self._outputs)

    def source_rank(self) -> int:
        """For ``irecv`` from any source: the rank the message came from."""
        self.wait()
        return self._source

    def __repr__(self) -> str:
        return f"Work({self._what}, completed={self._done})"


def _done(pg, what: str, work: Work, async_op: bool):
    if async_op:
        return work
    work.wait()
    return None


# ---- tensors as MPI buffers ---------------------------------------------------------------
def _tensor(t, what: str, name: str = "tensor") -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: {name} must be a Tensor, got {type(t).__name__}")
    return t


def _buffer(t: Tensor, writes: bool):
    """The contiguous array MPI reads or writes for ``t``; a copy when ``t`` is a strided
    view (then written back when the operation completes)."""
    a = t._data
    if type(a) is not B.np.ndarray:
        return host(a)
    if writes and not a.flags.writeable:
        if _locked:
            unlock(a)
        if not a.flags.writeable:
            raise RuntimeError("a collective cannot write into a tensor made by expand() "
                               "(several elements share memory); call .clone() first")
    if a.flags.c_contiguous:
        return a
    return B.np.ascontiguousarray(a)


def host(a):
    """A contiguous NumPy array with ``a``'s values (``a`` itself when it is one). A GPU
    array is copied to host memory: the MPI from PyPI is not CUDA-aware."""
    if type(a) is B.np.ndarray:
        return a if a.flags.c_contiguous else B.np.ascontiguousarray(a)
    return B.np.ascontiguousarray(B.to_host(a))


def on_device_of(values, a):
    """NumPy ``values`` moved to the device of array ``a``."""
    return values if type(a) is B.np.ndarray else B.to_device(values, B.device_of(a))


def put(t: Tensor, values) -> None:
    """Write NumPy ``values`` into ``t``'s memory (on its device) and bump its version."""
    a = t._data
    a[...] = on_device_of(values.reshape(a.shape), a)
    t._vc[0] += 1


def _written(t: Tensor, buf) -> None:
    """``buf`` now holds t's new values: copy them in if it was a staging copy; bump the
    version counter."""
    if buf is not t._data:
        put(t, buf)
    else:
        t._vc[0] += 1


# ---- the cheap cross-rank check -----------------------------------------------------------
_SIG = 12  # op, dtype, ndim, 8 dims, extra (root and reduce op)
_DTYPE_NAMES = {B.np.dtype(d.np).num: str(d) for d in B.ALL_DTYPES}
_OP_NAMES: dict = {}


def _op_id(what: str) -> int:
    key = zlib.crc32(what.encode())
    _OP_NAMES[key] = what
    return key


def _check(pg, what: str, array, extra: int = 0) -> None:
    """Every rank must call the same collective with the same shape, dtype, root and op.
    One small Allgather of a signature per call finds a mismatch before MPI sees it (MPI
    itself would hang, truncate or corrupt). Off with NUMTORCH_DIST_CHECK=0."""
    if not pg.check or pg.size() == 1:
        return
    np = B.np
    sig = np.full(_SIG, -1, dtype=np.int64)
    shape = array.shape
    sig[0], sig[1], sig[2], sig[11] = _op_id(what), array.dtype.num, len(shape), extra
    sig[3:3 + min(len(shape), 8)] = shape[:8]
    if len(shape) > 8:
        sig[10] = zlib.crc32(repr(shape).encode())
    every = np.empty((pg.size(), _SIG), dtype=np.int64)
    P.wait_all(pg, [pg.comm.Iallgather(sig, every)], f"{what} (shape check)")
    if (every == sig).all():
        return
    parts = []
    for r, s in enumerate(every):
        dims = list(s[3:3 + min(int(s[2]), 8)]) + (["..."] if s[2] > 8 else [])
        parts.append(f"rank {P.global_rank(pg, r)}: {_OP_NAMES.get(int(s[0]), '?')} "
                     f"{_DTYPE_NAMES.get(int(s[1]), '?')} {[int(d) for d in dims[:8]]}"
                     f"{' ...' if s[2] > 8 else ''} (root/op code {int(s[11])})")
    raise RuntimeError(
        f"{what}: the ranks' calls do not match: " + "; ".join(parts) + ". Every rank must "
        "call the same collective, in the same order, with tensors of the same shape and "
        "dtype and the same src/dst and op")


# ---- reduction ops ------------------------------------------------------------------------
def _mpi_op(pg, op, array, what: str):
    MPI = pg.MPI
    try:
        op = ReduceOp(op)
    except ValueError:
        raise ValueError(f"{what}: unknown reduce op {op!r}; use dist.ReduceOp.SUM, AVG, "
                         f"PRODUCT, MIN, MAX, BAND, BOR or BXOR") from None
    kind = array.dtype.kind
    if kind == "b":
        if op is ReduceOp.AVG:
            raise RuntimeError(f"{what}: ReduceOp.AVG is not defined for bool tensors")
        return op, {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                    ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND,
                    ReduceOp.BAND: MPI.LAND, ReduceOp.BXOR: MPI.LXOR}[op]
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind == "f":
        raise RuntimeError(f"{what}: {op.name} needs an integer or bool tensor, got "
                           f"{_DTYPE_NAMES.get(array.dtype.num, array.dtype)}")
    if op is ReduceOp.AVG and kind != "f":
        raise RuntimeError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got "
                           f"{_DTYPE_NAMES.get(array.dtype.num, array.dtype)}; use SUM and "
                           f"divide")
    return op, {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
                ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]


def _average(buf, op, n: int) -> None:
    if op is ReduceOp.AVG:
        buf /= n


def _root(pg, rank, group_rank, what: str, name: str) -> int:
    if group_rank is not None:
        if not 0 <= int(group_rank) < pg.size():
            raise ValueError(f"{what}: group_{name}={group_rank} is out of range for a group "
                             f"of {pg.size()} ranks")
        return int(group_rank)
    return P.group_rank(pg, 0 if rank is None else int(rank), what)
