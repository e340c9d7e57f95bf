"""op_db entries for the activation ops (see op_db.py for the framework)."""
from __future__ import annotations

import numpy as np

from op_db import ALL, FLOATS, OpInfo, Sample, unary_samples


def _f(name):
    """``lib.nn.functional.<name>`` for either library."""
    return lambda lib: getattr(lib.nn.functional, name)


def _kink(make, *values):
    return np.array(values, make.dtype)


def act_samples(make):
    """unary_samples plus an empty tensor."""
    return unary_samples(make) + [Sample((make(2, 0),), "empty")]


def _with_kink(*values, gradgrad=True):
    def samples(make):
        return act_samples(make) + [
            Sample((_kink(make, *values),), "on the kinks", fd=False, gradgrad=gradgrad)]
    return samples


def _unary(name, expr, samples=act_samples, dtypes=FLOATS, **kw):
    return OpInfo(name, expr, samples, dtypes=dtypes, **kw)


def _unary_f(name, samples=act_samples, dtypes=FLOATS, **kw):
    return _unary(f"F.{name}", lambda lib, x: _f(name)(lib)(x), samples, dtypes, **kw)


def _inplace_f(name, *args, samples=unary_samples, **kw):
    """F.<name>(..., inplace=True) on a non-leaf copy of the input."""
    return OpInfo(f"F.{name}_inplace",
                  lambda lib, x: _f(name)(lib)(x * 1, *args, inplace=True), samples, **kw)


def float_only_errors(make):
    return [Sample((make(3, 4, dtype="int64"),), "int64 input")]


# ---- parametrised activations -----------------------------------------------------------------

def slope_samples(make):
    return [
        Sample((make(3, 4), 0.01), "default slope"),
        Sample((make(), 0.2), "0-d"),
        Sample((make(3, 4, noncontig=True), -0.5), "negative slope, non-contiguous"),
        Sample((make(2, 0), 0.1), "empty"),
        Sample((_kink(make, -1.0, 0.0, 1.0), 0.1), "zero", fd=False),
    ]


def slope_samples_inplace(make):
    # PyTorch refuses the backward of an in-place leaky_relu with a negative slope (it saves
    # the result); numtorch computes it, so only the comparable samples are kept
    return [s for s in slope_samples(make) if s.args[1] >= 0]


def alpha_samples(make):
    return [
        Sample((make(3, 4), 1.0), "alpha 1"),
        Sample((make(), 0.5), "0-d, alpha 0.5"),
        Sample((make(2, 3, 4).transpose(2, 0, 1), 2.0), "permuted, alpha 2"),
        Sample((make(3, 4, noncontig=True), 1.5), "non-contiguous"),
        Sample((_kink(make, -1.0, 0.0, 1.0), 2.0), "zero", fd=False, gradgrad=False),
    ]


def prelu_samples(make):
    return [
        Sample((make(2, 3, 4), make(3)), "per channel"),
        Sample((make(3, 4), make(4)), "2-d, per channel"),
        Sample((make(2, 3, 4, noncontig=True), make(1)), "one slope, non-contiguous"),
        Sample((make(5), make(1)), "1-d"),
        Sample((make(), make()), "0-d, 0-d weight"),
        Sample((make(2, 0, 3), make(1)), "empty"),
    ]


def prelu_errors(make):
    return [Sample((make(2, 3, 4), make(4)), "weight size mismatch"),
            Sample((make(2, 3), make(1, 3)), "2-d weight"),
            Sample((make(3), make(3)), "1-d input, several slopes")]


def hardtanh_samples(make):
    return [
        Sample((make(3, 4), -1.0, 1.0), "default bounds"),
        Sample((make(), -0.5, 1.5), "0-d"),
        Sample((make(3, 4, noncontig=True), -1, 2), "int bounds, non-contiguous"),
        Sample((make(2, 0), -1.0, 1.0), "empty"),
        Sample((_kink(make, -1.0, -0.5, 0.0, 1.0, 1.5), -1.0, 1.0), "on the bounds",
               fd=False),
    ]


def hardtanh_errors(make):
    return [Sample((make(3), 1.0, -1.0), "min_val > max_val")]


def threshold_samples(make):
    return [
        Sample((make(3, 4), 0.5, 2.0), "threshold 0.5"),
        Sample((make(), 0.0, -1.0), "0-d"),
        Sample((make(3, 4, noncontig=True), -0.5, 7.5), "negative threshold, non-contiguous"),
        Sample((make(2, 0), 0.1, 2.0), "empty"),
        Sample((_kink(make, -1.0, 0.5, 1.0), 0.5, 9.0), "on the threshold", fd=False),
    ]


def lambd_samples(make):
    return [
        Sample((make(3, 4), 0.5), "lambda 0.5"),
        Sample((make(), 0.25), "0-d"),
        Sample((make(3, 4, noncontig=True), 1.0), "non-contiguous"),
        Sample((make(2, 0), 0.5), "empty"),
        Sample((_kink(make, -0.5, 0.0, 0.5, 0.7), 0.5), "on the kinks", fd=False),
    ]


def softshrink_errors(make):
    return [Sample((make(3), -1.0), "negative lambda"),
            Sample((make(3, dtype="int64"), 0.5), "int64 input")]


def gelu_samples(make):
    return [
        Sample((make(3, 4), "none"), "erf"),
        Sample((make(3, 4), "tanh"), "tanh"),
        Sample((make(), "none"), "0-d"),
        Sample((make(3, 4, noncontig=True), "tanh"), "non-contiguous, tanh"),
        Sample((make(2, 3, 4).transpose(2, 0, 1), "none"), "permuted"),
        Sample((np.array([-12.0, -6.0, 6.0, 12.0], make.dtype), "none"), "tails"),
    ]


def gelu_errors(make):
    return [Sample((make(3), "fast"), "unknown approximation"),
            Sample((make(3, dtype="int64"), "none"), "int64 input")]


def softplus_samples(make):
    return [
        Sample((make(3, 4), 1.0, 20.0), "defaults"),
        Sample((make(3, 4, low=-3, high=3), 2.0, 1.0), "beta 2, threshold 1"),
        Sample((make(), 0.5, 20.0), "0-d"),
        Sample((make(3, 4, noncontig=True), 1.0, 20.0), "non-contiguous"),
        Sample((np.array([-100.0, -30.0, 30.0, 100.0], make.dtype), 1.0, 20.0),
               "large inputs"),
    ]


def logsigmoid_samples(make):
    return act_samples(make) + [
        Sample((np.array([-1000.0, -50.0, 50.0, 1000.0], make.dtype),), "large inputs")]


# ---- softmax family ---------------------------------------------------------------------------

def softmax_samples(make):
    samples = [
        Sample((make(3, 4), 1), "dim 1"),
        Sample((make(3, 4), 0), "dim 0"),
        Sample((make(2, 3, 4, noncontig=True), -2), "3-d, dim -2, non-contiguous"),
        Sample((make(), 0), "0-d"),
        Sample((make(3, 0), 1), "empty dim"),
    ]
    if make.dtype.kind != "f":
        return samples
    big = np.array([[1000.0, 0.0, -1000.0], [88.0, 89.0, 90.0]], make.dtype)
    return samples + [
        Sample((big, 1), "large inputs"),
        Sample((np.array([-np.inf, 0.5, 1.0], make.dtype), 0), "-inf entry", fd=False),
    ]


def softmax_errors(make):
    return [Sample((make(3, 4), 2), "dim out of range"),
            Sample((make(3, 4, dtype="int64"), 1), "int64 input")]


def glu_samples(make):
    return [
        Sample((make(3, 4), -1), "last dim"),
        Sample((make(4, 3), 0), "dim 0"),
        Sample((make(2, 6, 3, noncontig=True), 1), "3-d, non-contiguous"),
        Sample((make(2, 0), 1), "empty"),
    ]


def glu_errors(make):
    return [Sample((make(3, 3), 1), "odd size"),
            Sample((make(), 0), "0-d"),
            Sample((make(3, 4), 2), "dim out of range")]


def normalize_samples(make):
    zero_row = make(3, 4)
    zero_row[1] = 0
    return [
        Sample((make(3, 4), 2.0, 1), "p=2, dim 1"),
        Sample((make(3, 4), 1.0, 0), "p=1, dim 0"),
        Sample((make(3, 4, noncontig=True), float("inf"), -1), "p=inf, non-contiguous"),
        Sample((make(2, 3, 4), 3.0, 1), "p=3, 3-d"),
        Sample((make(5), 2.0, 0), "1-d"),
        Sample((make(), 2.0, 0), "0-d"),
        Sample((zero_row, 2.0, 1), "a zero row", fd=False, gradgrad=False),
    ]


def normalize_errors(make):
    return [Sample((make(3), 2.0, 1), "dim out of range")]


def _dim_op(name, expr, **kw):
    return OpInfo(name, expr, softmax_samples, errors=softmax_errors, **kw)


OPS = [
    # ---- relu family
    _unary_f("relu", samples=_with_kink(-1.0, 0.0, 1.0), dtypes=ALL),
    _inplace_f("relu", dtypes=ALL),
    OpInfo("relu_", lambda lib, x: lib.relu_(x * 1), unary_samples, dtypes=ALL),
    _unary_f("relu6", samples=_with_kink(-1.0, 0.0, 3.0, 6.0, 7.0), dtypes=ALL,
             domain=(-3.0, 8.0)),
    _inplace_f("relu6", dtypes=ALL, domain=(-3.0, 8.0)),
    OpInfo("F.leaky_relu", lambda lib, x, s: _f("leaky_relu")(lib)(x, s), slope_samples,
           errors=float_only_errors),
    OpInfo("F.leaky_relu_inplace", lambda lib, x, s: _f("leaky_relu")(lib)(x * 1, s, True),
           slope_samples_inplace),
    OpInfo("F.leaky_relu_", lambda lib, x, s: _f("leaky_relu_")(lib)(x * 1, s),
           slope_samples_inplace),
    OpInfo("F.rrelu_eval", lambda lib, x: _f("rrelu")(lib)(x, 0.1, 0.3), unary_samples),
    OpInfo("rrelu_eval", lambda lib, x: lib.rrelu(x, 0.2, 0.4, False), unary_samples),
    OpInfo("F.rrelu_eval_inplace", lambda lib, x: _f("rrelu")(lib)(x * 1, inplace=True),
           unary_samples),
    OpInfo("F.prelu", lambda lib, x, w: _f("prelu")(lib)(x, w), prelu_samples,
           errors=prelu_errors),
    OpInfo("prelu", lambda lib, x, w: lib.prelu(x, w), prelu_samples),
    OpInfo("Tensor.prelu", lambda lib, x, w: x.prelu(w), prelu_samples),
    OpInfo("F.hardtanh", lambda lib, x, lo, hi: _f("hardtanh")(lib)(x, lo, hi),
           hardtanh_samples, dtypes=ALL, errors=hardtanh_errors),
    OpInfo("F.hardtanh_inplace", lambda lib, x, lo, hi: _f("hardtanh")(lib)(x * 1, lo, hi,
                                                                          True),
           hardtanh_samples, dtypes=ALL),
    OpInfo("F.threshold", lambda lib, x, t, v: _f("threshold")(lib)(x, t, v),
           threshold_samples, dtypes=ALL),
    OpInfo("threshold", lambda lib, x, t, v: lib.threshold(x, t, v), threshold_samples,
           dtypes=ALL),
    OpInfo("threshold_", lambda lib, x, t, v: lib.threshold_(x * 1, t, v), threshold_samples,
           dtypes=ALL),
    # ---- exponential family
    OpInfo("F.elu", lambda lib, x, a: _f("elu")(lib)(x, a), alpha_samples,
           errors=float_only_errors),
    OpInfo("F.elu_inplace", lambda lib, x, a: _f("elu")(lib)(x * 1, a, True), alpha_samples),
    OpInfo("F.elu_", lambda lib, x, a: _f("elu_")(lib)(x * 1, a), alpha_samples),
    _unary_f("selu", samples=_with_kink(-1.0, 0.0, 1.0, gradgrad=False),
             errors=float_only_errors),
    _inplace_f("selu"),
    OpInfo("selu", lambda lib, x: lib.selu(x), unary_samples),
    OpInfo("selu_", lambda lib, x: lib.selu_(x * 1), unary_samples),
    OpInfo("F.celu", lambda lib, x, a: _f("celu")(lib)(x, a), alpha_samples,
           errors=float_only_errors),
    OpInfo("F.celu_inplace", lambda lib, x, a: _f("celu")(lib)(x * 1, a, True),
           alpha_samples),
    OpInfo("celu", lambda lib, x, a: lib.celu(x, a), alpha_samples),
    # ---- smooth
    OpInfo("F.gelu", lambda lib, x, a: _f("gelu")(lib)(x, approximate=a), gelu_samples,
           domain=(-4.0, 4.0), errors=gelu_errors),
    _unary_f("silu", domain=(-6.0, 6.0), errors=float_only_errors),
    _inplace_f("silu"),
    _unary_f("mish", domain=(-6.0, 6.0), errors=float_only_errors),
    _inplace_f("mish"),
    OpInfo("F.softplus", lambda lib, x, b, t: _f("softplus")(lib)(x, b, t), softplus_samples,
           domain=(-6.0, 6.0)),
    _unary_f("softsign", dtypes=ALL),
    _unary_f("logsigmoid", samples=logsigmoid_samples, domain=(-6.0, 6.0),
             errors=float_only_errors),
    _unary_f("tanhshrink", dtypes=ALL),
    _unary_f("sigmoid", dtypes=ALL, domain=(-6.0, 6.0)),
    _unary_f("tanh", dtypes=ALL),
    # ---- hard*
    # PyTorch has no second derivative of hardsigmoid
    _unary_f("hardsigmoid", samples=_with_kink(-4.0, -3.0, 0.0, 3.0, 4.0), domain=(-5.0, 5.0),
             gradgrad=False, errors=float_only_errors),
    _inplace_f("hardsigmoid", domain=(-5.0, 5.0), gradgrad=False),
    _unary_f("hardswish", samples=_with_kink(-4.0, -3.0, 0.0, 3.0, 4.0), domain=(-5.0, 5.0),
             errors=float_only_errors),
    _inplace_f("hardswish", domain=(-5.0, 5.0)),
    OpInfo("F.softshrink", lambda lib, x, lam: _f("softshrink")(lib)(x, lam), lambd_samples,
           errors=softshrink_errors),
    OpInfo("F.hardshrink", lambda lib, x, lam: _f("hardshrink")(lib)(x, lam), lambd_samples,
           errors=float_only_errors),
    OpInfo("hardshrink", lambda lib, x, lam: lib.hardshrink(x, lam), lambd_samples),
    OpInfo("Tensor.hardshrink", lambda lib, x, lam: x.hardshrink(lam), lambd_samples),
    # ---- softmax family
    _dim_op("F.softmax", lambda lib, x, d: _f("softmax")(lib)(x, d)),
    _dim_op("softmax", lambda lib, x, d: lib.softmax(x, d)),
    _dim_op("Tensor.softmax", lambda lib, x, d: x.softmax(d)),
    OpInfo("softmax_dtype", lambda lib, x, d: lib.softmax(x, d, dtype=lib.float64),
           softmax_samples, dtypes=ALL),
    _dim_op("F.log_softmax", lambda lib, x, d: _f("log_softmax")(lib)(x, d)),
    _dim_op("Tensor.log_softmax", lambda lib, x, d: x.log_softmax(d)),
    OpInfo("log_softmax_dtype", lambda lib, x, d: x.log_softmax(d, dtype=lib.float64),
           softmax_samples, dtypes=ALL),
    _dim_op("F.softmin", lambda lib, x, d: _f("softmin")(lib)(x, d)),
    OpInfo("F.softmin_dtype", lambda lib, x, d: _f("softmin")(lib)(x, d, dtype=lib.float64),
           softmax_samples, dtypes=ALL),
    OpInfo("F.glu", lambda lib, x, d: _f("glu")(lib)(x, d), glu_samples, errors=glu_errors),
    OpInfo("F.normalize", lambda lib, x, p, d: _f("normalize")(lib)(x, p, d),
           normalize_samples, errors=normalize_errors),
]
