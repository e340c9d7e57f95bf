"""The backward executor: ``backward()`` and ``grad()`` over the recorded graph, iteratively."""
from __future__ import annotations

import heapq
import itertools
import sys

from .. import _backend as B
from .. import _tensor
from ..ops._util import sum_to
from . import anomaly_mode as _anomaly
from . import check_mode as _check
from .grad_mode import _state
from .graph import _NOT_A_TENSOR, AccumulateGrad, hook_result, run_post_hooks

__all__ = ["backward", "grad"]

# (retain_graph, create_graph) of the backward pass running now, read by ctx.retain_graph and
# ctx.create_graph inside a backward
_pass = [False, False]
# set by numtorch.func: fn(gradient, tensor) summing a gradient over the vmap batches that its
# tensor does not have and that no running transform keeps (vmap outside the backward pass)
batched_grad_hook = None


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    if isinstance(x, _tensor.Tensor):
        return (x,)
    return tuple(x)


def _root(t):
    """The node and output number where backward starts for tensor ``t``."""
    if t._requires_grad:
        from .function import _edge
        edge = _edge(t)  # refreshes a view whose base changed in place
        return edge[0], edge[1]
    return None, 0


def _make_grads(outputs, grad_outputs, who):
    """Check the gradients given for ``outputs``; an implicit one (None) must be for a scalar."""
    Tensor = _tensor.Tensor
    for i, g in enumerate(grad_outputs):
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"{who}: gradients must be Tensors or None, got "
                            f"{type(g).__name__} for output {i}")
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{who}: got {len(grad_outputs)} gradients for {len(outputs)} "
                           f"outputs; pass one gradient (or None) per output")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._requires_grad and out._data.size != 1:
                raise RuntimeError(
                    f"{who}: grad can be implicitly created only for scalar outputs, but "
                    f"output {i} has shape {tuple(out.shape)}. Reduce it first (e.g. "
                    f"out.sum().backward()) or pass a gradient of the same shape: "
                    f"out.backward(gradient)")
            if not out._dtype.is_floating_point and out._requires_grad:
                raise RuntimeError(f"{who}: grad can be implicitly created only for real "
                                   f"floating point outputs, got {out.dtype}")
            g = _tensor.Tensor._make(B.ones(out._data.shape, out._dtype, out._data))
        elif isinstance(g, Tensor):
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"{who}: Mismatch in shape: grad_output[{i}] has a shape of "
                    f"{tuple(g.shape)} and output[{i}] has a shape of {tuple(out.shape)}")
            if g._dtype is not out._dtype and out._requires_grad:
                g = g.to(out._dtype)  # as in PyTorch: an integer or bool gradient is cast
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables=None, inputs=None) -> None:
    """Compute the gradients of ``tensors`` and accumulate them into the leaves' ``.grad``.

    Args:
        tensors: outputs to differentiate.
        grad_tensors: d(loss)/d(output) for each; None means 1 for a scalar output.
        retain_graph: keep saved tensors for another backward (default: create_graph).
        create_graph: record the backward itself, for higher-order gradients.
        inputs: accumulate only into these tensors' ``.grad``.
    """
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    grads = _as_tuple(grad_tensors) or (None,) * len(tensors)
    grads = _make_grads(tensors, grads, "backward")
    inputs = _as_tuple(inputs)
    if inputs:
        captured = _run(tensors, grads, retain_graph, create_graph, inputs)
        for t, g in zip(inputs, captured):
            if g is not None:
                _accumulate(t, g, create_graph)
        return
    _run(tensors, grads, retain_graph, create_graph, None)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Return the gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    Args:
        outputs, inputs: tensors (or sequences of tensors).
        grad_outputs: d(loss)/d(output) for each output; None means 1 for a scalar output.
        allow_unused: give None for inputs the outputs do not depend on (instead of raising).
        materialize_grads: give zeros instead of None for such inputs.
    """
    if is_grads_batched:  # the first dimension of each grad_output is a batch: vmap it
        from ..func._vmap import grad_batched  # noqa: PLC0415 (func imports autograd)
        return grad_batched(grad, outputs, inputs, grad_outputs, retain_graph, create_graph,
                            allow_unused, materialize_grads)
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: materialize_grads=True requires allow_unused to be True or "
                         "left unset")
    for i, t in enumerate(inputs):
        if not isinstance(t, _tensor.Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__} at {i}")
        if not t._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad; call "
                               f"requires_grad_() on it before the forward computation")
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"grad: element {i} of outputs does not require grad and has no "
                               f"grad_fn, so nothing connects it to the inputs")
    grads = _as_tuple(grad_outputs) or (None,) * len(outputs)
    grads = _make_grads(outputs, grads, "grad")
    result = _run(outputs, grads, retain_graph, create_graph, inputs)
    out = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is not None and type(g._data) is not B.np.ndarray and batched_grad_hook:
            g = batched_grad_hook(g, t)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {tuple(t.shape)}) was not used in the graph of the "
                    f"outputs. Pass allow_unused=True to get None for it, or "
                    f"materialize_grads=True to get zeros.")
            if materialize_grads:
                g = _tensor.Tensor._make(B.zeros(t._data.shape, t._dtype, t._data))
        out.append(g)
    return tuple(out)


def _run(outputs, grads, retain_graph, create_graph, capture):
    """Execute the graph from ``outputs``; return the captured gradients of ``capture``."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        node, nr = _root(t)
        if node is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                f"nothing was recorded for backward. Create the leaves with "
                f"requires_grad=True and compute outside no_grad()")
        roots.append((node, nr, g))

    targets = None
    if capture is not None:
        targets = {}
        for k, t in enumerate(capture):
            node, nr = _root(t)
            targets.setdefault((node, nr), []).append(k)
    captured = [None] * (len(capture) if capture is not None else 0)

    buffers = {}
    for node, nr, g in roots:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * _n_outputs(node)
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    deps = _count_dependencies(buffers)
    needed = _needed(buffers, targets) if targets is not None else None

    order = itertools.count()
    heap = [(-node._seq, next(order), node) for node in buffers if deps.get(node, 0) == 0]
    heapq.heapify(heap)
    prev_mode = _state.enabled
    _state.enabled = create_graph
    prev_pass = _pass[:]
    _pass[0], _pass[1] = bool(retain_graph), bool(create_graph)
    push, pop = heapq.heappush, heapq.heappop
    # the one node that became ready while no other was (a chain's next node): it runs next
    # without going through the heap
    ready = None
    try:
        while True:
            if ready is not None:
                node = ready
                ready = None
            elif heap:
                node = pop(heap)[2]
            else:
                break
            node_grads = buffers.pop(node)
            hooked = node._hooked  # (a hook or retain_grad was set on it: the full checks)
            if hooked or targets is not None or type(node) is AccumulateGrad:
                is_leaf = type(node) is AccumulateGrad
                if not is_leaf and (node._tensor_pre_hooks or node._retained):
                    node_grads = [_run_tensor_hooks(node, nr, g)
                                  for nr, g in enumerate(node_grads)]
                if targets is not None:
                    for nr, g in enumerate(node_grads):
                        ks = targets.get((node, nr))
                        if ks:
                            if is_leaf:
                                g = _run_tensor_hooks(node, 0, g)
                            for k in ks:
                                captured[k] = g
                    if not needed.get(node) or is_leaf:
                        continue
                if is_leaf:
                    g = node_grads.pop()
                    if g is not None:
                        # bound to a name first: _accumulate counts this reference as the
                        # caller's (a hook may return a tensor that is also held elsewhere)
                        g = _run_tensor_hooks(node, 0, g)
                        if node._pre_hooks or node._hooks:
                            _accumulate_with_node_hooks(node, g, create_graph)
                        else:
                            _accumulate(node.variable, g, create_graph)
                    g = None
                    continue
            cls = node._forward_cls
            if (not hooked and len(node_grads) == 1 and node_grads[0] is not None
                    and not _anomaly._enabled):
                # the common node, run here: one gradient and no hooks (_call_backward, inline)
                _state.enabled = create_graph
                results = cls.backward(node, node_grads[0])
                if cls._raw:
                    if not retain_graph and node._saved:
                        node._saved = None  # node._release(), inline: a built-in locks no arrays
                    # a built-in's backward returns Tensors or None, one per argument: only a
                    # gradient whose shape or dtype differs from its input's needs _fit (the
                    # loop below checks each); any other result goes through _validate first
                    if type(results) is not tuple:
                        results = (results,)
                    fit = len(results) == len(node._edges)
                    if not fit:
                        results = _validate(node, results)
                else:
                    if not retain_graph and node._saved:
                        node._saved = None  # node._release(), inline
                        if _check._locked:
                            _check.release_saved(node)
                    results = _check_user(node, results)
                    fit = False  # checked
            else:
                results = _call_backward(node, node_grads, create_graph, retain_graph)
                fit = False  # checked already
            i = -1
            for e, g in zip(node._edges, results):
                i += 1
                if e is None or e is _NOT_A_TENSOR:
                    continue
                child = e[0]
                if needed is not None and not needed.get(child):
                    continue
                if g is not None:
                    if fit and (g._data.shape != e[2] or g._dtype is not e[3]):
                        g = _fit(node, i, g, e)
                    buf = buffers.get(child)
                    if buf is None:  # _n_outputs(child), inline
                        buf = buffers[child] = [None] * (
                            1 if type(child) is AccumulateGrad else len(child._out_meta))
                    nr = e[1]
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                d = deps[child] - 1
                deps[child] = d
                if d == 0:
                    if child not in buffers:
                        buffers[child] = [None] * _n_outputs(child)
                    if ready is None and not heap:
                        ready = child
                    else:  # several are ready: the heap runs the latest recorded first
                        if ready is not None:
                            push(heap, (-ready._seq, next(order), ready))
                            ready = None
                        push(heap, (-child._seq, next(order), child))
            # drop references so a leaf's gradient can be kept without a copy
            results = g = buf = None
    finally:
        _state.enabled = prev_mode
        _pass[:] = prev_pass
    return captured


def _accumulate_with_node_hooks(node, g, create_graph):
    """A leaf whose AccumulateGrad node has hooks: pre hooks get ``(grad,)`` and may replace
    it; post hooks get ``((), (grad,))`` after accumulation, as in PyTorch."""
    grads = [g]
    for fn in tuple((node._pre_hooks or {}).values()):
        r = fn(tuple(grads))
        if r is not None:
            grads = hook_result(fn, r, grads)
    if grads[0] is not None:
        _accumulate(node.variable, grads[0], create_graph)
    for fn in tuple((node._hooks or {}).values()):
        fn((), tuple(grads))


def _n_outputs(node) -> int:
    return 1 if type(node) is AccumulateGrad else len(node._out_meta)


def _count_dependencies(roots) -> dict:
    """How many edges point at each node reachable from ``roots`` (one pass, no recursion)."""
    deps = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        for e in node._edges:
            if e is None or e is _NOT_A_TENSOR:
                continue
            child = e[0]
            n = deps.get(child)
            if n is None:  # first seen: walk it too (unless it is a root, already walked)
                deps[child] = 1
                if child not in roots:
                    stack.append(child)
            else:
                deps[child] = n + 1
    return deps


def _needed(roots, targets) -> dict:
    """Which nodes lie on a path from the roots to a captured target (the rest is skipped)."""
    target_nodes = {node for node, _ in targets}
    needed = {}
    for root in roots:
        stack = [(root, iter(_children(root)))]
        if root in needed:
            continue
        needed[root] = root in target_nodes
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                if stack and needed[node]:
                    needed[stack[-1][0]] = True
                continue
            if child in needed:
                if needed[child]:
                    needed[node] = True
                continue
            needed[child] = child in target_nodes
            stack.append((child, iter(_children(child))))
    return needed


def _children(node):
    return [e[0] for e in node._edges if e is not None and e is not _NOT_A_TENSOR]


def _run_tensor_hooks(node, nr, g):
    """Apply Tensor.register_hook hooks and retain_grad for output ``nr`` of ``node``."""
    if type(node) is AccumulateGrad:
        hooks = node.variable._hooks
        if hooks and g is not None:
            for fn in tuple(hooks.values()):
                r = fn(g)
                if r is not None:
                    g = r
        return g
    by_output = node._tensor_pre_hooks
    if by_output and g is not None:
        for fn in tuple(by_output.get(nr, {}).values()):
            r = fn(g)
            if r is not None:
                g = r
    retained = node._retained
    if retained and g is not None:
        ref = retained.get(nr)
        t = ref() if ref is not None else None
        if t is not None:
            t._grad = g if t._grad is None else t._grad + g
            if not _state.enabled and t._grad is g:
                t._grad = g.detach().clone()  # the graph's gradient may be reused below
    return g


def _call_backward(node, grads, create_graph, retain_graph):
    """Run one node's backward with its gradients prepared, and check what it returns."""
    if node._pre_hooks:
        for fn in tuple(node._pre_hooks.values()):
            r = fn(tuple(grads))
            if r is not None:
                grads = hook_result(fn, r, grads) if len(r) != len(grads) else list(r)
    if node._materialize and (len(grads) != 1 or grads[0] is None):
        Tensor = _tensor.Tensor
        for i, g in enumerate(grads):
            if g is None and node._out_meta[i] is not None:
                shape, dtype = node._out_meta[i]
                like = next((h._data for h in grads if h is not None), None)  # their device
                grads[i] = Tensor._make(B.zeros(shape, dtype, like))
    _state.enabled = create_graph
    cls = node._forward_cls
    if _anomaly._enabled:
        results = _anomaly.run_backward(node, grads)
    elif len(grads) == 1:  # (a call with a fixed number of arguments costs less)
        results = cls.backward(node, grads[0])
    else:
        results = cls.backward(node, *grads)
    if cls._raw and not node._hooks and not _anomaly._enabled:
        if not retain_graph and node._saved:
            node._saved = None  # node._release(), inline: a built-in locks no arrays
        return _check_builtin(node, results)
    if not retain_graph and node._saved:
        node._saved = None  # node._release(), inline
        if _check._locked:
            _check.release_saved(node)
    results = _check_user(node, results)
    if _anomaly._enabled and _anomaly._check_nan:
        _anomaly.check_nan(node, results)
    if node._hooks:
        results = run_post_hooks(node, results, tuple(grads))
    return results


def _check_builtin(node, results):
    """A built-in's backward returns Tensors or None, one per argument, so only a gradient whose
    shape or dtype differs from its input's needs ``_validate`` (which reduces or casts it);
    None where no gradient flows is skipped by the caller."""
    if not isinstance(results, tuple):
        results = (results,)
    edges = node._edges
    if len(results) == len(edges):
        for e, g in zip(edges, results):
            if e is not None and g is not None and (g._data.shape != e[2] or g._dtype is not e[3]):
                break
        else:
            return results
    return _validate(node, results)


def _check_user(node, results):
    """``_validate``'s answer, without its work, for a user Function whose gradients all fit:
    each a Tensor of its input's shape and dtype, or None. Anything else goes to ``_validate``,
    which fixes it or raises the error naming the Function."""
    if not isinstance(results, tuple):
        results = (results,)
    edges = node._edges
    if len(results) == len(edges):
        Tensor = _tensor.Tensor
        for e, g in zip(edges, results):
            if g is not None and (e is None or e is _NOT_A_TENSOR or not isinstance(g, Tensor)
                                  or g._data.shape != e[2] or g._dtype is not e[3]):
                break
        else:
            return results
    return _validate(node, results)


def _validate(node, results):
    """Check the count, types and shapes of a backward's results; cast and reduce them."""
    edges = node._edges
    if not isinstance(results, tuple):
        results = (results,)  # as in PyTorch, a list is one (invalid) value, not a sequence
    n = len(edges)
    if len(results) != n:
        if len(results) > n and all(r is None for r in results[n:]):
            results = results[:n]
        else:
            raise RuntimeError(
                f"function {node.name()} returned an incorrect number of gradients (expected "
                f"{n}, got {len(results)}): backward must return one gradient (or None) per "
                f"argument of forward, in the same order ({_inputs_list(node, n)})"
                f"{_check.applied_at(node)}")
    out = list(results)
    Tensor = _tensor.Tensor
    for i, e in enumerate(edges):
        g = out[i]
        if g is None:
            continue
        if e is _NOT_A_TENSOR:
            raise RuntimeError(
                f"function {node.name()} returned a gradient different than None at position "
                f"{i + 1}, but the corresponding forward input was not a Tensor "
                f"({_check.describe_input(node, i)}); return None there")
        if not isinstance(g, Tensor):
            raise RuntimeError(
                f"function {node.name()} returned a {type(g).__name__} as the gradient at "
                f"position {i + 1} ({_check.describe_input(node, i)}); a backward must return "
                f"Tensors or None (wrap arrays with numtorch.as_tensor)")
        out[i] = None if e is None else _fit(node, i, g, e)
    return out


def _fit(node, i, g, e):
    """Gradient ``g`` (a Tensor) for input ``i`` of ``node`` (edge ``e``), summed down to the
    input's shape and cast to its dtype where they differ."""
    shape, dtype = e[2], e[3]
    if g._data.shape != shape:
        if _check._strict_on and not node._forward_cls._raw:
            _check.strict_shape(node, i, g, shape)
        g = _reduce(node, i, g, shape)
    if g._dtype is not dtype:
        if _check._strict_on and not node._forward_cls._raw:
            _check.strict_dtype(node, i, g, dtype)
        g = g.to(dtype)
    return g


def _reduce(node, i, g, shape):
    try:
        return sum_to(g, shape)
    except ValueError:
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {i} - got "
            f"{list(g.shape)} but expected shape compatible with {list(shape)} "
            f"({_check.describe_input(node, i)}). A gradient must have its input's shape, or a "
            f"shape that input broadcasts to (the engine sums it down)") from None


def _inputs_list(node, n) -> str:
    cls = node._forward_cls
    if cls is None or cls._raw:
        return f"{n} inputs"
    return ", ".join(_check.param_name(cls, i) for i in range(n))


# references to a gradient when _accumulate checks whether it may keep it as it is: the
# caller's, the parameter, and getrefcount's own argument
_OWN_REFS = 3


def _accumulate(t, g, create_graph):
    """Add gradient ``g`` into ``t.grad`` (the caller has run the tensor's hooks)."""
    if type(g._data) is not B.np.ndarray and batched_grad_hook:
        g = batched_grad_hook(g, t)
    old = t._grad
    if old is None:
        if create_graph:
            # a copy, recorded: the gradient may be another leaf's gradient too (z = a + b),
            # the caller's own tensor (x.backward(g)) or a read-only broadcast view
            t._grad = g.clone()
        elif (sys.getrefcount(g) <= _OWN_REFS and g._data.base is None
              and sys.getrefcount(g._data) <= 2 and g._grad_fn is None):
            # nobody else holds this gradient or its memory: keep it without a copy
            t._grad = g
        else:
            t._grad = g.detach().clone()
    elif create_graph or old._requires_grad:
        t._grad = old + g
    else:
        old.add_(g)
    post = t._post_acc_hooks
    if post:
        for fn in tuple(post.values()):
            fn(t)
