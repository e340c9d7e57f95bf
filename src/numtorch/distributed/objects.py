"""Collectives on picklable Python objects (PyTorch pickles these too): each object becomes a
byte array that moves through the same non-blocking MPI calls as tensors."""
from __future__ import annotations

import pickle

from .. import _backend as B
from . import process_group as P
from ._common import _root

__all__ = ["broadcast_object_list", "all_gather_object", "gather_object"]


def _to_bytes(obj):
    return B.np.frombuffer(pickle.dumps(obj), dtype=B.np.uint8)


def _from_bytes(array):
    return pickle.loads(array.tobytes())


def _allgatherv(pg, what: str, data):
    """Every rank's byte array, in rank order."""
    n = pg.size()
    sizes = B.np.empty(n, dtype=B.np.int64)
    P.wait_all(pg, [pg.comm.Iallgather(B.np.array([data.size], dtype=B.np.int64), sizes)],
               what)
    recv = B.np.empty(int(sizes.sum()), dtype=B.np.uint8)
    P.wait_all(pg, [pg.comm.Iallgatherv(data, [recv, sizes.tolist()])], what)
    offsets = B.np.concatenate([[0], B.np.cumsum(sizes)])
    return [recv[offsets[i]:offsets[i + 1]] for i in range(n)]


def broadcast_object_list(object_list: list, src: int | None = None, group=None, device=None,
                          group_src: int | None = None) -> None:
    """Replace ``object_list``'s entries on every rank with those of rank ``src``."""
    what = "broadcast_object_list"
    pg = P.resolve(group, what)
    if pg is None:
        return
    root = _root(pg, src, group_src, what, "src")
    mine = pg.rank() == root
    data = _to_bytes(list(object_list)) if mine else None
    size = B.np.array([0 if data is None else data.size], dtype=B.np.int64)
    P.wait_all(pg, [pg.comm.Ibcast(size, root=root)], what)
    if not mine:
        data = B.np.empty(int(size[0]), dtype=B.np.uint8)
    P.wait_all(pg, [pg.comm.Ibcast(data, root=root)], what)
    if not mine:
        values = _from_bytes(data)
        if len(values) != len(object_list):
            raise ValueError(f"{what}: rank {P.global_rank(pg, root)} sent {len(values)} "
                             f"objects but this rank's list has {len(object_list)} slots")
        object_list[:] = values


def all_gather_object(object_list: list, obj, group=None) -> None:
    """Fill ``object_list`` (one slot per rank) with every rank's ``obj``."""
    what = "all_gather_object"
    pg = P.resolve(group, what)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"{what}: object_list must have one slot per rank ({pg.size()}), "
                         f"got {len(object_list)}")
    for i, part in enumerate(_allgatherv(pg, what, _to_bytes(obj))):
        object_list[i] = _from_bytes(part)


def gather_object(obj, object_gather_list: list | None = None, dst: int | None = None,
                  group=None, group_dst: int | None = None) -> None:
    """Every rank's ``obj`` into ``object_gather_list`` on rank ``dst``."""
    what = "gather_object"
    pg = P.resolve(group, what)
    if pg is None:
        return
    root = _root(pg, dst, group_dst, what, "dst")
    parts = _allgatherv(pg, what, _to_bytes(obj))  # small objects: gathering everywhere is fine
    if pg.rank() == root:
        if object_gather_list is None or len(object_gather_list) != pg.size():
            raise ValueError(f"{what}: object_gather_list must have one slot per rank "
                             f"({pg.size()}) on the destination rank")
        for i, part in enumerate(parts):
            object_gather_list[i] = _from_bytes(part)
