"""numtorch.distributed: PyTorch's ``torch.distributed`` on MPI (through mpi4py).

Start N processes with ``mpiexec -n N python train.py`` (or ``python -m
numtorch.distributed.run -n N train.py``); each calls ``init_process_group("mpi")``. mpi4py is
imported only then, so ``import numtorch`` never starts MPI.
"""
from __future__ import annotations

from ._common import Work
from .collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    all_to_all,
    all_to_all_single,
    barrier,
    broadcast,
    gather,
    monitored_barrier,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from .objects import all_gather_object, broadcast_object_list, gather_object
from .p2p import irecv, isend, recv, send
from .process_group import (
    Backend,
    DistNotInitializedError,
    DistTimeoutError,
    GroupMember,
    ProcessGroup,
    ReduceOp,
    destroy_process_group,
    get_backend,
    get_global_rank,
    get_group_rank,
    get_process_group_ranks,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_gloo_available,
    is_initialized,
    is_mpi_available,
    is_nccl_available,
    new_group,
)

__all__ = [
    "Work", "ReduceOp", "Backend", "ProcessGroup", "GroupMember", "group",
    "DistNotInitializedError", "DistTimeoutError", "init_process_group", "destroy_process_group",
    "is_initialized", "is_available", "is_mpi_available", "is_gloo_available",
    "is_nccl_available", "get_rank", "get_world_size", "get_backend", "new_group",
    "get_process_group_ranks", "get_global_rank", "get_group_rank", "all_reduce", "broadcast",
    "all_gather", "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "gather",
    "scatter", "reduce", "barrier", "monitored_barrier", "all_to_all", "all_to_all_single",
    "send", "recv", "isend", "irecv", "broadcast_object_list", "all_gather_object",
    "gather_object"]
