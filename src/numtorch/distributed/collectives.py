"""Collectives on MPI: tensors travel as their NumPy buffers, never pickled.

Every call posts MPI's non-blocking form (``Iallreduce``, ``Ibcast``, ...) and waits by polling,
so a dead or absent peer ends in a RuntimeError after the group's timeout, not in a hang.
``async_op=True`` returns the ``Work`` instead of waiting. Results are written into the given
tensors in place and bump their version counters, as PyTorch's in-place ops do.
"""
from __future__ import annotations

from .. import _backend as B
from .._tensor import Tensor
from . import process_group as P
from ._common import (
    Work,
    _average,
    _buffer,
    _check,
    _done,
    _mpi_op,
    _root,
    _tensor,
    _written,
    host,
    put,
)
from .process_group import ReduceOp

__all__ = ["all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter", "reduce_scatter_tensor", "gather", "scatter", "reduce", "barrier",
           "monitored_barrier", "all_to_all", "all_to_all_single"]


# ---- collectives --------------------------------------------------------------------------
def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` across all ranks and leave the result in every rank's ``tensor``."""
    what = "all_reduce"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    buf = _buffer(t, True)
    op, mop = _mpi_op(pg, op, buf, what)
    _check(pg, what, buf, int(op))
    req = pg.comm.Iallreduce(pg.MPI.IN_PLACE, buf, op=mop)

    def finish():
        _average(buf, op, pg.size())
        _written(t, buf)
    return _done(pg, what, Work(pg, [req], what, finish, (t,)), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """Copy rank ``src``'s ``tensor`` into every other rank's ``tensor``."""
    what = "broadcast"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    root = _root(pg, src, group_src, what, "src")
    buf = _buffer(t, True)
    _check(pg, what, buf, root)
    req = pg.comm.Ibcast(buf, root=root)
    mine = pg.rank() == root
    return _done(pg, what, Work(pg, [req], what, None if mine else lambda: _written(t, buf),
                                (t,)), async_op)


def _same_list(tensors, t: Tensor, n: int, what: str, name: str) -> list:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{what}: {name} must be a list of {n} tensors (one per rank), "
                         f"got {got}")
    for i, x in enumerate(tensors):
        _tensor(x, what, f"{name}[{i}]")
        if x._data.shape != t._data.shape or x._dtype is not t._dtype:
            raise ValueError(f"{what}: {name}[{i}] is {x.dtype}{list(x.shape)} but the tensor "
                             f"is {t.dtype}{list(t.shape)}; every entry must match it")
    return list(tensors)


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Every rank's ``tensor`` into ``tensor_list[rank]``, on every rank."""
    what = "all_gather"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    outs = _same_list(tensor_list, t, pg.size(), what, "tensor_list")
    send = _buffer(t, False)
    _check(pg, what, send)
    recv = B.np.empty((pg.size(),) + send.shape, dtype=send.dtype)
    req = pg.comm.Iallgather(send, recv)

    def finish():
        for x, part in zip(outs, recv):
            put(x, part)
    return _done(pg, what, Work(pg, [req], what, finish, outs), async_op)


def _stacked(big: Tensor, small_shape: tuple, n: int, what: str, big_name: str) -> None:
    """``big`` must be ``n`` copies of ``small_shape`` concatenated along dim 0 or stacked."""
    shape = big._data.shape
    cat = (n * small_shape[0],) + tuple(small_shape[1:]) if small_shape else None
    if shape != cat and shape != (n,) + tuple(small_shape):
        raise ValueError(f"{what}: {big_name} has shape {list(shape)}, but with {n} ranks "
                         f"it must be {list(cat) if cat else '?'} (concatenated) or "
                         f"{[n] + list(small_shape)} (stacked)")


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """Every rank's ``input_tensor``, concatenated along dim 0 (or stacked), into
    ``output_tensor`` on every rank."""
    what = "all_gather_into_tensor"
    pg = P.resolve(group, what)
    out, inp = _tensor(output_tensor, what, "output_tensor"), _tensor(input_tensor, what,
                                                                       "input_tensor")
    if pg is None:
        return None
    _stacked(out, inp._data.shape, pg.size(), what, "output_tensor")
    _same_dtype(out, inp, what)
    send = _buffer(inp, False)
    _check(pg, what, send)
    recv = _buffer(out, True)
    req = pg.comm.Iallgather(send, recv)
    return _done(pg, what, Work(pg, [req], what, lambda: _written(out, recv), (out,)),
                 async_op)


def _same_dtype(a: Tensor, b: Tensor, what: str) -> None:
    if a._dtype is not b._dtype:
        raise TypeError(f"{what}: output is {a.dtype} but input is {b.dtype}; they must have "
                        f"the same dtype")


def reduce_scatter(output: Tensor, input_list: list, op=ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """Reduce ``input_list[r]`` across ranks into rank r's ``output``."""
    what = "reduce_scatter"
    pg = P.resolve(group, what)
    out = _tensor(output, what, "output")
    if pg is None:
        return None
    ins = _same_list(input_list, out, pg.size(), what, "input_list")
    send = B.np.stack([host(x._data) for x in ins])
    return _reduce_scatter(pg, what, out, send, op, async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """Like ``reduce_scatter`` with the inputs concatenated along dim 0 (or stacked)."""
    what = "reduce_scatter_tensor"
    pg = P.resolve(group, what)
    out, inp = _tensor(output, what, "output"), _tensor(input, what, "input")
    if pg is None:
        return None
    _stacked(inp, out._data.shape, pg.size(), what, "input")
    _same_dtype(out, inp, what)
    return _reduce_scatter(pg, what, out, _buffer(inp, False), op, async_op)


def _reduce_scatter(pg, what, out, send, op, async_op):
    recv = _buffer(out, True)
    op, mop = _mpi_op(pg, op, recv, what)
    _check(pg, what, recv, int(op))
    req = pg.comm.Ireduce_scatter_block(send, recv, op=mop)

    def finish():
        _average(recv, op, pg.size())
        _written(out, recv)
    return _done(pg, what, Work(pg, [req], what, finish, (out,)), async_op)


def gather(tensor: Tensor, gather_list: list | None = None, dst: int | None = None,
           group=None, async_op: bool = False, group_dst: int | None = None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst``."""
    what = "gather"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, what, "dst")
    send = _buffer(t, False)
    if pg.rank() == root:
        outs = _same_list(gather_list, t, pg.size(), what, "gather_list")
        recv = B.np.empty((pg.size(),) + send.shape, dtype=send.dtype)
    else:
        if gather_list:
            raise ValueError(f"{what}: gather_list must not be given on ranks other than the "
                             f"destination (rank {P.global_rank(pg, root)})")
        outs, recv = [], None
    _check(pg, what, send, root)
    req = pg.comm.Igather(send, recv, root=root)

    def finish():
        for x, part in zip(outs, recv if recv is not None else ()):
            put(x, part)
    return _done(pg, what, Work(pg, [req], what, finish, outs), async_op)


def scatter(tensor: Tensor, scatter_list: list | None = None, src: int | None = None,
            group=None, async_op: bool = False, group_src: int | None = None):
    """``scatter_list[r]`` on rank ``src`` into rank r's ``tensor``."""
    what = "scatter"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    root = _root(pg, src, group_src, what, "src")
    recv = _buffer(t, True)
    if pg.rank() == root:
        ins = _same_list(scatter_list, t, pg.size(), what, "scatter_list")
        send = B.np.stack([host(x._data) for x in ins])
    else:
        if scatter_list:
            raise ValueError(f"{what}: scatter_list must not be given on ranks other than the "
                             f"source (rank {P.global_rank(pg, root)})")
        send = None
    _check(pg, what, recv, root)
    req = pg.comm.Iscatter(send, recv, root=root)
    return _done(pg, what, Work(pg, [req], what, lambda: _written(t, recv), (t,)), async_op)


def reduce(tensor: Tensor, dst: int | None = None, op=ReduceOp.SUM, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """Reduce ``tensor`` across ranks into rank ``dst``'s ``tensor`` (the others keep
    theirs)."""
    what = "reduce"
    pg = P.resolve(group, what)
    t = _tensor(tensor, what)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, what, "dst")
    buf = _buffer(t, True)
    op, mop = _mpi_op(pg, op, buf, what)
    _check(pg, what, buf, root * 16 + int(op))
    mine = pg.rank() == root
    if mine:
        req = pg.comm.Ireduce(pg.MPI.IN_PLACE, buf, op=mop, root=root)
    else:
        req = pg.comm.Ireduce(buf, None, op=mop, root=root)

    def finish():
        _average(buf, op, pg.size())
        _written(t, buf)
    return _done(pg, what, Work(pg, [req], what, finish if mine else None, (t,)), async_op)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank of the group has reached this call."""
    what = "barrier"
    pg = P.resolve(group, what)
    if pg is None:
        return None
    return _done(pg, what, Work(pg, [pg.comm.Ibarrier()], what), async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False) -> None:
    """A barrier that raises a RuntimeError when the other ranks do not arrive within
    ``timeout`` (a timedelta; default: the group's)."""
    what = "monitored_barrier"
    pg = P.resolve(group, what)
    if pg is not None:
        Work(pg, [pg.comm.Ibarrier()], what).wait(timeout)


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes=None,
                      input_split_sizes=None, group=None, async_op: bool = False):
    """Rank r sends block j of ``input`` (split along dim 0, evenly or by
    ``input_split_sizes``) to rank j, which stores it as block r of ``output`` (split by
    ``output_split_sizes``)."""
    what = "all_to_all_single"
    pg = P.resolve(group, what)
    out, inp = _tensor(output, what, "output"), _tensor(input, what, "input")
    if pg is None:
        return None
    n = pg.size()
    if not inp._data.shape or inp._data.shape[1:] != out._data.shape[1:]:
        raise ValueError(f"{what}: input and output must have at least one dim and the same "
                         f"size in every dim but the first, got {list(inp.shape)} and "
                         f"{list(out.shape)}")
    _same_dtype(out, inp, what)
    splits = [_splits(what, name, sizes, t._data.shape[0], n)
              for name, sizes, t in (("input_split_sizes", input_split_sizes, inp),
                                     ("output_split_sizes", output_split_sizes, out))]
    send = _buffer(inp, False)
    # ranks may pass different dim-0 sizes: check the dtype and the other dims only
    _check(pg, what, B.np.empty((0,) + send.shape[1:], dtype=send.dtype))
    recv = _buffer(out, True)
    if recv is send:
        send = send.copy()
    row = int(B.np.prod(send.shape[1:], dtype=B.np.int64))
    spec = []
    for buf, sizes in ((send, splits[0]), (recv, splits[1])):
        counts = [s * row for s in sizes]
        spec.append([buf, (counts, [sum(counts[:k]) for k in range(n)])])
    req = pg.comm.Ialltoallv(spec[0], spec[1])
    return _done(pg, what, Work(pg, [req], what, lambda: _written(out, recv), (out,)),
                 async_op)


def _splits(what: str, name: str, sizes, length: int, n: int) -> list:
    """Block sizes along dim 0: the given ones, or ``length`` split evenly over ``n``."""
    if sizes is None or len(sizes) == 0:
        if length % n:
            raise ValueError(f"{what}: dim 0 ({length}) must be divisible by the {n} ranks "
                             f"when {name} is not given")
        return [length // n] * n
    sizes = [int(s) for s in sizes]
    if len(sizes) != n or sum(sizes) != length or min(sizes) < 0:
        raise ValueError(f"{what}: {name} must have {n} non-negative entries summing to dim 0 "
                         f"({length}), got {sizes}")
    return sizes


def all_to_all(output_tensor_list: list, input_tensor_list: list, group=None,
               async_op: bool = False):
    """Rank r sends ``input_tensor_list[j]`` to rank j, which stores it in
    ``output_tensor_list[r]`` (all tensors of one shape)."""
    what = "all_to_all"
    pg = P.resolve(group, what)
    if pg is None:
        return None
    n = pg.size()
    first = _tensor(input_tensor_list[0] if input_tensor_list else None, what,
                    "input_tensor_list[0]")
    ins = _same_list(input_tensor_list, first, n, what, "input_tensor_list")
    outs = _same_list(output_tensor_list, first, n, what, "output_tensor_list")
    send = B.np.stack([host(x._data) for x in ins])
    _check(pg, what, send)
    recv = B.np.empty_like(send)
    req = pg.comm.Ialltoall(send, recv)

    def finish():
        for x, part in zip(outs, recv):
            put(x, part)
    return _done(pg, what, Work(pg, [req], what, finish, outs), async_op)
