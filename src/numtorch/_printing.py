"""Text form of tensors (the layout PyTorch's repr uses) and the print options behind it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors are printed.

    Args:
        precision: digits after the decimal point for floats (default 4).
        threshold: element count above which a tensor is summarized with ``...`` (default 1000).
        edgeitems: items kept at each end of every summarized dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``"default"``, ``"short"`` or ``"full"``; the other arguments override it.
        sci_mode: force scientific (True) or fixed (False) notation; None picks automatically.
            Like PyTorch, every call sets it, so omitting it restores automatic choice.

    Example:
        >>> set_printoptions(precision=2)
        >>> set_printoptions(profile="default")
    """
    # NOTE: an unknown profile name is ignored, as PyTorch does.
    for name, value in _PROFILES.get(profile, {}).items():
        setattr(_OPTS, name, value)
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    for name, value in given.items():
        if value is not None:
            setattr(_OPTS, name, value)
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """Return the current print options as a dict of set_printoptions keyword arguments."""
    return {"precision": _OPTS.precision, "threshold": _OPTS.threshold,
            "edgeitems": _OPTS.edgeitems, "linewidth": _OPTS.linewidth,
            "sci_mode": _OPTS.sci_mode}


class _Formatter:
    """Turns one element into text padded to a width shared by the whole tensor.

    Floats use one notation for the whole tensor, chosen from the finite non-zero values:
    'int' (all integral: ``3.``), 'fixed' (``3.1416``) or 'sci' (``3.1416e+00``). Scientific
    notation is used when magnitudes span more than a factor of 1000, exceed 1e8, or (for
    non-integral values) go below 1e-4. The width is that of the widest finite non-zero value,
    so zeros, nan and inf do not widen columns.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.precision = _OPTS.precision
        self.mode = "int"
        if not self.floating:
            self.width = max((len(str(v)) for v in values.ravel().tolist()), default=1)
            return
        self.width = 1
        shown = values[np.isfinite(values) & (values != 0)].astype(np.float64)
        if shown.size == 0:
            return
        magnitude = np.abs(shown)
        low, high = float(magnitude.min()), float(magnitude.max())
        wide = high / low > 1000.0 or high > 1.0e8
        integral = bool(np.all(np.ceil(shown) == shown))
        if _OPTS.sci_mode is not None:
            sci = _OPTS.sci_mode
        else:
            sci = wide if integral else (wide or low < 1.0e-4)
        self.mode = "sci" if sci else ("int" if integral else "fixed")
        self.width = max(len(self.text(v)) for v in shown.tolist())

    def text(self, value) -> str:
        if not self.floating:
            return str(value)
        if self.mode == "sci":
            return f"{value:.{self.precision}e}"
        if self.mode == "int":
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{self.precision}f}"

    def format(self, value) -> str:
        return self.text(value).rjust(self.width)


def _edges(data: np.ndarray, edgeitems: int) -> np.ndarray:
    """Keep only the first and last ``edgeitems`` entries of every dimension longer than 2x that."""
    for axis, size in enumerate(data.shape):
        if size > 2 * edgeitems:
            keep = list(range(edgeitems)) + list(range(size - edgeitems, size))
            data = np.take(data, keep, axis=axis)
    return data


def _nested(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    """Bracketed text of ``data``, whose first line starts ``indent`` columns in."""
    if data.ndim == 0:
        return fmt.format(data.item())
    edge = _OPTS.edgeitems
    if summarize and not edge:
        return "[...]"
    size = data.shape[0]
    cut = summarize and size > 2 * edge
    picks = list(range(edge)) + list(range(size - edge, size)) if cut else list(range(size))
    if data.ndim == 1:
        items = [fmt.format(v) for v in data[picks].tolist()]
        if cut:
            items.insert(edge, " ...")
        per_line = max(1, (_OPTS.linewidth - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    blocks = [_nested(data[i], indent + 1, summarize, fmt) for i in picks]
    if cut:
        blocks.insert(edge, "...")
    # Blocks of 2-D or more are separated by ndim - 2 blank lines.
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(blocks) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, key=value`` suffixes, moving one to its own line when it would pass linewidth."""
    # The running length counts the last line plus two (PyTorch's rule; the offset matters at
    # the boundary), and after a wrap restarts from the indent without that offset.
    line_len = len(text) - text.rfind("\n") + 1
    parts = [text]
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(
    data,
    dtype_name: str,
    is_default_dtype: bool,
    requires_grad_leaf: bool,
    grad_fn_name: str | None,
    module: str = "numtorch",
    device: str | None = None,
    tangent=None,
) -> str:
    """Format a tensor's array the way ``repr(torch_tensor)`` does, e.g. ``tensor([1., 2.])``.

    Args:
        data: the tensor's values as a NumPy array (float, int, uint8 or bool).
        dtype_name: the dtype's short name, e.g. ``"float64"``.
        is_default_dtype: whether the dtype goes unnamed (the default float dtype, int64, bool).
        requires_grad_leaf: a leaf that requires grad (adds ``requires_grad=True``).
        grad_fn_name: the class name of the tensor's grad_fn, if any (adds ``grad_fn=<...>``).
        module: prefix for the dtype name in ``dtype=numtorch.float64``.
        device: a GPU tensor's device, e.g. ``"cuda:0"`` (adds ``device='cuda:0'``).

        tangent: the tensor's tangent at the active dual level (adds ``tangent=...``, which a
            0-d tangent writes as a number, as PyTorch's does).

    Returns:
        The text, e.g. ``tensor([1.5000, 2.0000], dtype=numtorch.float64, requires_grad=True)``.
        Inside ``vmap`` (``data`` a BatchedArray) it is PyTorch's BatchedTensor form: the whole
        batch, batch dimension first, wrapped in ``BatchedTensor(lvl=1, bdim=0, value=...)``.
    """
    if getattr(data, "_duck_array", False):
        if grad_fn_name == "_AddBatchDimBackward":
            # NOTE: the batch as it entered vmap; PyTorch shows that tensor's own grad_fn,
            # here a vmapped input that requires grad shows requires_grad=True
            requires_grad_leaf, grad_fn_name = True, None

        def plain(a, _):
            return tensor_repr(a, dtype_name, is_default_dtype, False, None, module, device)

        def inner(a, t):  # the physical batch, with its tangent's text when there is one
            if t is not None:
                t = (_batched_repr(t, None, plain) if _is_batched(t)
                     else str(t.item()) if t.ndim == 0 else plain(_host(t), None))
            return tensor_repr(a, dtype_name, is_default_dtype, requires_grad_leaf,
                               grad_fn_name, module, device, t)
        return _batched_repr(data, None if tangent is None else tangent._data, inner)
    data = np.asarray(data)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = [] if device is None else [f"device='{device}'"]
    dtype_suffix = f"dtype={module}.{dtype_name}"
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        # Empty tensors name every dtype but the default float one (int64 and bool included).
        if not (is_default_dtype and data.dtype.kind == "f"):
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not _OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if not is_default_dtype:
            suffixes.append(dtype_suffix)
        summarize = data.size > _OPTS.threshold
        fmt = _Formatter(_edges(data, _OPTS.edgeitems) if summarize else data)
        body = _nested(data, indent, summarize, fmt)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad_leaf:
        suffixes.append("requires_grad=True")
    if tangent is not None:
        # a Tensor's text as f"{t}" writes it: a 0-d one as a number (the item)
        batched = not isinstance(tangent, str) and _is_batched(tangent._data)
        suffixes.append(f"tangent={tangent!r}" if batched else f"tangent={tangent}")
    return _with_suffixes(prefix + body, suffixes, indent)


def _is_batched(a) -> bool:
    return getattr(a, "_duck_array", False)


def _host(a):
    from ._backend import to_host  # noqa: PLC0415
    return to_host(a)


def _batched_repr(data, tangent, inner) -> str:
    """A batched array's text: one ``BatchedTensor(...)`` wrapper per vmap level (innermost vmap
    outside), around ``inner(physical array, its tangent's array or None)``; a tangent batched
    at the same levels is unwrapped alongside."""
    from .func._vmap import ACTIVE  # noqa: PLC0415
    # NOTE: levels are numbered from 1 among the vmaps running now, as PyTorch numbers its
    # transform levels; PyTorch also counts grad/jvp levels, and its bdim is the input's
    # in_dim, while the batch dimension is always first here.
    running = sorted(ACTIVE)
    level = running.index(data.level) + 1 if data.level in running else data.level
    value = data.data
    if _is_batched(tangent) and tangent.level == data.level:
        tangent = tangent.data
    text = (_batched_repr(value, tangent, inner) if _is_batched(value)
            else inner(_host(value), tangent))
    body = "\n".join("    " + line if line else line for line in text.split("\n"))
    return f"BatchedTensor(lvl={level}, bdim=0, value=\n{body}\n)"
