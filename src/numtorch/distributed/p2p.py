"""Point-to-point calls on MPI: send, recv and their non-blocking forms isend, irecv."""
from __future__ import annotations

from .._tensor import Tensor
from . import process_group as P
from ._common import Work, _buffer, _root, _tensor, _written

__all__ = ["send", "recv", "isend", "irecv"]


def isend(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
          group_dst: int | None = None) -> Work | None:
    """Post a send of ``tensor`` to rank ``dst``; returns the Work to wait on."""
    what = "send"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    peer = _root(pg, dst, group_dst, what, "dst")
    if peer == pg.rank():
        raise ValueError(f"{what}: a rank cannot send to itself (dst={dst})")
    buf = _buffer(t, False)
    return Work(pg, [pg.comm.Isend(buf, dest=peer, tag=tag)], f"send to rank {dst}")


def irecv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
          group_src: int | None = None) -> Work | None:
    """Post a receive into ``tensor`` from rank ``src`` (None: any rank)."""
    what = "recv"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    MPI = pg.MPI
    if src is None and group_src is None:
        peer = MPI.ANY_SOURCE
    else:
        peer = _root(pg, src, group_src, what, "src")
    buf = _buffer(t, True)
    status = MPI.Status()
    req = pg.comm.Irecv(buf, source=peer, tag=tag)
    work = Work(pg, [req], f"recv from rank {'any' if src is None else src}", None, (t,))
    work._statuses = [status]

    def finish():
        count = status.Get_count(MPI.BYTE)
        if count != buf.nbytes:
            raise RuntimeError(
                f"recv: got {count} bytes from rank {status.Get_source()} but the tensor "
                f"({t.dtype}{list(t.shape)}) holds {buf.nbytes}; the sent and received tensors "
                f"must have the same shape and dtype")
        work._source = P.global_rank(pg, status.Get_source())
        _written(t, buf)
    work._finish = finish
    return work


def send(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
         group_dst: int | None = None) -> None:
    """Send ``tensor`` to rank ``dst`` and wait until the buffer may be reused."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
         group_src: int | None = None) -> int:
    """Receive into ``tensor`` from rank ``src`` (None: any); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work._source
