"""DataLoader: batches of samples from a dataset, in a sampler's order, through a collate
function; single-process."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from ..._creation import Generator
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info() -> None:
    """Information about the current worker process: always None, since numtorch loads data
    in the main process."""
    return None


class _InfiniteConstantSampler(Sampler):
    """The 'sampler' of an iterable dataset: None forever (the dataset's own iterator decides
    what comes next)."""

    def __iter__(self):
        while True:
            yield None


_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
           "persistent_workers")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style ``Dataset`` (``__getitem__`` and ``__len__``) or an
            ``IterableDataset``.
        batch_size: samples per batch (default 1); None turns batching off, so each item is
            passed through ``collate_fn`` (default: ``default_convert``) on its own.
        shuffle: visit the samples in a new random order each epoch (``RandomSampler`` with
            ``generator``).
        sampler, batch_sampler: an explicit order of indices, or of lists of indices.
        collate_fn: turns a list of samples into a batch (default: ``default_collate``).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: the ``numtorch.Generator`` that drives shuffling.

    NOTE: numtorch has no worker processes: ``num_workers > 0`` is accepted and the data is
    loaded in the main process all the same (``get_worker_info()`` returns None,
    ``worker_init_fn`` is not called); ``pin_memory`` and ``timeout`` have no effect.

    Example: ``for x, y in DataLoader(TensorDataset(X, Y), batch_size=32, shuffle=True): ...``
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1,
                 shuffle: bool | None = None, sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable | None = None, multiprocessing_context=None,
                 generator: Generator | None = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self._iterable = isinstance(dataset, IterableDataset)
        sampler_given = sampler is not None
        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value is not None and value is not False:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value}")
            sampler = _InfiniteConstantSampler()
        else:
            shuffle = bool(shuffle)
            if sampler is not None and shuffle:
                raise ValueError("sampler option is mutually exclusive with shuffle")
            if sampler is None:
                sampler = (RandomSampler(dataset, generator=generator) if shuffle
                           else SequentialSampler(dataset))
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler_given or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is "
                                 "mutually exclusive with drop_last")
        else:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in _FROZEN:
            raise ValueError(f"{name} attribute should not be set after DataLoader is "
                             f"initialized")
        object.__setattr__(self, name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> _SingleProcessIter:
        return _SingleProcessIter(self)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _SingleProcessIter:
    """One pass over a DataLoader: indices from its (batch) sampler, items from the dataset,
    batches through collate_fn."""

    def __init__(self, loader: DataLoader):
        self._loader = loader
        self._dataset = loader.dataset
        self._collate = loader.collate_fn
        self._auto = loader._auto_collation
        self._indices = iter(loader._index_sampler)
        self._stream = iter(loader.dataset) if loader._iterable else None
        self._ended = False

    def __iter__(self) -> _SingleProcessIter:
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self):
        index = next(self._indices)
        if self._stream is not None:
            return self._collate(self._next_from_stream(index))
        if not self._auto:
            return self._collate(self._dataset[index])
        getitems = getattr(self._dataset, "__getitems__", None)
        if callable(getitems):
            return self._collate(getitems(index))
        return self._collate([self._dataset[i] for i in index])

    def _next_from_stream(self, index):
        if self._ended:
            raise StopIteration
        if not self._auto:
            try:
                return next(self._stream)
            except StopIteration:
                self._ended = True
                raise
        items = []
        for _ in index:
            try:
                items.append(next(self._stream))
            except StopIteration:
                self._ended = True
                break
        if not items or (self._loader.drop_last and len(items) < len(index)):
            raise StopIteration
        return items
