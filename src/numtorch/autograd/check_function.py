"""``check_function``: one call that exercises a custom Function's forward and backward."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from .. import _backend as B
from .. import _tensor
from .engine import grad
from .function import Function, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

np = B.np

__all__ = ["check_function", "CheckReport", "CheckResult"]

# checks that would only repeat a failing backward's report
_NEEDS_BACKWARD = ("double backward", "float32", "broadcast", "non-contiguous",
                   "needs_input_grad")
# a check's report is cut to this many lines when printed (the full text is in .detail)
_PRINT_LINES = 12
_ONCE_CODE = once_differentiable(lambda ctx: None).__code__
# float32 against float64: float32 carries about 7 digits, so results may differ this much
_F32_RTOL, _F32_ATOL = 1e-4, 1e-5


@dataclass
class CheckResult:
    """One check: its name, ``'PASS'``, ``'FAIL'`` or ``'SKIP'``, and why."""

    name: str
    status: str
    detail: str = ""


@dataclass
class CheckReport:
    """What ``check_function`` found; truthy when no check failed."""

    function: str
    inputs: str
    checks: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list:
        return [c for c in self.checks if c.status == "FAIL"]

    def __getitem__(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}; checks: {[c.name for c in self.checks]}")

    def __str__(self) -> str:
        lines = [f"check_function({self.function}) with {self.inputs}"]
        for c in self.checks:
            first, *rest = (c.detail or "").splitlines() or [""]
            if len(rest) > _PRINT_LINES:
                rest = rest[:_PRINT_LINES] + ["... (full text in report[name].detail)"]
            lines.append(f"  {c.status}  {c.name:<18} {first}".rstrip())
            lines.extend(f"        {r}" for r in rest)
        n_fail = len(self.failures)
        lines.append(f"  => {'all checks passed' if not n_fail else f'{n_fail} check(s) failed'}")
        return "\n".join(lines)


def _param_names(fn, n: int) -> list:
    """The forward parameter names, from the signature (ctx left out)."""
    try:
        params = list(inspect.signature(fn.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    if fn.setup_context is Function.setup_context and params:
        params = params[1:]
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[i] if i < len(names) else f"input {i}" for i in range(n)]


def _is_tensor(x) -> bool:
    return isinstance(x, _tensor.Tensor)


class _Case:
    """The example inputs, copied to a dtype and layout, with chosen inputs requiring grad."""

    def __init__(self, examples, diff: list):
        self.examples = examples
        self.diff = diff

    def make(self, dtype=None, grad_for=None, transform=None) -> tuple:
        grad_for = self.diff if grad_for is None else grad_for
        out = []
        for k, a in enumerate(self.examples):
            if not _is_tensor(a):
                out.append(a)
                continue
            data = np.array(a.detach()._data)
            if dtype is not None and data.dtype.kind == "f":
                data = data.astype(dtype)
            if transform is not None:
                data = transform(k, data)
            out.append(_tensor.Tensor._make(data, k in grad_for))
        return tuple(out)


def _outputs(out) -> list:
    outs = out if isinstance(out, tuple) else (out,)
    return [o for o in outs if _is_tensor(o)]


def _fixed_grads(outputs, dtype=None) -> list:
    rng = np.random.default_rng(0)
    return [_tensor.Tensor._make(rng.uniform(-1, 1, o.shape).astype(dtype or o._data.dtype))
            for o in outputs]


def _vjp(fn, inputs, wrt: list) -> tuple:
    """Outputs and d(sum v * out)/d inputs[wrt] for fixed random v."""
    outs = [o for o in _outputs(fn.apply(*inputs)) if o.requires_grad]
    grads = grad(outs, [inputs[k] for k in wrt], _fixed_grads(outs), allow_unused=True)
    return outs, grads


def _err(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def _check_forward(fn, case, names) -> CheckResult:
    inputs = case.make(np.float64)
    before = [np.array(a._data) if _is_tensor(a) else None for a in inputs]
    out = fn.apply(*inputs)
    outs = _outputs(out)
    if not outs:
        return CheckResult("forward", "FAIL", f"forward returned {type(out).__name__}, not a "
                           f"Tensor (or a tuple holding Tensors)")
    for k, a in enumerate(inputs):
        if before[k] is not None and not np.array_equal(before[k], a._data, equal_nan=True):
            return CheckResult("forward", "FAIL", (
                f"forward modified its input '{names[k]}' in place; clone it first "
                f"(x = x.clone()) or declare it with ctx.mark_dirty({names[k]})"))
    inputs_finite = all(np.isfinite(b).all() for b in before if b is not None and b.dtype.kind
                        == "f")
    for i, o in enumerate(outs):
        if inputs_finite and o._data.dtype.kind == "f" and not np.isfinite(o._data).all():
            return CheckResult("forward", "FAIL", f"output {i} holds NaN or inf for finite "
                               f"inputs")
    if not any(o.requires_grad for o in outs):
        return CheckResult("forward", "FAIL", (
            "no output requires grad although inputs do: was the result detached, or "
            "computed from raw arrays (x.numpy()) instead of Tensor operations?"))
    shapes = ", ".join(f"[{', '.join(map(str, o.shape))}]" for o in outs)
    return CheckResult("forward", "PASS", f"outputs {shapes}, finite, inputs unchanged")


def _gradcheck(fn, inputs, eps, atol, rtol) -> None:
    gradcheck(fn.apply, inputs, eps=eps, atol=atol, rtol=rtol)


def _check_backward(fn, case, names, eps, atol, rtol) -> CheckResult:
    inputs = case.make(np.float64)
    _, grads = _vjp(fn, inputs, case.diff)
    for k, g in zip(case.diff, grads):
        if g is not None and not np.isfinite(g._data).all():
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(g._data))[0])
            return CheckResult("backward", "FAIL", (
                f"the gradient for '{names[k]}' is {g._data[idx]} at index {idx} for finite "
                f"inputs; run backward under numtorch.autograd.detect_anomaly() to see where"))
    _gradcheck(fn, case.make(np.float64), eps, atol, rtol)
    return CheckResult("backward", "PASS", "matches finite differences (float64)")


def _check_double(fn, case, eps, atol, rtol) -> CheckResult:
    if getattr(fn.backward, "__code__", None) is _ONCE_CODE:
        return CheckResult("double backward", "SKIP", "backward is @once_differentiable")
    gradgradcheck(fn.apply, case.make(np.float64), eps=eps, atol=atol, rtol=rtol)
    return CheckResult("double backward", "PASS", "gradgradcheck (float64)")


def _compare(what, a, b) -> str | None:
    a = np.asarray(a, dtype=np.float64)
    if a.shape != b.shape:
        return f"{what}: shape {list(a.shape)} in float32 but {list(b.shape)} in float64"
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    bad = (np.abs(a - b) > _F32_ATOL * scale + _F32_RTOL * np.abs(b)) | (np.isnan(a)
                                                                         != np.isnan(b))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        return (f"{what}: at index {idx}, float32 gives {a[idx]:.8g} but float64 gives "
                f"{b[idx]:.8g}")
    return None


def _check_float32(fn, case, names) -> CheckResult:
    in64, in32 = case.make(np.float64), case.make(np.float32)
    outs64, g64 = _vjp(fn, in64, case.diff)
    outs32 = [o for o in _outputs(fn.apply(*in32)) if o.requires_grad]
    vs = [_tensor.Tensor._make(v._data.astype(np.float32)) for v in _fixed_grads(outs64)]
    g32 = grad(outs32, [in32[k] for k in case.diff], vs, allow_unused=True)
    for i, (o32, o64) in enumerate(zip(outs32, outs64)):
        if o32.dtype is not B.float32:
            return CheckResult("float32", "FAIL", f"output {i} is {o32.dtype} for float32 "
                               f"inputs; keep the input dtype")
        msg = _compare(f"output {i}", o32._data, o64._data)
        if msg:
            return CheckResult("float32", "FAIL", msg)
    for k, a, b in zip(case.diff, g32, g64):
        if (a is None) != (b is None):
            return CheckResult("float32", "FAIL", f"gradient for '{names[k]}' is None in one "
                               f"dtype only")
        msg = a is not None and _compare(f"gradient for '{names[k]}'", a._data, b._data)
        if msg:
            return CheckResult("float32", "FAIL", msg)
    return CheckResult("float32", "PASS", "forward and backward agree with float64")


def _check_broadcast(fn, case, names, eps, atol, rtol) -> CheckResult:
    shapes = [o.shape for o in _outputs(fn.apply(*case.make(np.float64)))]
    tensors = [k for k, a in enumerate(case.examples) if _is_tensor(a)]
    if len(tensors) < 2:
        return CheckResult("broadcast", "SKIP", "only one tensor input: nothing to broadcast "
                           "against")
    tried = []
    for k in tensors:
        shape = case.examples[k].shape
        if len(shape) == 0 or shape[0] == 1:
            continue
        small = (1,) + tuple(shape[1:])

        def shrink(j, data, k=k):
            return np.ascontiguousarray(data[:1]) if j == k else data

        inputs = case.make(np.float64, transform=shrink)
        try:
            out_shapes = [o.shape for o in _outputs(fn.apply(*inputs))]
        except Exception:  # the Function does not accept this broadcast: not a failure
            continue
        if out_shapes != shapes:
            continue
        _gradcheck(fn, inputs, eps, atol, rtol)
        tried.append(f"'{names[k]}' as {list(small)}")
    if not tried:
        return CheckResult("broadcast", "SKIP", "forward does not accept broadcast inputs")
    return CheckResult("broadcast", "PASS", "gradcheck with " + ", ".join(tried))


def _strided(k, data):
    """The same values in non-contiguous memory (every other element of a larger array)."""
    if data.ndim == 0 or data.size < 2:
        return data
    big = np.zeros(data.shape[:-1] + (2 * data.shape[-1],), dtype=data.dtype)
    view = big[..., ::2]
    view[...] = data
    return view


def _check_noncontiguous(fn, case, names, eps, atol, rtol) -> CheckResult:
    inputs = case.make(np.float64, transform=_strided)
    if not any(_is_tensor(a) and not a._data.flags.c_contiguous for a in inputs):
        return CheckResult("non-contiguous", "SKIP", "no input has more than one element")
    ref = _outputs(fn.apply(*case.make(np.float64)))
    for i, (a, b) in enumerate(zip(_outputs(fn.apply(*inputs)), ref)):
        if not np.allclose(a._data, b._data, rtol=1e-12, atol=1e-12, equal_nan=True):
            return CheckResult("non-contiguous", "FAIL", f"output {i} differs when the inputs "
                               f"are non-contiguous views")
    _gradcheck(fn, inputs, eps, atol, rtol)
    return CheckResult("non-contiguous", "PASS", "same values; gradcheck on strided inputs")


def _check_needs_input_grad(fn, case, names) -> CheckResult:
    if len(case.diff) < 2:
        return CheckResult("needs_input_grad", "SKIP", "only one input requires grad")
    _, full = _vjp(fn, case.make(np.float64), case.diff)
    for j, k in enumerate(case.diff):
        inputs = case.make(np.float64, grad_for=[k])
        outs = [o for o in _outputs(fn.apply(*inputs)) if o.requires_grad]
        g, = grad(outs, [inputs[k]], _fixed_grads(outs), allow_unused=True)
        if (g is None) != (full[j] is None) or (
                g is not None and not np.allclose(g._data, full[j]._data, rtol=1e-10,
                                                  atol=1e-12)):
            return CheckResult("needs_input_grad", "FAIL", (
                f"the gradient for '{names[k]}' changes when it is the only input that "
                f"requires grad; backward must not depend on which other inputs need one"))
        for other in case.diff:
            if other != k and _is_tensor(inputs[other]) and inputs[other].grad is not None:
                return CheckResult("needs_input_grad", "FAIL", f"'{names[other]}' got a "
                                   f".grad although it does not require grad")
    return CheckResult("needs_input_grad", "PASS",
                       "each input's gradient alone equals the joint one")


def _run_steps(report, steps, legend) -> None:
    for name, step in steps:
        failed = {c.name for c in report.failures}
        blocker = ("forward" if "forward" in failed else "backward"
                   if "backward" in failed and name in _NEEDS_BACKWARD else None)
        if blocker:
            report.checks.append(CheckResult(name, "SKIP", f"{blocker} failed; fix it "
                                             f"first"))
            continue
        try:
            report.checks.append(step())
        except Exception as e:  # a check that raises is a failure, reported, not raised
            text = _err(e) + (legend if isinstance(e, GradcheckError) else "")
            report.checks.append(CheckResult(name, "FAIL", text))


def check_function(fn: type, *example_inputs, eps: float = 1e-6, atol: float = 1e-5,
                   rtol: float = 1e-3, verbose: bool = True,
                   raise_exception: bool = False) -> CheckReport:
    """Test a custom ``Function`` in one call and print a report.

    Checks forward (outputs, no silent in-place change of an input, no NaN), backward against
    finite differences in float64 (``gradcheck``), double backward (``gradgradcheck``; skipped
    for ``@once_differentiable``), float32 against float64, broadcast inputs (where forward
    accepts them), non-contiguous inputs, and that each input's gradient is the same when it
    is the only input requiring grad. Inputs are copied; the examples are not modified.

    Args:
        fn: the Function subclass (not ``fn.apply``).
        example_inputs: forward's arguments. Tensors with ``requires_grad=True`` are
            checked; when none has it, every floating-point tensor input is.
        raise_exception: raise ``GradcheckError`` with the report when a check fails.

    Returns:
        A ``CheckReport``: truthy when nothing failed; ``report["backward"].detail`` etc.

    Example::

        report = numtorch.autograd.check_function(MyReLU, numtorch.randn(3, 4))
        assert report
    """
    if not (isinstance(fn, type) and issubclass(fn, Function)):
        raise TypeError(f"check_function expects a Function subclass (MyFn, not MyFn.apply), "
                        f"got {fn!r}")
    names = _param_names(fn, len(example_inputs))
    diff = [k for k, a in enumerate(example_inputs) if _is_tensor(a) and a.requires_grad]
    if not diff:
        diff = [k for k, a in enumerate(example_inputs)
                if _is_tensor(a) and a.dtype.is_floating_point]
    described = ", ".join(
        f"{names[k]}=[{', '.join(map(str, a.shape))}]{'*' if k in diff else ''}"
        if _is_tensor(a) else f"{names[k]}={a!r}" for k, a in enumerate(example_inputs))
    report = CheckReport(fn.__name__, described + " (* = checked for gradients)")
    legend = "\n(input numbers: " + ", ".join(
        f"{k} = '{names[k]}'" for k in range(len(example_inputs))) + ")"
    if not diff:
        report.checks.append(CheckResult("forward", "FAIL", "no floating-point tensor input: "
                                         "nothing to differentiate"))
    else:
        case = _Case(example_inputs, diff)
        steps = [
            ("forward", lambda: _check_forward(fn, case, names)),
            ("backward", lambda: _check_backward(fn, case, names, eps, atol, rtol)),
            ("double backward", lambda: _check_double(fn, case, eps, atol, rtol)),
            ("float32", lambda: _check_float32(fn, case, names)),
            ("broadcast", lambda: _check_broadcast(fn, case, names, eps, atol, rtol)),
            ("non-contiguous", lambda: _check_noncontiguous(fn, case, names, eps, atol, rtol)),
            ("needs_input_grad", lambda: _check_needs_input_grad(fn, case, names)),
        ]
        with np.errstate(all="ignore"):  # NaN and inf are reported by the checks themselves
            _run_steps(report, steps, legend)
    if verbose:
        print(report)
    if raise_exception and not report:
        raise GradcheckError(str(report))
    return report
