"""grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd and hessian over pytrees.

The transforms run numtorch's reverse-mode engine on fresh tensors that stand for the
arguments. They nest: a transform whose function's graph reaches tensors from outside (an outer
transform's inputs, a captured parameter that requires grad) records its own backward pass
(``create_graph``), so the outer transform can differentiate through it.
"""
from __future__ import annotations

import functools

from .. import _tensor
from ..autograd import engine
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import AccumulateGrad
from . import _custom, _forward
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]


# ---- shared helpers --------------------------------------------------------------------------
def _check_tensors(leaves, api: str) -> None:
    for leaf in leaves:
        if not isinstance(leaf, _tensor.Tensor):
            raise ValueError(f"{api}: the arguments to differentiate must be Tensors (or "
                             f"tuples, lists and dicts of Tensors), got {type(leaf)}")


def _track(t):
    """A tensor standing for ``t`` that autograd tracks: a view when ``t`` already has history
    (so outer transforms see through it), else a fresh leaf."""
    if not t.is_floating_point():
        raise RuntimeError(f"only Tensors of floating point dtype can be differentiated, got "
                           f"{t.dtype}; convert the argument with .double() or .float()")
    if t.requires_grad:
        return t.view_as(t)
    if _forward.has_tangent(t):  # forward-over-reverse (jacfwd(jacrev)): keep the tangent
        return t.view_as(t).requires_grad_(True)
    return t.detach().requires_grad_(True)


def _argnums_tuple(argnums, n_args: int, api: str) -> tuple:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise RuntimeError(f"{api}: argnums must be non-empty")
    out = []
    for a in nums:
        if not isinstance(a, int) or isinstance(a, bool):
            raise RuntimeError(f"{api}: argnums must be an int or a tuple of ints, got "
                               f"{type(a).__name__}")
        if not -n_args <= a < n_args:
            raise RuntimeError(f"{api}: got argnum={a}, but only {n_args} positional inputs")
        out.append(a % n_args)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{api}: argnums must be unique, got {argnums}")
    return tuple(out)


def _track_args(args: tuple, argnums, api: str):
    """Replace the differentiated arguments by tracked tensors.

    Returns (new args, flat tracked leaves, a function rebuilding the argnums structure from a
    flat list)."""
    nums = _argnums_tuple(argnums, len(args), api)
    args = list(args)
    flat_all, specs = [], []
    for n in nums:
        leaves, spec = tree_flatten(args[n])
        _check_tensors(leaves, api)
        tracked = [_track(t) for t in leaves]
        args[n] = tree_unflatten(tracked, spec)
        flat_all.extend(tracked)
        specs.append((spec, len(leaves)))

    def rebuild(flat):
        parts, i = [], 0
        for spec, n in specs:
            parts.append(tree_unflatten(flat[i:i + n], spec))
            i += n
        return parts[0] if not isinstance(argnums, tuple) else tuple(parts)
    return tuple(args), flat_all, rebuild


def _reaches_outside(tensors, own) -> bool:
    """Whether the graph of ``tensors`` reaches a tensor that requires grad other than the
    transform's own leaves: then the results must stay differentiable (``create_graph``)."""
    if any(_forward.has_tangent(t) for t in own):
        return True  # under forward mode (jacfwd of this): tangents must flow through
    own_ids = {id(t) for t in own}
    seen = set()
    stack = []
    for t in tensors:
        if isinstance(t, _tensor.Tensor) and t.requires_grad:
            if t.grad_fn is None:
                if id(t) not in own_ids:
                    return True
            else:
                stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            if id(node.variable) not in own_ids:
                return True
            continue
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return False


def _grads(outputs, inputs, cotangents, create_graph, retain_graph=None):
    """d outputs / d inputs (zeros for inputs not used) through the engine."""
    Tensor = _tensor.Tensor
    pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    if pairs:
        res = engine.grad([o for o, _ in pairs], inputs, [c for _, c in pairs],
                          retain_graph=retain_graph, create_graph=create_graph,
                          allow_unused=True)
    else:
        res = (None,) * len(inputs)
    return [Tensor._make(t._data * 0) if g is None else g for t, g in zip(inputs, res)]


def _release(tree, keep: bool):
    """Detach the tensors of ``tree`` unless they must stay connected (nested transforms)."""
    if keep:
        return tree
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([t.detach() if isinstance(t, _tensor.Tensor) else t for t in leaves],
                          spec)


def _split_aux(out, has_aux: bool, api: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           f"has_aux is True")
    return out


# ---- grad ------------------------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning ``(gradient, value)`` of the scalar function ``func``.

    The gradient has the structure of the argument ``argnums`` names (a tuple of them for a
    tuple ``argnums``); with ``has_aux`` the value is ``(output, aux)``."""
    api = "grad_and_value(f)(*args)"

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with enable_grad(), _custom.active():
            args, flat, rebuild = _track_args(args, argnums, api)
            out, aux = _split_aux(func(*args, **kwargs), has_aux, api)
            if not isinstance(out, _tensor.Tensor):
                raise RuntimeError(f"{api}: expected f(*args) to return a scalar Tensor, got "
                                   f"{type(out)}")
            if out.dim() != 0:
                raise RuntimeError(
                    f"{api}: expected f(*args) to return a scalar Tensor, got a tensor with "
                    f"{out.dim()} dims. Use the vjp or jacrev APIs for non-scalar outputs.")
            keep = _reaches_outside([out], flat)
            g = _grads([out], flat, [None], create_graph=keep)
        grads = _release(rebuild(g), keep)
        value = _release(out, keep)
        if has_aux:
            return grads, (value, _release(aux, keep))
        return grads, value
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient function of the scalar function ``func`` (with respect to argument
    ``argnums``); with ``has_aux`` it returns ``(gradient, aux)``.

    Example::

        dsin = grad(torch.sin); d2sin = grad(grad(torch.sin))
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ---- vjp -------------------------------------------------------------------------------------
def vjp(func, *primals, has_aux: bool = False):
    """Run ``func(*primals)`` and return ``(output, vjp_fn)`` (``aux`` last with has_aux);
    ``vjp_fn(cotangents)`` gives a tuple with one vector-Jacobian product per primal."""
    api = "vjp(f, *primals)"
    with enable_grad(), _custom.active():
        args, flat, rebuild = _track_args(primals, tuple(range(len(primals))), api) \
            if primals else ((), [], lambda f: ())
        out, aux = _split_aux(func(*args), has_aux, api)
        out_leaves, out_spec = tree_flatten(out)
        _check_tensors(out_leaves, api)
        keep = _reaches_outside(out_leaves, flat)

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        ct_leaves, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                f"vjp_fn: the cotangents must have the pytree structure of the function's "
                f"output: cotangents {ct_spec}, output {out_spec}")
        for i, (c, o) in enumerate(zip(ct_leaves, out_leaves)):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"vjp_fn: cotangent {i} has shape {tuple(c.shape)} but the "
                                   f"output it belongs to has shape {tuple(o.shape)}")
        cg = keep or _reaches_outside(ct_leaves, ()) if create_graph is None else create_graph
        with enable_grad(), _custom.active():
            g = _grads(out_leaves, flat, ct_leaves, create_graph=cg, retain_graph=True)
        res = _release(rebuild(g), cg)
        return res if isinstance(res, tuple) else (res,)

    result = (_release(out, keep), vjp_fn)
    return result + (_release(aux, keep),) if has_aux else result


# ---- forward mode: jvp, linearize ----------------------------------------------------------------
def _check_jvp_args(primals, tangents, api):
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: expected primals to be a tuple, so that f(*primals) is a "
                           f"valid call")
    if not isinstance(tangents, tuple):
        raise RuntimeError(f"{api}: expected tangents to be a tuple with the structure of "
                           f"primals")
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{api}: expected primals and tangents to have the same structure, "
                           f"got primals {p_spec} and tangents {t_spec}")
    _check_tensors(p_leaves, api)
    _check_tensors(t_leaves, api)
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(f"{api}: tangent {i} has shape {tuple(t.shape)} but its primal "
                               f"has shape {tuple(p.shape)}; they must match")
    return p_leaves, t_leaves


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)`` (and ``aux``): the Jacobian-vector product.

    Forward-mode AD when ``numtorch.autograd.forward_ad`` is available; otherwise the
    double-backward trick through reverse mode."""
    api = "jvp(f, primals, tangents)"
    if strict:
        raise RuntimeError(f"{api}: strict=True is not supported (as in PyTorch)")
    p_leaves, t_leaves = _check_jvp_args(primals, tangents, api)
    _, p_spec = tree_flatten(primals)
    return _forward.jvp_leaves(func, p_leaves, p_spec, t_leaves, has_aux, api)


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` evaluates the Jacobian-vector
    product at ``primals`` without running ``func`` again."""
    api = "linearize(f, *primals)"
    p_leaves, p_spec = tree_flatten(primals)
    _check_tensors(p_leaves, api)
    out, lin = _forward.linearize_leaves(func, p_leaves, p_spec, api)

    def jvp_fn(*tangents):
        t_leaves, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"linearize jvp_fn: expected tangents with the structure of the "
                               f"primals {p_spec}, got {t_spec}")
        for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
            if tuple(p.shape) != tuple(t.shape):
                raise RuntimeError(f"linearize jvp_fn: tangent {i} has shape "
                                   f"{tuple(t.shape)}, expected {tuple(p.shape)}")
        return lin(t_leaves)
    return out, jvp_fn


# ---- Jacobians --------------------------------------------------------------------------------
def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to argument(s) ``argnums`` by reverse mode.

    For each output leaf, a Jacobian of shape ``output.shape + input.shape`` per input leaf,
    nested as output structure, then argnums structure."""
    from ._jac import jacobian_rows  # noqa: PLC0415

    @functools.wraps(func)
    def wrapper(*args):
        api = "jacrev(f, argnums)(*args)"
        with enable_grad(), _custom.active():
            args, flat, rebuild = _track_args(args, argnums, api)
            out, aux = _split_aux(func(*args), has_aux, api)
            out_leaves, out_spec = tree_flatten(out)
            _check_tensors(out_leaves, api)
            keep = _reaches_outside(out_leaves, flat)
            per_out = jacobian_rows(out_leaves, flat, keep, chunk_size)
        jac = tree_unflatten([_release(rebuild(row), keep) for row in per_out], out_spec)
        return (jac, _release(aux, keep)) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func`` with respect to argument(s) ``argnums`` by forward mode (one
    Jacobian-vector product per input element); same structure as ``jacrev``."""

    @functools.wraps(func)
    def wrapper(*args):
        api = "jacfwd(f, argnums)(*args)"
        nums = _argnums_tuple(argnums, len(args), api)
        flat_in, specs = [], []
        for n in nums:
            leaves, spec = tree_flatten(args[n])
            _check_tensors(leaves, api)
            flat_in.extend(leaves)
            specs.append((spec, len(leaves)))

        def flat_func(*leaves):
            new_args, i = list(args), 0
            for n, (spec, k) in zip(nums, specs):
                new_args[n] = tree_unflatten(leaves[i:i + k], spec)
                i += k
            return func(*new_args)

        out, columns, aux = _forward.jacobian_columns(flat_func, flat_in, has_aux, api)
        out_leaves, out_spec = tree_flatten(out)

        def rebuild(flat):
            parts, i = [], 0
            for spec, k in specs:
                parts.append(tree_unflatten(flat[i:i + k], spec))
                i += k
            return parts[0] if not isinstance(argnums, tuple) else tuple(parts)
        jac = tree_unflatten([rebuild(row) for row in columns], out_spec)
        return (jac, aux) if has_aux else jac
    return wrapper


def hessian(func, argnums=0):
    """The Hessian of the scalar function ``func``: ``jacfwd(jacrev(func, argnums), argnums)``."""
    return jacfwd(jacrev(func, argnums), argnums)
