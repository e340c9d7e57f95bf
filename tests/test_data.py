"""numtorch.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader
batching for the same sample order, and reproducible shuffling."""
from __future__ import annotations

import collections

import numpy as np
import pytest

import numtorch as nt
from conftest import require_torch
from numtorch.utils import data as nd

torch = require_torch()
td = torch.utils.data

Point = collections.namedtuple("Point", "x label")


# ---- helpers ----------------------------------------------------------------------------------
def same(ours, theirs, path="batch"):
    """Assert that a numtorch structure equals a PyTorch one: tensors by dtype, shape and
    values; containers by type and contents."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, nt.Tensor), f"{path}: {type(ours).__name__} is not a Tensor"
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], path
        assert tuple(ours.shape) == tuple(theirs.shape), path
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=path)
        return
    assert type(ours) is type(theirs), f"{path}: {type(ours)} vs {type(theirs)}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), path
        for k in theirs:
            same(ours[k], theirs[k], f"{path}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{path}[{i}]")
    else:
        assert ours == theirs, path


def both(array):
    """The same values as a numtorch and a torch tensor."""
    return nt.tensor(array), torch.tensor(array)


class ListDataset:
    """A map-style dataset over a list of samples, built from a function of the framework."""

    def __init__(self, samples):
        self.samples = samples

    def __getitem__(self, i):
        return self.samples[i]

    def __len__(self):
        return len(self.samples)


def samples(lib):
    """Mixed samples: a tensor, an int, a float, a bool, a string, a NumPy array and scalar,
    a dict and a namedtuple in each."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(11):
        x = rng.standard_normal((2, 3)).astype(np.float32)
        out.append({"x": lib.tensor(x), "i": i, "f": i / 3, "b": i % 2 == 0,
                    "name": f"s{i}", "arr": np.arange(i, i + 3, dtype=np.int16),
                    "scalar": np.float64(i) * 0.5,
                    "pair": (lib.tensor([i, -i]), [float(i), 1.0]),
                    "point": Point(lib.tensor(float(i)), i)})
    return out


# ---- collation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [1, 4, 11])
def test_default_collate_matches_torch(batch_size):
    ours, theirs = samples(nt)[:batch_size], samples(torch)[:batch_size]
    same(nd.default_collate(ours), td.default_collate(theirs))


def test_default_collate_kinds():
    cases = [[True, False], [1, 2], [1.5, 2.0], [np.float32(1), np.float32(2)],
             [np.int32(3), np.int32(1)], [np.bool_(True)], ["a", "b"], [b"a", b"b"],
             [(1, "a"), (2, "b")], [[1, 2], [3, 4]], ((1, 2), (3, 4)),
             [collections.OrderedDict(a=1, b=2.0)], [np.ones((2, 2), np.float64)] * 3]
    for batch in cases:
        same(nd.default_collate(batch), td.default_collate(batch), repr(batch))


def test_default_collate_errors():
    for bad in ([object()], [None, None], [np.array(["a"])]):
        with pytest.raises(TypeError) as theirs:
            td.default_collate(bad)
        with pytest.raises(TypeError, match="default_collate") as ours:
            nd.default_collate(bad)
        assert type(ours.value) is type(theirs.value)
    with pytest.raises(RuntimeError, match="equal size"):
        nd.default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError):
        nd.default_collate([nt.ones(2), nt.ones(3)])


def test_default_convert():
    for value in ([np.array([1, 2]), "a"], (np.array([1.5]), 3), np.float64(2.0),
                  {"a": np.zeros(2, np.int8), "b": [1, 2]}, "text", 5):
        same(nd.default_convert(value), td.default_convert(value), repr(value))
    array = np.arange(3.0)
    assert np.shares_memory(nd.default_convert(array).numpy(), array)


# ---- datasets -----------------------------------------------------------------------------------
def test_tensor_dataset():
    x = np.arange(12.0).reshape(6, 2)
    y = np.arange(6)
    ours = nd.TensorDataset(nt.tensor(x), nt.tensor(y))
    theirs = td.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ours) == len(theirs) == 6
    for i in (0, 3, -1, slice(1, 4)):
        same(ours[i], theirs[i], f"item {i}")
    with pytest.raises(AssertionError):
        td.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch"):
        nd.TensorDataset(nt.zeros(3), nt.zeros(4))


def test_subset_concat_and_stack():
    a, b = both(np.arange(5) * 10)
    c, d = both(np.arange(3) + 100)
    ours = nd.ConcatDataset([nd.TensorDataset(a), nd.Subset(nd.TensorDataset(c), [2, 0])])
    theirs = td.ConcatDataset([td.TensorDataset(b), td.Subset(td.TensorDataset(d), [2, 0])])
    assert len(ours) == len(theirs) == 7
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in list(range(-7, 7)):
        same(ours[i], theirs[i], f"item {i}")
    for bad in (-8,):
        with pytest.raises(ValueError):
            theirs[bad]
        with pytest.raises(ValueError):
            ours[bad]
    plus = nd.TensorDataset(a) + nd.TensorDataset(c)

    class Typed(nd.Dataset[int]):  # Dataset is generic, as torch's
        pass
    assert issubclass(Typed, nd.Dataset)
    loader = nd.DataLoader(nd.Subset(ours, [6, 0, 3]), batch_size=2)
    same(list(loader), list(td.DataLoader(td.Subset(theirs, [6, 0, 3]), batch_size=2)))
    assert isinstance(plus, nd.ConcatDataset) and len(plus) == 8
    with pytest.raises(AssertionError):
        nd.ConcatDataset([])
    stacked = nd.StackDataset(nd.TensorDataset(a), nd.TensorDataset(a * 2))
    same(stacked[1], td.StackDataset(td.TensorDataset(b), td.TensorDataset(b * 2))[1])
    keyed = nd.StackDataset(p=nd.TensorDataset(a), q=nd.TensorDataset(a))
    same(keyed[4], td.StackDataset(p=td.TensorDataset(b), q=td.TensorDataset(b))[4])


@pytest.mark.parametrize("n,lengths", [(10, [3, 7]), (11, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]),
                                       (5, [0.1, 0.2, 0.7]), (100, [0.8, 0.1, 0.1])])
def test_random_split_lengths(n, lengths):
    ours = nd.random_split(list(range(n)), lengths, generator=nt.Generator().manual_seed(1))
    theirs = td.random_split(list(range(n)), lengths, generator=torch.Generator().manual_seed(1))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(n))
    assert all(isinstance(s, nd.Subset) for s in ours)
    again = nd.random_split(list(range(n)), lengths, generator=nt.Generator().manual_seed(1))
    assert [s.indices for s in again] == [s.indices for s in ours]


def test_random_split_warns_about_empty_splits():
    with pytest.warns(UserWarning, match="index 1 is 0"):
        theirs = td.random_split(range(3), [0.1, 0.1, 0.8])
    with pytest.warns(UserWarning, match="index 1 is 0"):
        ours = nd.random_split(range(3), [0.1, 0.1, 0.8])
    assert [len(s) for s in ours] == [len(s) for s in theirs] == [1, 0, 2]


def test_random_split_errors_and_default_generator():
    for bad in ([3, 3], [0.5, 0.6]):
        with pytest.raises(ValueError):
            td.random_split(range(5), bad)
        with pytest.raises(ValueError):
            nd.random_split(range(5), bad)
    nt.manual_seed(3)
    first = [s.indices for s in nd.random_split(range(20), [10, 10])]
    nt.manual_seed(3)
    assert [s.indices for s in nd.random_split(range(20), [10, 10])] == first
    assert first[0] != list(range(10))


# ---- samplers -----------------------------------------------------------------------------------
def test_sequential_and_batch_sampler():
    data = list(range(10))
    assert list(nd.SequentialSampler(data)) == list(td.SequentialSampler(data))
    for batch_size in (1, 3, 5, 12):
        for drop_last in (False, True):
            order = [7, 2, 9, 0, 1, 5, 3, 8, 6, 4]
            ours = nd.BatchSampler(order, batch_size, drop_last)
            theirs = td.BatchSampler(order, batch_size, drop_last)
            assert list(ours) == list(theirs)
            assert len(ours) == len(theirs)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError):
            td.BatchSampler(data, bad, False)
        with pytest.raises(ValueError, match="batch_size"):
            nd.BatchSampler(data, bad, False)
    with pytest.raises(ValueError, match="drop_last"):
        nd.BatchSampler(data, 2, 1)


def test_random_sampler():
    data = list(range(10))
    g = nt.Generator().manual_seed(0)
    epochs = [list(nd.RandomSampler(data, generator=g)) for _ in range(2)]
    assert all(sorted(e) == data for e in epochs) and epochs[0] != epochs[1]
    g.manual_seed(0)
    assert list(nd.RandomSampler(data, generator=g)) == epochs[0]
    # more samples than items without replacement: whole permutations, then part of one
    long = list(nd.RandomSampler(data, num_samples=25, generator=g))
    assert len(long) == 25 and sorted(long[:10]) == data and sorted(long[10:20]) == data
    assert len(set(long[20:])) == 5
    drawn = list(nd.RandomSampler(data, replacement=True, num_samples=200, generator=g))
    assert len(drawn) == 200 and set(drawn) == set(data)
    assert len(nd.RandomSampler(data, num_samples=7)) == 7
    with pytest.raises(TypeError):
        td.RandomSampler(data, replacement=1)
    with pytest.raises(TypeError, match="replacement"):
        nd.RandomSampler(data, replacement=1)
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError):
            td.RandomSampler(data, num_samples=bad)
        with pytest.raises(ValueError, match="num_samples"):
            nd.RandomSampler(data, num_samples=bad)
    # without a generator, the default one decides: manual_seed makes it reproducible
    nt.manual_seed(5)
    a = list(nd.RandomSampler(data))
    nt.manual_seed(5)
    assert list(nd.RandomSampler(data)) == a


def test_subset_and_weighted_samplers():
    indices = [3, 8, 1, 6]
    g = nt.Generator().manual_seed(2)
    got = list(nd.SubsetRandomSampler(indices, generator=g))
    assert sorted(got) == sorted(indices) and len(nd.SubsetRandomSampler(indices)) == 4
    w = nd.WeightedRandomSampler([0.0, 1.0, 3.0], 400, generator=g)
    drawn = np.bincount(list(w), minlength=3)
    assert drawn[0] == 0 and 60 < drawn[1] < 140 and len(w) == 400
    no_repeat = list(nd.WeightedRandomSampler([1.0, 1.0, 1.0, 0.0], 3, replacement=False,
                                              generator=g))
    assert sorted(no_repeat) == [0, 1, 2]


# ---- DataLoader ---------------------------------------------------------------------------------
def tensor_datasets(n=10):
    x = np.random.default_rng(1).standard_normal((n, 3)).astype(np.float32)
    y = np.arange(n) % 3
    return (nd.TensorDataset(nt.tensor(x), nt.tensor(y)),
            td.TensorDataset(torch.tensor(x), torch.tensor(y)))


def check_loaders(ours, theirs):
    assert len(ours) == len(theirs)
    ours, theirs = list(ours), list(theirs)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        same(a, b, f"batch {i}")


@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 16])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_batches_match_torch_for_the_same_order(batch_size, drop_last):
    ours_ds, theirs_ds = tensor_datasets()
    # the order comes from numtorch's shuffling; both loaders get it as an explicit sampler
    order = list(nd.RandomSampler(ours_ds, generator=nt.Generator().manual_seed(7)))
    check_loaders(nd.DataLoader(ours_ds, batch_size, sampler=order, drop_last=drop_last),
                  td.DataLoader(theirs_ds, batch_size, sampler=order, drop_last=drop_last))
    check_loaders(nd.DataLoader(ours_ds, batch_size, drop_last=drop_last),
                  td.DataLoader(theirs_ds, batch_size, drop_last=drop_last))


def test_loader_mixed_samples_and_options():
    ours_ds, theirs_ds = ListDataset(samples(nt)), ListDataset(samples(torch))
    order = [4, 1, 10, 0, 7, 3, 9, 2, 8, 6, 5]
    check_loaders(nd.DataLoader(ours_ds, batch_size=3, sampler=order),
                  td.DataLoader(theirs_ds, batch_size=3, sampler=order))
    batches = [[3, 1], [0], [10, 2, 5]]
    check_loaders(nd.DataLoader(ours_ds, batch_sampler=batches),
                  td.DataLoader(theirs_ds, batch_sampler=batches))
    check_loaders(nd.DataLoader(ours_ds, batch_size=None, sampler=order),
                  td.DataLoader(theirs_ds, batch_size=None, sampler=order))
    first = lambda batch: batch[0]["name"]  # noqa: E731
    check_loaders(nd.DataLoader(ours_ds, batch_size=2, collate_fn=first),
                  td.DataLoader(theirs_ds, batch_size=2, collate_fn=first))
    numbers = [(1, 2.5), (2, 3.5), (3, 4.5)]
    check_loaders(nd.DataLoader(numbers, batch_size=2), td.DataLoader(numbers, batch_size=2))
    # num_workers > 0 loads in-process here, with the same batches
    check_loaders(nd.DataLoader(ours_ds, batch_size=4, num_workers=2),
                  td.DataLoader(theirs_ds, batch_size=4))


def test_loader_shuffle_is_a_reproducible_permutation():
    ours_ds, _ = tensor_datasets(12)
    loader = nd.DataLoader(ours_ds, batch_size=5, shuffle=True,
                           generator=nt.Generator().manual_seed(0))
    assert isinstance(loader.sampler, nd.RandomSampler)
    epochs = [[y for _, ys in loader for y in ys.tolist()] for _ in range(2)]
    targets = sorted(ours_ds.tensors[1].tolist())
    assert sorted(epochs[0]) == sorted(epochs[1]) == targets
    rows = [x for x, _ in loader]
    assert [r.shape[0] for r in rows] == [5, 5, 2]
    again = nd.DataLoader(ours_ds, batch_size=5, shuffle=True,
                          generator=nt.Generator().manual_seed(0))
    assert [[y for _, ys in again for y in ys.tolist()] for _ in range(2)] == epochs
    xs = np.concatenate([x.numpy() for x, _ in nd.DataLoader(
        ours_ds, batch_size=5, shuffle=True, generator=nt.Generator().manual_seed(4))])
    assert not np.array_equal(xs, ours_ds.tensors[0].numpy())
    np.testing.assert_array_equal(np.sort(xs, axis=0), np.sort(ours_ds.tensors[0].numpy(), 0))
    nt.manual_seed(11)
    first = [ys.tolist() for _, ys in nd.DataLoader(ours_ds, batch_size=4, shuffle=True)]
    nt.manual_seed(11)
    assert [ys.tolist() for _, ys in nd.DataLoader(ours_ds, batch_size=4, shuffle=True)] == first


class Stream:
    """An iterable dataset of n numbers (and pairs), built for either framework."""

    def __init__(self, base, n, sized=True):
        self.base, self.n, self.sized = base, n, sized

    def make(self):
        n, sized = self.n, self.sized

        class S(self.base):
            def __iter__(self):
                return iter((i, float(i) / 2) for i in range(n))

            if sized:
                def __len__(self):
                    return n
        return S()


@pytest.mark.parametrize("batch_size,drop_last", [(2, False), (2, True), (5, False),
                                                  (7, True), (None, False)])
def test_iterable_dataset(batch_size, drop_last):
    ours = nd.DataLoader(Stream(nd.IterableDataset, 5).make(), batch_size=batch_size,
                         drop_last=drop_last)
    theirs = td.DataLoader(Stream(td.IterableDataset, 5).make(), batch_size=batch_size,
                           drop_last=drop_last)
    check_loaders(ours, theirs)
    with pytest.raises(TypeError):
        len(nd.DataLoader(Stream(nd.IterableDataset, 5, sized=False).make()))
    chained = Stream(nd.IterableDataset, 2).make() + Stream(nd.IterableDataset, 3).make()
    assert [i for i, _ in chained] == [0, 1, 0, 1, 2] and len(chained) == 5


def test_loader_errors_match_torch():
    ours_ds, theirs_ds = tensor_datasets()
    cases = [dict(sampler=[1], shuffle=True), dict(batch_sampler=[[1]], batch_size=2),
             dict(batch_sampler=[[1]], shuffle=True), dict(batch_sampler=[[1]], sampler=[1]),
             dict(batch_sampler=[[1]], drop_last=True), dict(batch_size=None, drop_last=True),
             dict(num_workers=-1), dict(prefetch_factor=2), dict(persistent_workers=True)]
    for kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            td.DataLoader(theirs_ds, **kwargs)
        with pytest.raises(ValueError) as ours:
            nd.DataLoader(ours_ds, **kwargs)
        assert str(ours.value) == str(theirs.value), kwargs
    for kwargs in (dict(shuffle=True), dict(sampler=[1]), dict(batch_sampler=[[1]])):
        with pytest.raises(ValueError, match="IterableDataset"):
            td.DataLoader(Stream(td.IterableDataset, 3).make(), **kwargs)
        with pytest.raises(ValueError, match="IterableDataset"):
            nd.DataLoader(Stream(nd.IterableDataset, 3).make(), **kwargs)
    loader = nd.DataLoader(ours_ds)
    with pytest.raises(ValueError, match="batch_size"):
        loader.batch_size = 4
    loader.num_workers = 0  # allowed, as in PyTorch


def test_loader_defaults_and_len():
    ours_ds, theirs_ds = tensor_datasets(7)
    ours, theirs = nd.DataLoader(ours_ds), td.DataLoader(theirs_ds)
    for name in ("batch_size", "drop_last", "num_workers", "pin_memory", "timeout",
                 "generator", "prefetch_factor", "persistent_workers"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert isinstance(ours.sampler, nd.SequentialSampler)
    assert isinstance(ours.batch_sampler, nd.BatchSampler)
    assert ours.collate_fn is nd.default_collate
    assert len(iter(ours)) == len(ours) == 7
    assert nd.get_worker_info() is None
    assert nd.DataLoader(ours_ds, batch_size=None).collate_fn is nd.default_convert
