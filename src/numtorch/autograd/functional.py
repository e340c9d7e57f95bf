"""``numtorch.autograd.functional``: jacobian, hessian, vjp, jvp, vhp and hvp of a function."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from . import engine
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


# ---- helpers: argument checks, input preparation, output clean-up ---------------------------
def _as_tuple(x, what: str, fn_name: str) -> tuple[bool, tuple]:
    """``x`` (a Tensor or a tuple of Tensors) as a tuple, and whether it was one."""
    Tensor = _tensor.Tensor
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for item in items:
        if not isinstance(item, Tensor):
            shown = f"the given {what} has" if what == "inputs" else f"the given {what} has"
            raise TypeError(
                f"{fn_name}: the {what} must be a Tensor or a tuple of Tensors, but {shown} type "
                f"{type(x if not is_tuple else item)}. Wrap several tensors in a tuple (not a "
                f"list).")
    return is_tuple, items


def _outputs_as_tuple(out, fn_name: str) -> tuple[bool, tuple]:
    return _as_tuple(out, "outputs of the user-provided function", fn_name)


def _prepare(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh tensors to differentiate with respect to. With ``create_graph``, an input that
    already requires grad stays connected to its history (a view of it), so that the result
    can be differentiated further with respect to it."""
    prepared = []
    for t in inputs:
        if create_graph and t.requires_grad:
            prepared.append(t.view_as(t))
        else:
            prepared.append(t.detach().requires_grad_(need_graph))
    return tuple(prepared)


def _finish(tensors, create_graph: bool):
    """Detach results unless the caller asked for a graph (recursing into nested tuples)."""
    if isinstance(tensors, tuple):
        return tuple(_finish(t, create_graph) for t in tensors)
    if tensors is None or create_graph:
        return tensors
    return tensors.detach()


def _check_v(v: tuple, others: tuple, fn_name: str) -> None:
    if len(v) != len(others):
        raise RuntimeError(f"{fn_name}: v has {len(v)} tensor(s) but it must have one per "
                           f"{'output' if fn_name in ('vjp',) else 'input'} ({len(others)})")
    for a, b in zip(v, others):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"v has invalid size: should be {b.shape} but got {a.shape}.")


def _check_requires_grad(outputs: tuple, stage: str, strict: bool) -> None:
    if not strict:
        return
    for i, out in enumerate(outputs):
        if out is None:
            continue
        if not out.requires_grad:
            if stage == "hessian":
                raise RuntimeError(
                    f"While computing the hessian, the jacobian of the user-provided function "
                    f"with respect to input {i} turned out independent of that input, which "
                    f"strict mode does not allow. The function must be twice differentiable "
                    f"with a jacobian that depends on the inputs (a linear function is not).")
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients, which "
                f"strict mode does not allow: the outputs must be computed from the inputs by "
                f"differentiable operations.")


def _grad(outputs: tuple, inputs: tuple, grad_outputs=None, create_graph=False,
          retain_graph=None) -> tuple:
    """autograd.grad that skips outputs needing no gradient and gives None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
             if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return engine.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                       retain_graph=retain_graph, create_graph=create_graph,
                       allow_unused=True)


def _fill_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool,
                stage: str) -> tuple:
    """Replace None gradients by zeros, or raise in strict mode (``stage`` picks the message)."""
    res = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                if stage == "back":
                    raise RuntimeError(
                        f"The output of the user-provided function is independent of input "
                        f"{i}, which strict mode does not allow.")
                if stage == "back_trick":
                    raise RuntimeError(
                        f"The gradient with respect to input {i} is independent of the inputs "
                        f"of the user-provided function, which strict mode does not allow.")
                if stage == "double_back":
                    raise RuntimeError(
                        f"The jacobian of the user-provided function is independent of input "
                        f"{i}, which strict mode does not allow.")
                raise RuntimeError(
                    f"The hessian of the user-provided function is independent of entry {i} "
                    f"in the grad_jacobian, which strict mode does not allow as it prevents "
                    f"the double backward trick from computing the hessian-vector product.")
            g = _tensor.Tensor._make(ref._data * 0)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(
                f"The jacobian of the user-provided function is independent of input {i}, "
                f"which strict mode does not allow when create_graph=True.")
        res.append(g)
    return tuple(res)


def _unpack(is_tuple: bool, items: tuple):
    return items if is_tuple else items[0]


# ---- vector products -------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``.

    Returns:
        ``(func_output, vjp)``; ``vjp`` has the structure of ``inputs``.
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _outputs_as_tuple(func(*inputs), "vjp")
        _check_requires_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _prepare(v, create_graph, need_graph=False)
            _check_v(v, outputs, "vjp")
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("vjp: v can only be None when the user-provided function returns "
                               "a single Tensor with a single element; pass v.")
        grads = _grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_zeros(grads, inputs, strict, create_graph, "back")
    return (_unpack(out_tuple, _finish(outputs, create_graph)),
            _unpack(in_tuple, _finish(result, create_graph)))


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs`` (through two backward
    passes, as PyTorch's function does).

    Returns:
        ``(func_output, jvp)``; ``jvp`` has the structure of the outputs.
    """
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _prepare(v, create_graph, need_graph=False)
            _check_v(v, inputs, "jvp")
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("jvp: v can only be None when the input of the user-provided "
                               "function is a single Tensor with a single element; pass v.")
        out_tuple, outputs = _outputs_as_tuple(func(*inputs), "jvp")
        _check_requires_grad(outputs, "outputs", strict)
        # the double-backward trick: J v = d/du (u^T J) v for a dummy cotangent u
        dummies = tuple(_tensor.Tensor._make(o._data * 0).requires_grad_(True)
                        for o in outputs)
        grads = _grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grads, "grads", strict)
        result = _grad(grads, dummies, v, create_graph=create_graph)
        result = _fill_zeros(result, outputs, strict, create_graph, "back_trick")
    return (_unpack(out_tuple, _finish(outputs, create_graph)),
            _unpack(out_tuple, _finish(result, create_graph)))


# ---- Jacobian and Hessian ---------------------------------------------------------------------
def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``.

    Returns:
        A Tensor of shape ``output.shape + input.shape`` for one input and one output; a tuple
        over inputs (or over outputs) when one of them is a tuple; a tuple (outputs) of tuples
        (inputs) when both are.
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'jacobian: strategy must be "forward-mode" or "reverse-mode", got '
                         f'{strategy!r} ("forward-mode" tends to be faster when the function '
                         f'has more outputs than inputs)')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError(
            'jacobian: strategy="forward-mode" (and the forward-over-reverse Hessian) is only '
            'implemented with vectorize=True')
    if strict and vectorize:
        raise RuntimeError("jacobian: strict=True and vectorize=True cannot be used together; "
                           "set one of them to False")
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _outputs_as_tuple(func(*inputs), "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize:
            jac = _jacobian_vectorized(outputs, inputs, create_graph, strategy)
        else:
            jac = tuple(_jacobian_rows(i, out, inputs, create_graph, strict)
                        for i, out in enumerate(outputs))
        jac = _finish(jac, create_graph)
    if not out_tuple:
        jac = jac[0]
        return jac if in_tuple else jac[0]
    return jac if in_tuple else tuple(row[0] for row in jac)


def _jacobian_rows(i, out, inputs, create_graph, strict) -> tuple:
    """d out / d input for each input, one backward pass per element of ``out``."""
    Tensor = _tensor.Tensor
    flat = out.reshape(-1)
    per_input = [[] for _ in inputs]
    for k in range(flat.numel()):
        grads = _grad((flat[k],), inputs, None, create_graph=create_graph, retain_graph=True)
        for j, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input "
                        f"{j}, which strict mode does not allow.")
                g = Tensor._make(inp._data * 0)
            per_input[j].append(g)
    result = []
    for j, inp in enumerate(inputs):
        shape = tuple(out.shape) + tuple(inp.shape)
        if per_input[j]:
            from .._methods.shape import stack  # noqa: PLC0415 (numtorch imports autograd first)
            result.append(stack(per_input[j]).reshape(shape))
        else:
            result.append(Tensor._make(B.zeros(shape, inp._dtype)))
    return tuple(result)


def _jacobian_vectorized(outputs, inputs, create_graph, strategy) -> tuple:
    """All rows (or columns) at once: one backward (or forward) pass with a batch of basis
    vectors, through numtorch.func's batching."""
    from ..func import _jac  # noqa: PLC0415 (func imports autograd)
    return _jac.vectorized_jacobian(outputs, inputs, create_graph, strategy)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``.

    Returns:
        A Tensor of shape ``input.shape + input.shape`` for one input; a tuple of tuples
        (``H[i][j]`` is d^2 f / d input_i d input_j) for a tuple of inputs.
    """
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'hessian: outer_jacobian_strategy must be "forward-mode" or '
                         f'"reverse-mode", got {outer_jacobian_strategy!r}')

    def scalar_func(*inp):
        out = func(*inp)
        _check_scalar(out, "hessian")
        return out.reshape(())

    def jac_func(*inp):
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    if not in_tuple:
        return res[0][0]
    return res


def _check_scalar(out, fn_name: str) -> None:
    if isinstance(out, tuple) or not isinstance(out, _tensor.Tensor):
        if isinstance(out, tuple) and all(isinstance(o, _tensor.Tensor) for o in out):
            raise RuntimeError(f"The function given to {fn_name} must return a single Tensor, "
                               f"got a tuple of {len(out)}")
        _outputs_as_tuple(out, fn_name)
    if out.numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} must "
                           f"contain a single element, but it has shape {tuple(out.shape)}")


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The vector-Hessian product ``v^T H`` of the scalar function ``func`` at ``inputs``.

    Returns:
        ``(func_output, vhp)``; ``vhp`` has the structure of ``inputs``.
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """The Hessian-vector product ``H v`` of the scalar function ``func`` at ``inputs`` (equal
    to ``vhp`` for a twice continuously differentiable function).

    Returns:
        ``(func_output, hvp)``; ``hvp`` has the structure of ``inputs``.
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph, strict, fn_name):
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
        inputs = _prepare(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", fn_name)
            v = _prepare(v, create_graph, need_graph=False)
            _check_v(v, inputs, fn_name)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(f"{fn_name}: v can only be None when the input of the "
                               f"user-provided function is a single Tensor with a single "
                               f"element; pass v.")
        out = func(*inputs)
        _check_scalar(out, fn_name)
        _check_requires_grad((out,), "outputs", strict)
        jac = _grad((out,), inputs, None, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
        # NOTE: H is symmetric, so v^T H and H v are one double-backward pass; PyTorch computes
        # hvp with one more (transposing) backward pass, which gives the same numbers.
        grads = _grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_zeros(grads, inputs, strict, create_graph, "double_back")
    return _finish(out, create_graph), _unpack(in_tuple, _finish(result, create_graph))
