"""Reduction, scan and sorting behaviour the op database cannot express: named-tuple results,
tie rules, empty inputs, and property tests against PyTorch over random shapes and dims."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numtorch
from conftest import require_torch

torch = require_torch()


def both(array):
    """The same values as a numtorch and a torch tensor (float arrays require grad)."""
    grad = array.dtype.kind == "f"
    return (numtorch.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad))


def same(ours, theirs, rtol=1e-6, atol=1e-7):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=atol, equal_nan=True)


# ---- named tuples -------------------------------------------------------------------------------

PAIRS = [
    ("max", lambda x: x.max(1)), ("min", lambda x: x.min(1, keepdim=True)),
    ("sort", lambda x: x.sort(0)), ("topk", lambda x: x.topk(2)),
    ("kthvalue", lambda x: x.kthvalue(1)), ("median", lambda x: x.median(1)),
    ("nanmedian", lambda x: x.nanmedian(0)), ("mode", lambda x: x.mode()),
    ("cummax", lambda x: x.cummax(1)), ("cummin", lambda x: x.cummin(0)),
]


@pytest.mark.parametrize("name,fn", PAIRS, ids=[p[0] for p in PAIRS])
def test_values_indices_named_tuple(name, fn):
    a = np.array([[1.0, 5.0, 2.0], [4.0, 0.5, 3.0]])
    ours, theirs = fn(numtorch.tensor(a)), fn(torch.tensor(a))
    assert type(ours).__name__ == type(theirs).__name__ == name
    assert isinstance(ours, tuple) and len(ours) == 2
    values, indices = ours
    assert values is ours.values and indices is ours.indices
    same(values, theirs.values)
    same(indices, theirs.indices)
    assert repr(ours).startswith(f"numtorch.return_types.{name}(\nvalues=tensor(")
    assert type(ours) is getattr(numtorch.return_types, name)
    again = pickle.loads(pickle.dumps(ours))
    assert type(again) is type(ours)


def test_var_mean_is_a_plain_pair():
    a = np.arange(6.0).reshape(2, 3)
    (v, m), (tv, tm) = numtorch.var_mean(numtorch.tensor(a), 1), torch.var_mean(
        torch.tensor(a), 1)
    same(v, tv)
    same(m, tm)


def test_aminmax():
    a = np.array([[1.0, 5.0, 2.0], [4.0, 0.5, 3.0]])
    ours, theirs = numtorch.tensor(a).aminmax(dim=1), torch.tensor(a).aminmax(dim=1)
    same(ours.min, theirs.min)
    same(ours.max, theirs.max)


# ---- tie rules ----------------------------------------------------------------------------------

TIES = np.array([[1.0, 3.0, 3.0, 1.0, 3.0], [2.0, 2.0, 0.0, 0.0, -1.0]])


@pytest.mark.parametrize("fn", [lambda x: x.max(1), lambda x: x.min(1), lambda x: x.median(1),
                                lambda x: x.mode(1), lambda x: x.cummax(1),
                                lambda x: x.cummin(1), lambda x: x.sort(1, descending=True)],
                         ids=["max", "min", "median", "mode", "cummax", "cummin", "sort"])
def test_gradient_goes_to_the_returned_index(fn):
    ours_x, theirs_x = both(TIES)
    ours, theirs = fn(ours_x), fn(theirs_x)
    same(ours.indices, theirs.indices)
    w = np.linspace(-1, 1, ours.values.numel()).reshape(tuple(ours.values.shape))
    (ours.values * numtorch.tensor(w)).sum().backward()
    (theirs.values * torch.tensor(w)).sum().backward()
    same(ours_x.grad, theirs_x.grad)


@pytest.mark.parametrize("fn", [lambda x: x.max(), lambda x: x.amax(1), lambda x: x.amin(),
                                lambda x: x.median(), lambda x: x.norm(float("inf"), 1)],
                         ids=["max", "amax", "amin", "median", "inf-norm"])
def test_gradient_is_shared_evenly_among_ties(fn):
    ours_x, theirs_x = both(TIES)
    fn(ours_x).sum().backward()
    fn(theirs_x).sum().backward()
    same(ours_x.grad, theirs_x.grad)


def test_argmax_argmin_take_the_first_occurrence_and_nan():
    a = np.array([[1.0, 3.0, 3.0], [np.nan, 2.0, np.nan], [0.0, 0.0, 0.0]])
    for f in (lambda x: x.argmax(1), lambda x: x.argmin(1), lambda x: x.argmax(),
              lambda x: x.argmin(0, keepdim=True), lambda x: x.max(1).indices):
        same(f(numtorch.tensor(a)), f(torch.tensor(a)))


def test_sort_is_stable_with_nan_and_inf():
    a = np.array([np.nan, 1.0, -np.inf, 1.0, np.inf, np.nan, -0.0, 0.0])
    for descending in (False, True):
        ours = numtorch.tensor(a).sort(descending=descending)
        theirs = torch.tensor(a).sort(descending=descending, stable=True)
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)


@pytest.mark.parametrize("fn", [lambda x: x.kthvalue(2, 1), lambda x: x.topk(3, 1),
                                lambda x: x.topk(2, 1, largest=False)],
                         ids=["kthvalue", "topk", "topk smallest"])
def test_kthvalue_topk_values_match_with_ties(fn):
    # NOTE: among equal values PyTorch's selection algorithm may report another index than
    # numtorch's stable order; the values always agree and the indices point at them.
    ours, theirs = fn(numtorch.tensor(TIES)), fn(torch.tensor(TIES))
    same(ours.values, theirs.values)
    idx = ours.indices.numpy()
    picked = np.take_along_axis(TIES, idx if idx.ndim == 2 else idx[:, None], 1)
    np.testing.assert_array_equal(picked.reshape(ours.values.shape), ours.values.numpy())


# ---- empty inputs and errors --------------------------------------------------------------------

@pytest.mark.parametrize("fn", [lambda x: x.max(), lambda x: x.min(), lambda x: x.amax(),
                                lambda x: x.argmax(), lambda x: x.max(1), lambda x: x.amin(1),
                                lambda x: x.median(1), lambda x: x.kthvalue(1, 1),
                                lambda x: x.mode(1), lambda x: x.topk(1, 1),
                                lambda x: x.prod((0, 1)), lambda x: x.var(5)],
                         ids=["max", "min", "amax", "argmax", "max dim", "amin dim",
                              "median dim", "kthvalue", "mode", "topk", "prod tuple",
                              "var dim"])
def test_errors_match_torch_type(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch.zeros(2, 0))
    with pytest.raises(type(theirs.value)):
        fn(numtorch.zeros(2, 0))


@pytest.mark.parametrize("fn", [lambda x: x.median(), lambda x: x.prod(), lambda x: x.sum(),
                                lambda x: x.all(), lambda x: x.any(), lambda x: x.norm(),
                                lambda x: x.logsumexp(1), lambda x: x.max(0).values,
                                lambda x: x.count_nonzero(), lambda x: x.cumsum(1),
                                lambda x: x.sort(1).values, lambda x: x.nansum()],
                         ids=["median", "prod", "sum", "all", "any", "norm", "logsumexp",
                              "max dim 0", "count_nonzero", "cumsum", "sort", "nansum"])
def test_empty_results_match_torch(fn):
    same(fn(numtorch.zeros(2, 0)), fn(torch.zeros(2, 0)))


def test_binary_max_min_are_elementwise():
    a, b = np.array([[1.0, -2.0, 3.0]]), np.array([[0.5], [2.0]])
    same(numtorch.max(numtorch.tensor(a), numtorch.tensor(b)),
         torch.max(torch.tensor(a), torch.tensor(b)))
    same(numtorch.tensor(a).min(numtorch.tensor(b)), torch.tensor(a).min(torch.tensor(b)))


def test_var_std_signatures():
    a = np.random.default_rng(0).normal(size=(3, 4))
    for f in (lambda x: x.var(False), lambda x: x.std(1, False, True),
              lambda x: x.var(dim=0, correction=0), lambda x: x.std(unbiased=True),
              lambda x: x.var((0, 1), keepdim=True)):
        same(f(numtorch.tensor(a)), f(torch.tensor(a)))


def test_logsumexp_is_stable_for_infinities():
    a = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [1e308, 1e308]])
    same(numtorch.tensor(a).logsumexp(1), torch.tensor(a).logsumexp(1))


# ---- properties against PyTorch -----------------------------------------------------------------

@st.composite
def array_and_dim(draw, min_dims=1):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=min_dims, max_size=3)))
    values = draw(st.lists(st.integers(-3, 3), min_size=int(np.prod(shape)),
                           max_size=int(np.prod(shape))))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return np.array(values, np.float64).reshape(shape), dim


@settings(max_examples=40, deadline=None)
@given(array_and_dim(), st.booleans())
def test_property_value_index_ops(case, keepdim):
    a, dim = case
    x, t = both(a)
    for f in (lambda x: x.max(dim, keepdim), lambda x: x.min(dim, keepdim),
              lambda x: x.median(dim, keepdim), lambda x: x.mode(dim, keepdim),
              lambda x: x.sort(dim, keepdim), lambda x: x.cummin(dim)):
        ours, theirs = f(x), f(t)
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)


@settings(max_examples=40, deadline=None)
@given(array_and_dim(), st.booleans())
def test_property_reductions_and_gradients(case, keepdim):
    a, dim = case
    dims = (dim, (dim + 1) % a.ndim) if a.ndim > 1 and (dim + 1) % a.ndim != dim % a.ndim \
        else (dim,)
    for f in (lambda x: x.prod(dim, keepdim), lambda x: x.cumprod(dim),
              lambda x: x.amax(dims, keepdim), lambda x: x.logsumexp(dims, keepdim),
              lambda x: x.norm(2, dims, keepdim), lambda x: x.norm(1, dim, keepdim),
              lambda x: x.var(dims, keepdim=keepdim, correction=0),
              lambda x: x.cumsum(dim)):
        x, t = both(a)
        ours, theirs = f(x), f(t)
        same(ours, theirs, rtol=1e-10, atol=1e-12)
        w = np.cos(np.arange(ours.numel())).reshape(tuple(ours.shape))
        (ours * numtorch.tensor(w)).sum().backward()
        (theirs * torch.tensor(w)).sum().backward()
        same(x.grad, t.grad, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(array_and_dim(), st.booleans())
def test_property_boolean_reductions(case, keepdim):
    a, dim = case
    for f in (lambda x: x.all(dim, keepdim), lambda x: x.any(dim, keepdim),
              lambda x: x.count_nonzero(dim), lambda x: x.argmax(dim, keepdim),
              lambda x: x.argmin(dim, keepdim)):
        for cast in (np.int64, np.float32):
            same(f(numtorch.tensor(a.astype(cast))), f(torch.tensor(a.astype(cast))))


@pytest.mark.parametrize("shape,size", [((2, 3), (3,)), ((2, 3), (1, 3)), ((4, 2, 3), (2, 1)),
                                        ((2, 3), (2, 3)), ((2, 3), (2,))])
def test_sum_to_size_matches_torch(shape, size):
    a = np.random.default_rng(0).standard_normal(shape)
    ours = numtorch.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    try:
        expected = theirs.sum_to_size(size)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            ours.sum_to_size(size)
        return
    out = ours.sum_to_size(*size)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy())
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
