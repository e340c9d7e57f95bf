"""Pictures of the autograd graph: Graphviz DOT (SVG/PNG through ``dot``) and a terminal tree."""
from __future__ import annotations

import shutil
import subprocess

from . import _tensor
from .autograd.graph import AccumulateGrad

__all__ = ["draw", "text"]

_INSTALL_HINT = (
    "install Graphviz, which provides it: 'apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS) or 'conda install graphviz'; or call draw(..., "
    "format='dot') and render the DOT text elsewhere")

_BUILTIN_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"'
_CUSTOM_STYLE = 'shape=box, style="filled,bold", fillcolor="#ffd59e", penwidth=2'
_LEAF_STYLE = 'shape=box, style=filled, fillcolor="#d5f0d5"'
_ROOT_STYLE = 'shape=oval, style=filled, fillcolor="#fff3a8"'


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _meta(shape, dtype) -> str:
    return f"[{', '.join(str(s) for s in shape)}] {str(dtype).replace('numtorch.', '')}"


def _is_custom(node) -> bool:
    """A user Function: its forward class is not one of the built-in (array-level) ops."""
    cls = getattr(type(node), "_forward_cls", None)
    return cls is not None and not cls._raw


def _saved_bytes(node) -> int:
    """Bytes held for backward: saved tensors and arrays, plus tensors stored as attributes."""
    arrays = {}  # by id, so a tensor saved twice counts once
    for s in getattr(node, "_saved", None) or ():
        if s is None:
            continue
        kind = s[0]
        if kind == "t":
            arrays[id(s[1]._data)] = s[1]._data
        elif kind in ("o", "a"):
            arrays[id(s[1])] = s[1]
    extra = getattr(node, "__dict__", None) or {}
    for v in extra.values():
        if isinstance(v, _tensor.Tensor):
            arrays[id(v._data)] = v._data
    return sum(getattr(a, "nbytes", 0) for a in arrays.values())


def _walk(root) -> tuple[list, dict]:
    """Every node reachable from ``root`` (iteratively, depth first) and its number."""
    order, ids, stack = [], {}, [root]
    while stack:
        node = stack.pop()
        if id(node) in ids:
            continue
        ids[id(node)] = len(order)
        order.append(node)
        for nxt, _ in reversed(_inputs(node)):
            if id(nxt) not in ids:
                stack.append(nxt)
    return order, ids


def _inputs(node) -> list:
    """``(next_node, slot)`` for each input edge that carries a gradient."""
    if isinstance(node, AccumulateGrad):
        return []
    return [(fn, slot) for slot, (fn, _) in enumerate(node.next_functions) if fn is not None]


def _describe(node, names: dict, show_saved: bool) -> tuple[str, list[str]]:
    """The node's title and its detail lines (shapes, dtypes, saved bytes)."""
    if isinstance(node, AccumulateGrad):
        v = node.variable
        name = names.get(id(v))
        title = name if name is not None else "leaf"
        return title, [_meta(v.shape, v.dtype), "AccumulateGrad"]
    title = node.name()
    lines = []
    if _is_custom(node):
        lines.append("custom Function")
    for m in getattr(node, "_out_meta", None) or ():
        if m is not None:
            lines.append(_meta(*m))
    if show_saved:
        if getattr(node, "_freed", False):
            lines.append("saved: freed")
        else:
            lines.append(f"saved: {_fmt_bytes(_saved_bytes(node))}")
    return title, lines


def _names(params) -> dict:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of name -> tensor, e.g. "
                        f"dict(model.named_parameters()); got {type(params).__name__}")
    return {id(p): n for n, p in params.items()}


def _root_label(tensor) -> str:
    return f"root\n{_meta(tensor.shape, tensor.dtype)}"


def _check_tensor(tensor) -> None:
    if not isinstance(tensor, _tensor.Tensor):
        raise TypeError(f"expected a Tensor whose graph to show, got {type(tensor).__name__}")


def _start(tensor):
    """The node to start from: the tensor's grad_fn, or its accumulator for a leaf."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    if tensor.requires_grad:
        return AccumulateGrad(tensor)
    return None


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_source(tensor, params: dict | None = None, show_saved: bool = True) -> str:
    """The graph behind ``tensor`` as Graphviz DOT text (see ``draw``)."""
    _check_tensor(tensor)
    names = _names(params)
    out = ["digraph autograd {", '  graph [rankdir=TB, fontname="Helvetica"];',
           '  node [fontname="Helvetica", fontsize=10];', '  edge [fontsize=9];',
           f"  root [label={_q(_root_label(tensor))}, {_ROOT_STYLE}];"]
    start = _start(tensor)
    if start is None:
        out.append('  note [shape=plaintext, label="no graph: the tensor does not require '
                   'grad"];')
        out.append("}")
        return "\n".join(out) + "\n"
    order, ids = _walk(start)
    for node in order:
        title, lines = _describe(node, names, show_saved)
        style = (_LEAF_STYLE if isinstance(node, AccumulateGrad)
                 else _CUSTOM_STYLE if _is_custom(node) else _BUILTIN_STYLE)
        out.append(f"  n{ids[id(node)]} [label={_q(chr(10).join([title] + lines))}, {style}];")
    out.append(f"  n{ids[id(start)]} -> root;")
    for node in order:
        edges = _inputs(node)
        for nxt, slot in edges:
            label = f" [label={_q(str(slot))}]" if len(edges) > 1 else ""
            out.append(f"  n{ids[id(nxt)]} -> n{ids[id(node)]}{label};")
    out.append("}")
    return "\n".join(out) + "\n"


def draw(tensor, params: dict | None = None, format: str = "dot", path: str | None = None,
         show_saved: bool = True) -> str | bytes:
    """Render the autograd graph that produced ``tensor``.

    Each op node shows its name (``grad_fn.name()``), output shape and dtype, and the bytes
    its ctx holds for backward; custom Functions are orange and bold, built-ins blue, leaves
    green (named from ``params``, e.g. ``dict(model.named_parameters())``), the root yellow.

    Args:
        format: ``'dot'`` (text, always available), ``'svg'`` or ``'png'`` (need Graphviz's
            ``dot`` program).
        path: also write the result to this file.

    Returns:
        DOT or SVG text (str), or PNG bytes.

    Example::

        loss = model(x).sum()
        numtorch.viz.draw(loss, dict(model.named_parameters()), format="png", path="g.png")
    """
    if format not in ("dot", "svg", "png"):
        raise ValueError(f"format must be 'dot', 'svg' or 'png', got {format!r}")
    src = dot_source(tensor, params, show_saved)
    if format == "dot":
        result: str | bytes = src
    else:
        exe = shutil.which("dot")
        if exe is None:
            raise RuntimeError(f"draw(format={format!r}) needs Graphviz's 'dot' program, which "
                               f"is not on PATH; {_INSTALL_HINT}.")
        proc = subprocess.run([exe, f"-T{format}"], input=src.encode(), capture_output=True,
                              check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"Graphviz 'dot -T{format}' failed: "
                               f"{proc.stderr.decode(errors='replace').strip()}")
        result = proc.stdout.decode() if format == "svg" else proc.stdout
    if path is not None:
        mode = "wb" if isinstance(result, bytes) else "w"
        with open(path, mode) as f:
            f.write(result)
    return result


def text(tensor, params: dict | None = None, show_saved: bool = True) -> str:
    """The autograd graph behind ``tensor`` as an indented tree for terminals.

    A node reached a second time (a shared subgraph) is shown once, then referenced by its
    number (``-> see #3``). Custom Functions are marked ``[custom]``.
    """
    _check_tensor(tensor)
    names = _names(params)
    lines = [f"root: tensor {_meta(tensor.shape, tensor.dtype)}"]
    start = _start(tensor)
    if start is None:
        lines.append("  (no graph: the tensor does not require grad)")
        return "\n".join(lines) + "\n"
    numbers: dict = {}
    # each entry: (node, prefix for this line, prefix for its children, is last child)
    stack = [(start, "", True)]
    while stack:
        node, prefix, last = stack.pop()
        branch = prefix + ("`-- " if last else "|-- ")
        child_prefix = prefix + ("    " if last else "|   ")
        key = id(node)
        if key in numbers:
            lines.append(f"{branch}{node.name()} -> see #{numbers[key]}")
            continue
        numbers[key] = len(numbers) + 1
        title, details = _describe(node, names, show_saved)
        if _is_custom(node):
            title += " [custom]"
            details = details[1:]
        lines.append(f"{branch}#{numbers[key]} {title}  ({', '.join(details)})")
        children = _inputs(node)
        for i in range(len(children) - 1, -1, -1):
            stack.append((children[i][0], child_prefix, i == len(children) - 1))
    return "\n".join(lines) + "\n"
