"""op_db entries for the reduction ops (see op_db.py for the framework)."""
from __future__ import annotations

import numpy as np

from op_db import ALL, FLOATS, OpInfo, Sample

INF = float("inf")


def _with(make, values):
    return np.array(values, make.dtype)


def _nan_array(make):
    a = make(3, 4)
    a[0, 1] = a[2, 3] = np.nan
    return a


# ---- samples ----------------------------------------------------------------------------------

def dim_samples(make):
    """One int dim (and keepdim): the shape of max(dim), median(dim), kthvalue, mode, ..."""
    return [
        Sample((make(3, 4), 1, False), "dim 1"),
        Sample((make(3, 4), 0, True), "dim 0 keepdim"),
        Sample((make(2, 3, 4), -2, False), "3-d, dim -2"),
        Sample((make(), 0, False), "0-d"),
        Sample((make(3, 4, noncontig=True), -1, True), "non-contiguous"),
        Sample((make(0, 4), 1, False), "empty, non-empty dim"),
    ]


def dim_errors(make):
    return [
        Sample((make(3, 4), 2, False), "dim out of range"),
        Sample((make(3, 0), 1, False), "reducing an empty dim"),
    ]


def all_samples(make):
    """Reductions over everything: max(), median(), prod()."""
    return [
        Sample((make(3, 4),), "2-d"),
        Sample((make(),), "0-d"),
        Sample((make(2, 3, 4, noncontig=True),), "non-contiguous"),
        Sample((_with(make, [[1, 3, 3], [2, -1, 0]]),), "ties", fd=False),
    ]


def empty_errors(make):
    return [Sample((make(0, 3),), "empty")]


def dims_samples(make):
    """dim as None, an int or a tuple, with keepdim: amax, var, norm, count_nonzero, ..."""
    return [
        Sample((make(3, 4), None, False), "all"),
        Sample((make(3, 4), 0, False), "dim 0"),
        Sample((make(3, 4), -1, True), "dim -1 keepdim"),
        Sample((make(2, 3, 4), (0, 2), False), "dims (0, 2)"),
        Sample((make(2, 3, 4), (-1, 1), True), "dims (-1, 1) keepdim"),
        Sample((make(), 0, False), "0-d"),
        Sample((make(3, 4, noncontig=True), 1, False), "non-contiguous"),
    ]


def amax_samples(make):
    ties = _with(make, [[1, 3, 3], [2, 2, 0]])
    return dims_samples(make) + [
        Sample((ties, 1, False), "ties along dim", fd=False),
        Sample((ties, None, False), "ties overall", fd=False),
        Sample((make(3, 0), 0, False), "empty, non-empty dim"),
    ]


def amax_errors(make):
    return [Sample((make(0, 3), None, False), "empty, all dims"),
            Sample((make(0, 3), 0, True), "empty dim"),  # dim 0 has size 0
            Sample((make(3, 4), (0, 0), False), "repeated dim")]


def prod_samples(make):
    return [
        Sample((make(3, 4, low=0.5, high=1.5), None, False), "all"),
        Sample((make(3, 4, low=0.5, high=1.5), 1, False), "dim 1"),
        Sample((make(3, 4, low=-1.5, high=1.5), -2, True), "dim -2 keepdim"),
        Sample((make(), 0, False), "0-d"),
        Sample((make(3, 4, low=0.5, high=1.5, noncontig=True), 1, False), "non-contiguous"),
        Sample((_with(make, [[0, 2, 3], [0, 0, 2], [1, 2, 3]]), 1, False), "zeros along dim"),
        Sample((_with(make, [[0.5, 2, 3], [1.5, 0, 2]]), None, False), "one zero overall"),
        Sample((_with(make, [[0.5, 0, 3], [1.5, 0, 2]]), None, False), "two zeros overall"),
        Sample((make(3, 0), 1, False), "empty dim"),
    ]


def scan_samples(make):
    return [
        Sample((make(3, 4), 1), "dim 1"),
        Sample((make(3, 4), -2), "dim -2"),
        Sample((make(2, 3, 4), 1), "3-d"),
        Sample((make(), 0), "0-d"),
        Sample((make(3, 4, noncontig=True), 0), "non-contiguous"),
        Sample((make(2, 0), 1), "empty"),
    ]


def cumprod_samples(make):
    return scan_samples(make) + [
        Sample((_with(make, [[0, 2, 3, 2], [2, 0, 0, 3], [1.5, 2, 3, 0]]), 1), "zeros"),
        Sample((_with(make, [[0, 2], [3, 0], [2, 2]]), 0), "zeros, dim 0"),
    ]


def scan_errors(make):
    return [Sample((make(3, 4), 2), "dim out of range")]


def ties_dim_samples(make):
    """Samples with ties inside a slice, for ops whose tie rule matches PyTorch's."""
    ties = _with(make, [[1, 3, 3, 1, 3], [2, 2, 0, 0, -1]])
    return dim_samples(make) + [Sample((ties, 1, False), "ties", fd=False)]


def var_samples(make):
    return [
        Sample((make(3, 4), None, {}), "all"),
        Sample((make(3, 4), 1, {"keepdim": True}), "dim 1 keepdim"),
        Sample((make(2, 3, 4), (0, 2), {"correction": 0}), "dims (0, 2), correction 0"),
        Sample((make(3, 4), 0, {"unbiased": False}), "dim 0, unbiased=False"),
        Sample((make(3, 5), -1, {"correction": 2}), "correction 2"),
        Sample((make(3, 4, noncontig=True), 1, {}), "non-contiguous"),
    ]


def var_errors(make):
    return [Sample((make(3, dtype="int64"), None, {}), "integer input"),
            Sample((make(3, 4), 2, {}), "dim out of range")]


def nan_samples(make):
    a = _nan_array(make)
    return [
        Sample((a, None, False), "all"),
        Sample((a, 1, False), "dim 1"),
        Sample((a, (0, 1), True), "dims (0, 1) keepdim"),
        Sample((make(2, 3), 0, False), "no NaN"),
    ]


def logsumexp_samples(make):
    big = _with(make, [[1000, 1001, 999], [-1000, -1002, -1001]])
    return [
        Sample((make(3, 4), 1, False), "dim 1"),
        Sample((make(3, 4), (0, 1), True), "dims (0, 1) keepdim"),
        Sample((make(), 0, False), "0-d"),
        Sample((make(3, 4, noncontig=True), 0, False), "non-contiguous"),
        Sample((big, 1, False), "large magnitudes (stability)"),
    ]


def norm_samples(make):
    zeros = _with(make, [[0, 3, 0], [0, 0, 0]])
    samples = []
    for p in (2, 1, INF, 3, "fro"):
        samples += [
            Sample((make(3, 4), p, None, False), f"p={p}, all"),
            Sample((make(2, 3, 4, noncontig=True), p, (0, 2), True), f"p={p}, dims keepdim"),
            Sample((zeros, p, 1, False), f"p={p}, a zero row", fd=False, gradgrad=False),
        ]
    return samples + [
        Sample((make(3, 4), -INF, 1, False), "p=-inf"),
        Sample((make(), 2, None, False), "0-d"),
        Sample((make(3, 4), 0.5, 0, False), "p=0.5"),
    ]


def norm_errors(make):
    return [Sample((make(3, dtype="int64"), 2, None, False), "integer input")]


def bool_reduce_samples(make):
    x = make(3, 4)
    x[1, 2] = 0
    z = np.zeros((2, 3), make.dtype)
    return [
        Sample((x, None, False), "all"),
        Sample((x, 1, False), "dim 1"),
        Sample((x, 0, True), "dim 0 keepdim"),
        Sample((z, -1, False), "zeros"),
        Sample((make(), 0, False), "0-d"),
        Sample((make(0, 3), 0, False), "empty"),
        Sample((make(2, 3, 4, noncontig=True), (0, 2), False), "dims (0, 2)"),
    ]


def count_nonzero_samples(make):
    return [Sample(s.args[:2], s.desc) for s in bool_reduce_samples(make)]


def sort_samples(make):
    ties = _with(make, [[1, 3, 3, 1, 3], [2, 2, 0, 0, -1]])
    return [
        Sample((make(3, 4), 1, False), "dim 1"),
        Sample((make(3, 4), 0, True), "dim 0 descending"),
        Sample((make(2, 3, 4), -2, False), "3-d"),
        Sample((make(), 0, False), "0-d"),
        Sample((make(3, 4, noncontig=True), -1, True), "non-contiguous descending"),
        Sample((make(2, 0), 1, False), "empty"),
        Sample((ties, 1, False), "ties (stable)", fd=False),
        Sample((ties, 1, True), "ties descending (stable)", fd=False),
    ]


def sort_nan_samples(make):
    a = _with(make, [[1, np.nan, 2, -INF, np.nan, INF]])
    return [Sample((a, 1, False), "NaN", fd=False),
            Sample((a, 1, True), "NaN descending", fd=False)]


def topk_samples(make):
    return [
        Sample((make(3, 5), 2, 1, True), "k=2 largest"),
        Sample((make(3, 5), 3, 0, False), "k=3 smallest along dim 0"),
        Sample((make(2, 3, 4), 1, -1, True), "3-d, k=1"),
        Sample((make(), 1, 0, True), "0-d"),
        Sample((make(3, 5, noncontig=True), 0, 1, True), "k=0"),
        Sample((make(3, 5), 5, 1, False), "k = size"),
    ]


def topk_errors(make):
    return [Sample((make(3, 4), 5, 1, True), "k too large")]


def kth_samples(make):
    return [
        Sample((make(3, 5), 2, 1, False), "k=2"),
        Sample((make(3, 5), 3, 0, True), "k=3 dim 0 keepdim"),
        Sample((make(2, 3, 4), 4, -1, False), "3-d, k = size"),
        Sample((make(), 1, 0, False), "0-d"),
        Sample((make(3, 5, noncontig=True), 1, 1, False), "non-contiguous"),
    ]


def kth_errors(make):
    return [Sample((make(3, 4), 0, 1, False), "k=0"),
            Sample((make(3, 4), 5, 1, False), "k too large")]


def median_nan_samples(make):
    a = _nan_array(make)
    return [Sample((a, 1, False), "NaN rows", fd=False),
            Sample((a, 0, True), "NaN, dim 0 keepdim", fd=False)]


def mode_samples(make):
    rep = _with(make, [[1, 1, 2, 2, 3], [2, 2, 1, 1, 3], [3, 1, 2, 3, 1]])
    return [
        Sample((rep, 1, False), "repeats, ties between counts", fd=False),
        Sample((rep.T.copy(), 0, True), "repeats along dim 0", fd=False),
        Sample((make(3, 4), 1, False), "distinct"),
        Sample((make(), 0, False), "0-d"),
    ]


# ---- entries -----------------------------------------------------------------------------------

def _vi(name, fn, samples, dtypes=FLOATS, **kw):
    """Entries for an op returning (values, indices): one per output."""
    return [
        OpInfo(f"{name}_values", lambda lib, *a: fn(lib, *a)[0], samples, dtypes=dtypes, **kw),
        OpInfo(f"{name}_indices", lambda lib, *a: fn(lib, *a)[1], samples, dtypes=dtypes,
               differentiable=False, **kw),
    ]


def _var_call(name):
    return lambda lib, x, dim, kw: (getattr(x, name)(**kw) if dim is None
                                    else getattr(x, name)(dim, **kw))


OPS = [
    OpInfo("sum_dtype", lambda lib, x, dim, keepdim: x.sum(dim, keepdim, dtype=lib.float64),
           dims_samples, dtypes=ALL, same_name=False),
    OpInfo("sum_empty_dims", lambda lib, x: x.sum(()), all_samples, dtypes=ALL,
           same_name=False),
    OpInfo("nansum", lambda lib, x, dim, keepdim: lib.nansum(x, dim, keepdim), nan_samples),
    OpInfo("nanmean", lambda lib, x, dim, keepdim: x.nanmean(dim, keepdim), nan_samples,
           same_name=False),
    OpInfo("prod", lambda lib, x, dim, keepdim: x.prod() if dim is None
           else x.prod(dim, keepdim), prod_samples, dtypes=ALL),
    OpInfo("prod_dtype", lambda lib, x: lib.prod(x, dtype=lib.float64), all_samples,
           dtypes=ALL),
    OpInfo("max", lambda lib, x: x.max(), all_samples, dtypes=ALL, errors=empty_errors),
    OpInfo("min", lambda lib, x: lib.min(x), all_samples, dtypes=ALL, errors=empty_errors),
    OpInfo("max_binary", lambda lib, x, y: lib.max(x, y), lambda make: [
        Sample((make(3, 4), make(4)), "broadcast"), Sample((make(), make(2)), "0-d")]),
    *_vi("max_dim", lambda lib, x, d, k: x.max(d, keepdim=k), ties_dim_samples, dtypes=ALL,
         errors=dim_errors),
    *_vi("min_dim", lambda lib, x, d, k: lib.min(x, dim=d, keepdim=k), ties_dim_samples,
         dtypes=ALL, errors=dim_errors),
    OpInfo("amax", lambda lib, x, dim, keepdim: x.amax() if dim is None
           else x.amax(dim, keepdim), amax_samples, dtypes=ALL, errors=amax_errors),
    OpInfo("amin", lambda lib, x, dim, keepdim: lib.amin(x, () if dim is None else dim,
                                                         keepdim), amax_samples, dtypes=ALL),
    OpInfo("argmax", lambda lib, x, dim, keepdim: x.argmax(dim, keepdim),
           lambda make: ties_dim_samples(make) + [Sample((make(3, 4), None, True), "all")],
           dtypes=ALL, differentiable=False, errors=dim_errors),
    OpInfo("argmin", lambda lib, x, dim, keepdim: lib.argmin(x, dim, keepdim),
           lambda make: ties_dim_samples(make) + [Sample((make(3, 4), None, False), "all")],
           dtypes=ALL, differentiable=False),
    OpInfo("var", _var_call("var"), var_samples, errors=var_errors),
    OpInfo("std", _var_call("std"), lambda make: var_samples(make) + [
        Sample((np.ones((2, 3), make.dtype), 1, {}), "zero spread", fd=False,
               gradgrad=False)],
        errors=var_errors),
    OpInfo("var_mean_var", lambda lib, x, dim, kw: lib.var_mean(x, dim, **kw)[0], var_samples,
           same_name=False),
    OpInfo("var_mean_mean", lambda lib, x, dim, kw: lib.var_mean(x, dim, **kw)[1],
           var_samples, same_name=False),
    OpInfo("std_mean_std", lambda lib, x, dim, kw: lib.std_mean(x, dim, **kw)[0], var_samples,
           same_name=False),
    OpInfo("logsumexp", lambda lib, x, dim, keepdim: x.logsumexp(dim, keepdim),
           logsumexp_samples, dtypes=ALL),
    OpInfo("norm_p_dim", lambda lib, x, p, dim, keepdim: x.norm(p, dim, keepdim), norm_samples,
           errors=norm_errors),
    OpInfo("cumsum", lambda lib, x, dim: x.cumsum(dim), scan_samples, dtypes=ALL,
           errors=scan_errors),
    OpInfo("cumsum_dtype", lambda lib, x, dim: lib.cumsum(x, dim, dtype=lib.float64),
           scan_samples, dtypes=ALL),
    OpInfo("cumprod", lambda lib, x, dim: x.cumprod(dim), cumprod_samples, dtypes=ALL,
           errors=scan_errors),
    *_vi("cummax", lambda lib, x, dim: x.cummax(dim), lambda make: scan_samples(make) + [
        Sample((_with(make, [[1, 3, 3, 1, 3], [2, 2, 0, 0, -1]]), 1), "ties", fd=False)],
        dtypes=ALL),
    *_vi("cummin", lambda lib, x, dim: lib.cummin(x, dim), lambda make: scan_samples(make) + [
        Sample((_with(make, [[1, 3, 3, 1, 3], [2, 2, 0, 0, -1]]), 1), "ties", fd=False)],
        dtypes=ALL),
    OpInfo("all", lambda lib, x, dim, keepdim: x.all() if dim is None
           else x.all(dim, keepdim), bool_reduce_samples, dtypes=ALL, differentiable=False),
    OpInfo("any", lambda lib, x, dim, keepdim: lib.any(x) if dim is None
           else lib.any(x, dim, keepdim), bool_reduce_samples, dtypes=ALL,
           differentiable=False),
    OpInfo("count_nonzero", lambda lib, x, dim: x.count_nonzero(dim), count_nonzero_samples,
           dtypes=ALL, differentiable=False),
    OpInfo("median", lambda lib, x: x.median(), lambda make: all_samples(make) + [
        Sample((make(4, 2),), "even count")], dtypes=ALL),
    OpInfo("nanmedian", lambda lib, x: lib.nanmedian(x), lambda make: [
        Sample((_nan_array(make),), "NaN"), Sample((make(3, 3),), "no NaN")]),
    *_vi("median_dim", lambda lib, x, d, k: x.median(d, k), lambda make: dim_samples(make)
         + median_nan_samples(make), errors=dim_errors),
    *_vi("nanmedian_dim", lambda lib, x, d, k: lib.nanmedian(x, d, k),
         lambda make: dim_samples(make) + median_nan_samples(make)),
    *_vi("mode", lambda lib, x, d, k: x.mode(d, k), mode_samples, dtypes=ALL),
    *_vi("sort", lambda lib, x, d, desc: x.sort(d, desc), sort_samples, dtypes=ALL),
    *_vi("sort_stable", lambda lib, x, d, desc: lib.sort(x, dim=d, descending=desc,
                                                         stable=True), sort_nan_samples),
    OpInfo("argsort", lambda lib, x, d, desc: x.argsort(d, desc), sort_samples, dtypes=ALL,
           differentiable=False),
    OpInfo("msort", lambda lib, x: lib.msort(x), all_samples, dtypes=ALL),
    *_vi("topk", lambda lib, x, k, d, largest: x.topk(k, d, largest), topk_samples,
         errors=topk_errors),
    *_vi("kthvalue", lambda lib, x, k, d, keepdim: x.kthvalue(k, d, keepdim), kth_samples,
         errors=kth_errors),
]
