"""``DistributedSampler``: each rank visits its own share of a data set, the same count on all."""
from __future__ import annotations

import math
from collections.abc import Iterator, Sized

from ..._creation import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Split a map-style data set's indices among ``num_replicas`` ranks.

    The (optionally shuffled) index list is padded by repeating its start (or, with
    ``drop_last``, cut) to a multiple of ``num_replicas``; rank r takes every
    ``num_replicas``-th index from position r. Call ``set_epoch(epoch)`` before each epoch so
    the shuffle differs between epochs (while agreeing across ranks).

    NOTE: the rules are PyTorch's, but the shuffle comes from numtorch's generator (NumPy's
    PCG64 seeded with ``seed + epoch``), so the permutation differs from PyTorch's for the
    same seed.

    Args:
        dataset: anything with ``len()``.
        num_replicas: number of ranks (default: the process group's size).
        rank: this rank (default: the process group's rank).
        shuffle: shuffle the indices each epoch (the same order on every rank).
        seed: the shuffle's seed; must be the same on every rank.
        drop_last: drop the tail so all ranks get ``len(dataset) // num_replicas`` indices,
            instead of padding.
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None,
                 rank: int | None = None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            rng = Generator().manual_seed(self.seed + self.epoch)._rng
            indices = rng.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            missing = self.total_size - len(indices)
            if missing > 0:
                indices += (indices * math.ceil(missing / len(indices)))[:missing]
        else:
            indices = indices[:self.total_size]
        assert len(indices) == self.total_size
        mine = indices[self.rank:self.total_size:self.num_replicas]
        assert len(mine) == self.num_samples
        return iter(mine)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass's shuffle depend on ``epoch`` (call it before each epoch)."""
        self.epoch = epoch
