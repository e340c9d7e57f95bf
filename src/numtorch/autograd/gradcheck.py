"""``gradcheck`` and ``gradgradcheck``: analytical gradients against central finite differences."""
from __future__ import annotations

import warnings

from .. import _backend as B
from .. import _tensor
from . import check_mode as _check
from .engine import _run, grad

np = B.np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

# Jacobians with at most this many entries are printed in full in a failure report
_PRINT_LIMIT = 64


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` and ``gradgradcheck`` when a check fails."""


def _as_tuple(x) -> tuple:
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x) -> bool:
    return isinstance(x, _tensor.Tensor)


def _check_inputs(inputs) -> list:
    """The indices of the inputs that require grad, after PyTorch's checks on them."""
    diff = [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    if not diff:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them has requires_grad=True; create the inputs to check with requires_grad=True")
    for i in diff:
        t = inputs[i]
        if t.dtype is not B.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point "
                f"tensor ({t.dtype}). With eps={1e-6} finite differences in single precision "
                f"are mostly rounding error: the check will likely fail; pass float64 inputs "
                f"(x.double()).", UserWarning, stacklevel=3)
        data = t._data
        if any(s == 0 and n > 1 for s, n in zip(data.strides, data.shape)):
            raise RuntimeError(
                f"The {i}th input has a dimension with stride 0 (it was expanded), so one "
                f"memory element stands for several entries and finite differences cannot "
                f"perturb them one at a time. Call .contiguous() on it before gradcheck.")
        if _check._locked:
            _check.unlock(data)  # a custom Function's saved input: perturbing it is deliberate
        if not getattr(getattr(data, "flags", None), "writeable", True):
            raise RuntimeError(
                f"The {i}th input's memory is read-only, so gradcheck cannot perturb it in "
                f"place for finite differences; pass a copy (x.detach().clone()"
                f".requires_grad_()).")
    return diff


def _tensor_outputs(out) -> tuple:
    return tuple(o for o in _as_tuple(out) if _is_tensor(o))


def _evaluate(func, inputs) -> list:
    """Run ``func`` and return copies of its tensor outputs' data, as float64 arrays."""
    return [np.array(o._data, dtype=np.float64) for o in _tensor_outputs(func(*inputs))]


def _numerical(func, inputs, diff, outputs, eps) -> dict:
    """J[(i, j)]: d output i / d input diff[j], shape (output numel, input numel)."""
    jac = {(i, j): np.zeros((o._data.size, inputs[k]._data.size))
           for i, o in enumerate(outputs) for j, k in enumerate(diff)}
    for j, k in enumerate(diff):
        # NOTE: as in PyTorch, the input's own memory is perturbed, one element at a time,
        # so views and non-contiguous layouts are exercised as they are
        data = inputs[k]._data
        for flat in range(data.size):
            idx = np.unravel_index(flat, data.shape)
            orig = data[idx].copy()
            if _check._locked:
                _check.unlock(data)  # relocked by a graph that the last evaluation kept
            data[idx] = orig + eps
            plus = _evaluate(func, inputs)
            data[idx] = orig - eps
            minus = _evaluate(func, inputs)
            data[idx] = orig
            for i in range(len(outputs)):
                jac[i, j][:, flat] = ((plus[i] - minus[i]) / (2 * eps)).ravel()
    return jac


def _vjp(output, diff_inputs, v):
    """The gradients of ``output`` (weighted by array ``v``) w.r.t. each input, as arrays."""
    g = _tensor.Tensor._make(np.asarray(v, dtype=output._data.dtype).reshape(output._data.shape))
    grads = grad(output, diff_inputs, g, retain_graph=True, allow_unused=True)
    return [np.zeros(t._data.shape) if r is None else np.asarray(r._data, np.float64)
            for t, r in zip(diff_inputs, grads)], grads


def _analytical(outputs, diff_inputs, nondet_tol, check_grad_dtypes) -> dict:
    """J[(i, j)] from one backward per output element, each run twice (reentrancy check)."""
    jac = {}
    for i, o in enumerate(outputs):
        n = o._data.size
        for j, t in enumerate(diff_inputs):
            jac[i, j] = np.zeros((n, t._data.size))
        for row in range(n):
            unit = np.zeros(n)
            unit[row] = 1.0
            first, grads = _vjp(o, diff_inputs, unit)
            second, _ = _vjp(o, diff_inputs, unit)
            for j, (a, b) in enumerate(zip(first, second)):
                if np.abs(a - b).max(initial=0.0) > nondet_tol:
                    raise GradcheckError(
                        f"Backward is not reentrant: two backward passes with the same input "
                        f"and grad_output gave different gradients for input {j} (output {i}, "
                        f"element {row}): {a.ravel().tolist()} vs {b.ravel().tolist()}. The "
                        f"tolerance for nondeterminism is nondet_tol={nondet_tol}.")
                jac[i, j][row] = a.ravel()
            if check_grad_dtypes:
                _check_dtypes(grads, diff_inputs)
    return jac


def _check_dtypes(grads, diff_inputs) -> None:
    for j, (g, t) in enumerate(zip(grads, diff_inputs)):
        if g is not None and (g.dtype is not t.dtype or g.device != t.device):
            raise GradcheckError(
                f"Gradient for input {j} has dtype {g.dtype} on {g.device}, but the input is "
                f"{t.dtype} on {t.device}")


def _fmt(a) -> str:
    return np.array2string(np.asarray(a) + 0.0, precision=6, suppress_small=True,
                           max_line_width=100)


def _mismatch(i, j, a, n, atol, rtol, diff_k, shapes) -> str | None:
    """A report for output i / input j when analytical ``a`` and numerical ``n`` disagree."""
    err = np.abs(a - n) - (atol + rtol * np.abs(n))
    if not (err > 0).any() and np.isfinite(a).all():
        return None
    bad = np.where(np.isfinite(a), err, np.inf)
    row, col = np.unravel_index(int(np.argmax(bad)), a.shape)
    out_shape, in_shape = shapes
    out_idx = tuple(int(x) for x in np.unravel_index(row, out_shape)) if out_shape else ()
    in_idx = tuple(int(x) for x in np.unravel_index(col, in_shape)) if in_shape else ()
    lines = [
        f"Jacobian mismatch for output {i} with respect to input {diff_k}"
        f"{f' (the {j}th input that requires grad)' if j != diff_k else ''}:",
        f"  worst element: d output{i}{list(out_idx)} / d input{diff_k}{list(in_idx)}",
        f"    analytical (backward): {float(a[row, col])!r}",
        f"    numerical (finite differences): {float(n[row, col])!r}",
        f"    difference {abs(a[row, col] - n[row, col]):.6g}, allowed "
        f"{atol + rtol * abs(n[row, col]):.6g} (atol={atol}, rtol={rtol})",
        f"  {int((err > 0).sum())} of {a.size} entries disagree.",
    ]
    ratio = _ratio(a, n)
    if ratio is not None:
        lines.append(f"  The analytical Jacobian is {ratio:.6g} times the numerical one: look "
                     f"for a wrong constant factor in backward.")
    elif not a.any():
        lines.append("  The analytical Jacobian is all zeros: does backward return None (or "
                     "forget) the gradient of this input?")
    if a.size <= _PRINT_LIMIT:
        lines += ["  (rows: output elements, columns: input elements, row-major)",
                  "  analytical:", _indent(_fmt(a)), "  numerical:", _indent(_fmt(n))]
    return "\n".join(lines)


def _ratio(a, n):
    """The constant c with a == c * n, if there is one (and it is not 1)."""
    mask = np.abs(n) > 1e-8
    if not mask.any():
        return None
    r = a[mask] / n[mask]
    c = float(r[0])
    if c == 0 or abs(c - 1) < 1e-3 or not np.allclose(a, c * n, rtol=1e-3, atol=1e-6):
        return None
    return c


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _fail(message: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message)
    return False


def _check_linear_in_grad_output(outputs, diff_inputs) -> str | None:
    """Backward with all-zero grad_outputs must give zero gradients (the chain rule)."""
    zeros = [_tensor.Tensor._make(np.zeros_like(o._data)) for o in outputs]
    grads = grad(outputs, diff_inputs, zeros, retain_graph=True, allow_unused=True)
    for j, g in enumerate(grads):
        if g is not None and np.asarray(g._data).any():
            return (f"backward not multiplied by grad_output: with grad_outputs of zeros the "
                    f"gradient of input {j} is {_fmt(g._data)}, not zero. A backward must "
                    f"scale its result by grad_output (the chain rule).")
    return None


def _check_undefined_grad(outputs, diff_inputs) -> str | None:
    """Backward with no grad_output (None) must give None or zero gradients."""
    hint = ("A backward that calls ctx.set_materialize_grads(False) must handle None "
            "grad_outputs, e.g. by returning None for the inputs. Pass "
            "check_undefined_grad=False to skip this check.")
    try:
        grads = _run(outputs, [None] * len(outputs), True, False, diff_inputs)
    except RuntimeError as e:
        return (f"Backward failed when no gradient was given for the outputs (grad_output "
                f"None): {type(e).__name__}: {e}. {hint}")
    except Exception as e:
        # NOTE: as in PyTorch, other exception types propagate; the note says why it ran
        e.add_note(f"(gradcheck ran backward with grad_outputs None) {hint}")
        raise
    for j, g in enumerate(grads):
        if g is not None and np.asarray(g._data).any():
            return (f"Backward with undefined (None) grad_outputs must give None or zero "
                    f"gradients, but the gradient of input {j} is {_fmt(g._data)}")
    return None


def _on_host(func, inputs):
    """GPU inputs are checked through CPU copies: the finite differences perturb host memory,
    and ``func`` gets the values moved (differentiably) to their devices, its tensor outputs
    moved back to the CPU. CPU-only inputs pass through unchanged."""
    Tensor = _tensor.Tensor
    devices = [t.device if isinstance(t, Tensor) else None for t in inputs]
    if all(d is None or d.type == "cpu" for d in devices):
        return func, inputs
    host = tuple(t.detach().cpu().requires_grad_(t.requires_grad) if isinstance(t, Tensor)
                 else t for t in inputs)

    def on_device(*args):
        out = func(*[a.to(d) if isinstance(a, Tensor) and d is not None else a
                     for a, d in zip(args, devices)])
        if isinstance(out, Tensor):
            return out.cpu()
        return type(out)(o.cpu() if isinstance(o, Tensor) else o for o in out)
    return on_device, host


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    Each input that requires grad (it should be float64) is perturbed in place by ``eps``;
    the central-difference Jacobian must match the one backward gives within
    ``atol + rtol * |numerical|``. With ``fast_mode``, a random directional derivative
    ``v^T J u`` is compared instead of the full Jacobians.

    Args:
        func: takes the inputs, returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a tuple of arguments.
        raise_exception: raise ``GradcheckError`` on failure (else return False).
        nondet_tol: how far two backward passes with equal inputs may differ.

    Returns:
        True when every check passes.

    Example::

        x = numtorch.randn(3, dtype=numtorch.float64, requires_grad=True)
        assert gradcheck(MyFunction.apply, (x,))
    """
    if check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError("check_batched_grad needs vmap, which numtorch does not have "
                                  "yet; pass check_batched_grad=False")
    if check_forward_ad:
        raise NotImplementedError("check_forward_ad: numtorch has no forward-mode AD yet; pass "
                                  "check_forward_ad=False")
    func, inputs = _on_host(func, _as_tuple(inputs))
    diff = _check_inputs(inputs)
    diff_inputs = [inputs[k] for k in diff]
    all_outputs = _tensor_outputs(func(*inputs))
    outputs = [o for o in all_outputs if o.requires_grad]
    if not outputs:
        # nothing to differentiate: then the function must not depend on its inputs
        jac = _numerical(func, inputs, diff, all_outputs, eps)
        for (i, j), n in jac.items():
            if (np.abs(n) > atol).any():
                return _fail(f"Numerical gradient for function expected to be zero: no output "
                             f"requires grad, yet output {i} changes with input {diff[j]} "
                             f"(max |d out/d in| = {np.abs(n).max():.6g}). Was the result "
                             f"detached, or computed under no_grad or on raw arrays?",
                             raise_exception)
        return True
    if not check_backward_ad:
        return True
    out_pos = [k for k, o in enumerate(all_outputs) if o.requires_grad]

    def diff_func(*args):
        return tuple(_tensor_outputs(func(*args))[k] for k in out_pos)

    try:
        if fast_mode:
            msg = _fast_check(diff_func, inputs, diff, outputs, eps, atol, rtol, nondet_tol)
        else:
            msg = _slow_check(diff_func, inputs, diff, outputs, eps, atol, rtol, nondet_tol,
                              check_grad_dtypes)
    except GradcheckError as e:  # raised from deep inside (reentrancy, dtypes)
        msg = str(e)
    if msg is None:
        msg = _check_linear_in_grad_output(outputs, diff_inputs)
    if msg is None and check_undefined_grad:
        msg = _check_undefined_grad(outputs, diff_inputs)
    if msg is not None:
        return _fail(msg, raise_exception)
    return True


def _slow_check(func, inputs, diff, outputs, eps, atol, rtol, nondet_tol, dtypes):
    diff_inputs = [inputs[k] for k in diff]
    analytical = _analytical(outputs, diff_inputs, nondet_tol, dtypes)
    numerical = _numerical(func, inputs, diff, outputs, eps)
    for (i, j), a in analytical.items():
        shapes = (outputs[i]._data.shape, diff_inputs[j]._data.shape)
        msg = _mismatch(i, j, a, numerical[i, j], atol, rtol, diff[j], shapes)
        if msg is not None:
            return msg
    return None


def _fast_check(func, inputs, diff, outputs, eps, atol, rtol, nondet_tol):
    """Compare v^T J u, analytical and numerical, for random unit vectors u and v."""
    # NOTE: a fixed seed, so a failure is reproducible (PyTorch draws from its global RNG)
    rng = np.random.default_rng(0)
    diff_inputs = [inputs[k] for k in diff]
    us = [_unit(rng, t._data.shape) for t in diff_inputs]
    vs = [_unit(rng, o._data.shape) for o in outputs]
    for i, (o, v) in enumerate(zip(outputs, vs)):
        first, _ = _vjp(o, diff_inputs, v)
        second, _ = _vjp(o, diff_inputs, v)
        for j, (a, b) in enumerate(zip(first, second)):
            if np.abs(a - b).max(initial=0.0) > nondet_tol:
                return (f"Backward is not reentrant: two backward passes with the same input "
                        f"and grad_output gave different gradients for input {diff[j]} "
                        f"(output {i}); nondet_tol={nondet_tol}.")
        for j, (k, u) in enumerate(zip(diff, us)):
            analytical = float((first[j] * u).sum())
            data = inputs[k]._data
            orig = data.copy()
            if _check._locked:
                _check.unlock(data)
            data += eps * u
            plus = _evaluate(func, inputs)[i]
            data[...] = orig - eps * u
            minus = _evaluate(func, inputs)[i]
            data[...] = orig
            numerical = float((((plus - minus) / (2 * eps)) * v).sum())
            # NOTE: as in PyTorch, atol is scaled by the sizes of the random vectors
            allowed = atol * float(np.abs(u).sum() * np.abs(v).sum()) + rtol * abs(numerical)
            if not abs(analytical - numerical) <= allowed:
                return _fast_report(func, inputs, diff, outputs, i, j, analytical, numerical,
                                    eps, atol, rtol)
    return None


def _unit(rng, shape):
    u = rng.standard_normal(shape)
    norm = np.sqrt((u * u).sum())
    return u / norm if norm else u


def _fast_report(func, inputs, diff, outputs, i, j, analytical, numerical, eps, atol, rtol):
    head = (f"Directional derivative mismatch (fast_mode) for output {i} with respect to "
            f"input {diff[j]}: analytical v^T J u = {analytical!r}, numerical = "
            f"{numerical!r}.")
    # locate the bad element with the full Jacobians of this one pair
    t = inputs[diff[j]]
    a = _analytical([outputs[i]], [t], float("inf"), False)[0, 0]
    n = _numerical(lambda *args: (func(*args)[i],), inputs, [diff[j]], [outputs[i]], eps)[0, 0]
    detail = _mismatch(i, j, a, n, atol, rtol, diff[j], (outputs[i]._data.shape, t._data.shape))
    return head + ("\n" + detail if detail else "")


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """Check second derivatives: ``gradcheck`` on the function ``(inputs, v) -> v^T J``.

    ``grad_outputs`` (random float64 values in [-1, 1) by default, non-contiguous with
    ``gen_non_contig_grad_outputs``) are the ``v``; they are differentiated too.
    """
    if check_fwd_over_rev:
        raise NotImplementedError("check_fwd_over_rev: numtorch has no forward-mode AD yet")
    func, inputs = _on_host(func, _as_tuple(inputs))
    diff = _check_inputs(inputs)
    outputs = [o for o in _tensor_outputs(func(*inputs)) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_random_like(rng, o, gen_non_contig_grad_outputs) for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        ins, vs = args[:n_in], args[n_in:]
        outs = [o for o in _tensor_outputs(func(*ins)) if o.requires_grad]
        grads = grad(outs, [ins[k] for k in diff], vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not check_rev_over_rev:
        return True
    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad,
                     fast_mode=fast_mode, masked=masked)


def _random_like(rng, o, non_contiguous):
    shape = o._data.shape
    full = shape[:-1] + (2 * shape[-1],) if non_contiguous and shape else shape
    data = rng.uniform(-1.0, 1.0, size=full).astype(o._data.dtype)
    if non_contiguous and shape:
        data = data[..., ::2]
    return _tensor.Tensor._make(data, requires_grad=True)
