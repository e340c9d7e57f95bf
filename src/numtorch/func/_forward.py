"""Jacobian-vector products: numtorch.autograd.forward_ad when it is available and working,
otherwise the double-backward trick (J v = d/du (u^T J) v) through reverse mode."""
from __future__ import annotations

from .. import _backend as B
from .. import _tensor
from ..autograd import engine
from ..autograd.grad_mode import enable_grad
from . import _custom
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["jvp_leaves", "linearize_leaves", "jacobian_columns", "columns_from_outputs",
           "forward_ad_module"]

# "auto": forward_ad if it imports and passes a self-check; "reverse": always double backward
MODE = "auto"
_verdict = []


def forward_ad_module(nested: bool = False):
    """numtorch.autograd.forward_ad if it exists and computes a simple JVP right, else None.

    None as well while a dual level is active (unless ``nested``): forward_ad has one level at
    a time, so a jvp inside another (jacfwd(jacfwd(f)), hessian) runs by double backward, whose
    backward formulas carry the outer level's tangents."""
    if MODE != "auto":
        return None
    if not _verdict:
        _verdict.append(_probe())
    fw = _verdict[0]
    if fw is not None and not nested and fw._level >= 0:
        return None
    return fw


def _probe():
    try:
        from ..autograd import forward_ad as fwAD  # noqa: PLC0415
        Tensor = _tensor.Tensor
        x = Tensor._make(B.np.array([0.5, -1.0]))
        t = Tensor._make(B.np.array([1.0, 2.0]))
        with fwAD.dual_level(), _custom.active():
            y = (fwAD.make_dual(x, t) * x).sin()
            tangent = fwAD.unpack_dual(y).tangent
        expected = x._data * t._data * B.np.cos(x._data * x._data)  # x_dual * x_constant
        if tangent is None or not B.np.allclose(tangent._data, expected):
            return None
        # forward over reverse (jacfwd(jacrev(f)), hessian): tangents must flow through
        # backward formulas, including ones that use a saved output (exp, prod)
        with fwAD.dual_level():
            d = fwAD.make_dual(x, t).view_as(x).requires_grad_(True)
            g, = engine.grad((d.exp() + d.prod()).sum(), d, create_graph=True)
            tangent = fwAD.unpack_dual(g).tangent
        xd, td = x._data, t._data
        # the gradient is exp(d) + 2 (d1, d0): the sum runs over prod broadcast to 2 entries
        expected = B.np.exp(xd) * td + 2 * B.np.array([td[1], td[0]])  # d(grad)·t
        if tangent is None or not B.np.allclose(tangent._data, expected):
            return None
        return fwAD
    except Exception:  # noqa: BLE001 (any failure means: not usable yet)
        return None


def has_tangent(t) -> bool:
    """Whether ``t`` carries a forward-mode tangent (a dual tensor of an active level)."""
    fwAD = forward_ad_module(nested=True) if _verdict or MODE == "auto" else None
    if fwAD is None:
        return False
    try:
        return fwAD.unpack_dual(t).tangent is not None
    except Exception:  # noqa: BLE001 (no dual level active)
        return False


def _zeros_like(t):
    return _tensor.Tensor._make(t._data * 0)


def _track(t):
    from ._transforms import _track as track  # noqa: PLC0415
    return track(t)


def _split(out, has_aux, api):
    from ._transforms import _split_aux  # noqa: PLC0415
    return _split_aux(out, has_aux, api)


class _DoubleBackward:
    """The graph of u^T J for dummy cotangents u, from which J v is one more backward pass."""

    def __init__(self, out_leaves, tracked):
        self.outs = out_leaves
        self.dummies = [_zeros_like(o).requires_grad_(True) if o.requires_grad else None
                        for o in out_leaves]
        pairs = [(o, u) for o, u in zip(out_leaves, self.dummies) if u is not None]
        if pairs:
            g = engine.grad([o for o, _ in pairs], tracked, [u for _, u in pairs],
                            create_graph=True, allow_unused=True)
        else:
            g = (None,) * len(tracked)
        self.g = g

    def apply(self, tangents, create_graph):
        """J @ tangents for each output (zeros where an output does not depend on the inputs)."""
        gs = [(g, t) for g, t in zip(self.g, tangents) if g is not None and g.requires_grad]
        used = [u for u in self.dummies if u is not None]
        res = {}
        if gs and used:
            got = engine.grad([g for g, _ in gs], used, [t for _, t in gs], retain_graph=True,
                              create_graph=create_graph, allow_unused=True)
            res = {id(u): r for u, r in zip(used, got)}
        out = []
        for o, u in zip(self.outs, self.dummies):
            r = res.get(id(u)) if u is not None else None
            out.append(r if r is not None else _zeros_like(o))
        return out


def _keep(out_leaves, tracked, tangents=()):
    from ._transforms import _reaches_outside  # noqa: PLC0415
    return (_reaches_outside(out_leaves, tracked)
            or any(t.requires_grad for t in tangents))


def _release(tree, keep):
    from ._transforms import _release as release  # noqa: PLC0415
    return release(tree, keep)


def jvp_leaves(func, p_leaves, p_spec, t_leaves, has_aux, api):
    fwAD = forward_ad_module()
    if fwAD is not None:
        with fwAD.dual_level(), _custom.active():
            duals = [fwAD.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)]
            out, aux = _split(func(*tree_unflatten(duals, p_spec)), has_aux, api)
            o_leaves, o_spec = tree_flatten(out)
            prim, tang = [], []
            for o in o_leaves:
                unpacked = fwAD.unpack_dual(o)
                prim.append(unpacked.primal)
                tang.append(unpacked.tangent if unpacked.tangent is not None
                            else _zeros_like(unpacked.primal))
        keep = _keep(prim, [], t_leaves)
        res = (_release(tree_unflatten(prim, o_spec), keep),
               _release(tree_unflatten(tang, o_spec), keep))
        return res + (_release(aux, keep),) if has_aux else res
    with enable_grad(), _custom.active():
        tracked = [_track(p) for p in p_leaves]
        out, aux = _split(func(*tree_unflatten(tracked, p_spec)), has_aux, api)
        o_leaves, o_spec = tree_flatten(out)
        from ._transforms import _check_tensors  # noqa: PLC0415
        _check_tensors(o_leaves, api)
        keep = _keep(o_leaves, tracked, t_leaves)
        tang = _DoubleBackward(o_leaves, tracked).apply(t_leaves, keep)
    res = (_release(out, keep), _release(tree_unflatten(tang, o_spec), keep))
    return res + (_release(aux, keep),) if has_aux else res


def linearize_leaves(func, p_leaves, p_spec, api):
    with enable_grad(), _custom.active():
        tracked = [_track(p) for p in p_leaves]
        out = func(*tree_unflatten(tracked, p_spec))
        o_leaves, o_spec = tree_flatten(out)
        from ._transforms import _check_tensors  # noqa: PLC0415
        _check_tensors(o_leaves, api)
        keep = _keep(o_leaves, tracked)
        db = _DoubleBackward(o_leaves, tracked)

    def lin(t_leaves):
        with enable_grad(), _custom.active():
            cg = keep or any(t.requires_grad for t in t_leaves)
            return _release(tree_unflatten(db.apply(t_leaves, cg), o_spec), cg)
    return _release(out, keep), lin


def _assemble(out_leaves, inputs, columns):
    """columns[(j, k)] = [J_o e_(j,k) per output o] -> J[o][j] of shape out.shape+in.shape."""
    from .._methods.shape import stack  # noqa: PLC0415
    result = []
    for o_i, o in enumerate(out_leaves):
        row = []
        for j, inp in enumerate(inputs):
            shape = tuple(o.shape) + tuple(inp.shape)
            cols = [columns[(j, k)][o_i] for k in range(inp.numel())]
            if cols:
                row.append(stack(cols, dim=-1).reshape(shape))
            else:
                row.append(_tensor.Tensor._make(B.zeros(shape, o._dtype)))
        result.append(row)
    return result


def columns_from_outputs(out_leaves, tracked, create_graph):
    """The Jacobian of already computed outputs by Jacobian-vector products (double backward),
    all columns in one pass: the tangents are a batch of basis vectors."""
    from ._vmap import ACTIVE  # noqa: PLC0415
    sizes = [t.numel() for t in tracked]
    m = sum(sizes)
    if m == 0:
        return _assemble(out_leaves, tracked, {})
    db = _DoubleBackward(out_leaves, tracked)
    level, tangents = _basis_batch(tracked, sizes)
    ACTIVE.add(level)
    try:
        results = db.apply(tangents, create_graph)
    finally:
        ACTIVE.discard(level)
    return _split_columns(out_leaves, tracked, sizes, results, level)


def _basis_batch(inputs, sizes):
    """A fresh vmap level and, per input, its one-hot tangents as one batch of sum(sizes)."""
    from ._batched import BatchedArray  # noqa: PLC0415
    from ._vmap import _levels  # noqa: PLC0415
    level, m = next(_levels), sum(sizes)
    eye, offset, tangents = B.np.eye(m), 0, []
    for t, k in zip(inputs, sizes):
        rows = eye[:, offset:offset + k].reshape((m,) + tuple(t.shape))
        tangents.append(_tensor.Tensor._make(BatchedArray(rows.astype(t._data.dtype), level)))
        offset += k
    return level, tangents


def _split_columns(out_leaves, inputs, sizes, results, level):
    """J[o][j] from the batched products ``results`` (one per output, batched at ``level``)."""
    from ._vmap import _RemoveBatchDim  # noqa: PLC0415
    m = sum(sizes)
    jac = []
    for o, r in zip(out_leaves, results):
        full = _RemoveBatchDim.apply(r, level, 0, m)  # (m, *out.shape)
        row, offset = [], 0
        for t, k in zip(inputs, sizes):
            part = full[offset:offset + k]
            part = part.movedim(0, -1) if part.dim() > 1 else part  # (*out.shape, k)
            row.append(part.reshape(tuple(o.shape) + tuple(t.shape)))
            offset += k
        jac.append(row)
    return jac


def jacobian_columns(flat_func, flat_in, has_aux, api):
    """(output, J[o][j] per output leaf o and input j, aux) by forward-mode products."""
    from ._transforms import _check_tensors  # noqa: PLC0415
    fwAD = forward_ad_module()
    if fwAD is not None:
        with enable_grad(), _custom.active():
            out, aux = _split(flat_func(*flat_in), has_aux, api)
        o_leaves, o_spec = tree_flatten(out)
        _check_tensors(o_leaves, api)
        sizes = [p.numel() for p in flat_in]
        if sum(sizes) == 0:
            jac = _assemble(o_leaves, flat_in, {})
        else:
            # every column in one pass: the tangents are a vmap batch of basis vectors
            from ._vmap import ACTIVE  # noqa: PLC0415
            level, tangents = _basis_batch(flat_in, sizes)
            ACTIVE.add(level)
            try:
                with fwAD.dual_level(), _custom.active():
                    duals = [fwAD.make_dual(p, t) for p, t in zip(flat_in, tangents)]
                    res, _ = _split(flat_func(*duals), has_aux, api)
                    results = []
                    for r in tree_flatten(res)[0]:
                        t = fwAD.unpack_dual(r).tangent
                        results.append(t if t is not None else _zeros_like(r))
                jac = _split_columns(o_leaves, flat_in, sizes, results, level)
            finally:
                ACTIVE.discard(level)
        keep = _keep(o_leaves, [])
        return _release(out, keep), [[_release(t, keep) for t in row] for row in jac], \
            _release(aux, keep)
    with enable_grad(), _custom.active():
        tracked = [_track(p) for p in flat_in]
        out, aux = _split(flat_func(*tracked), has_aux, api)
        o_leaves, o_spec = tree_flatten(out)
        _check_tensors(o_leaves, api)
        keep = _keep(o_leaves, tracked)
        jac = columns_from_outputs(o_leaves, tracked, keep)
    return _release(out, keep), [[_release(t, keep) for t in row] for row in jac], \
        _release(aux, keep)
