"""Anomaly detection: where each node was created, NaN checks and error context in backward."""
from __future__ import annotations

import functools
import os
import warnings

from .. import _backend as B

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

# NOTE: one module-level flag, global to all threads as in PyTorch; apply and the engine read
# it once per op, so the normal path costs a single attribute lookup
_enabled = False
_check_nan = True

_DEPTH = 24
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection also checks backward results for NaN."""
    return _check_nan


def _set(mode: bool, check_nan: bool) -> None:
    global _enabled, _check_nan
    _enabled = bool(mode)
    _check_nan = bool(check_nan)


class detect_anomaly:
    """Context manager and decorator that turns on anomaly detection inside it.

    While on, every recorded op remembers where in your code it ran; a backward that returns
    NaN or inf (with ``check_nan``) raises a RuntimeError naming the Function, and any error
    raised in a backward shows the forward code that created that node. It slows every op
    down: use it only to find a bug.

    Example::

        with numtorch.autograd.detect_anomaly():
            loss = model(x).sum()
            loss.backward()
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = _enabled
        self.prev_check_nan = _check_nan
        warnings.warn("Anomaly Detection has been enabled: it records a traceback for every op "
                      "and checks every gradient, so it slows training down and should be "
                      "enabled only for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> detect_anomaly:
        self.prev, self.prev_check_nan = _enabled, _check_nan
        _set(True, self.check_nan)
        return self

    def __exit__(self, *exc) -> None:
        _set(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _enabled, _check_nan
            _set(True, self.check_nan)
            try:
                return fn(*args, **kwargs)
            finally:
                _set(*prev)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off; also usable as a context manager (restored on exit).

    Args:
        mode: True to enable it.
        check_nan: also raise when a backward returns NaN or inf.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev, self.prev_check_nan = _enabled, _check_nan
        _set(mode, check_nan)

    def __enter__(self) -> set_detect_anomaly:
        return self

    def __exit__(self, *exc) -> None:
        _set(self.prev, self.prev_check_nan)


# ---- used by function.py and engine.py while anomaly mode is on ------------------------------

def capture(ctx) -> None:
    """Remember where the op recorded as ``ctx`` was run (the caller's stack, unformatted)."""
    # the innermost frames are enough to find the line; a limit keeps the capture cheap
    import traceback  # noqa: PLC0415 (anomaly mode only; traceback costs ~1.5 ms to import)
    ctx._anomaly_trace = traceback.extract_stack(limit=_DEPTH)


def forward_trace(node) -> str:
    """The user's frames of the stack that recorded ``node``, formatted (empty if unknown)."""
    stack = getattr(node, "_anomaly_trace", None)
    if not stack:
        return ""
    user = [f for f in stack if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]
    import traceback  # noqa: PLC0415
    return "".join(traceback.format_list(user or stack))


def _context(node) -> str:
    trace = forward_trace(node)
    if not trace:
        return (f"No forward traceback of {node.name()} was recorded: it was created before "
                f"anomaly detection was enabled.")
    return f"Traceback of the forward call that created {node.name()}:\n{trace}"


def run_backward(node, grads):
    """Call ``node``'s backward; an error raised in it gets the forward traceback attached."""
    try:
        return node._forward_cls.backward(node, *grads)
    except Exception as e:
        context = _context(node)
        # as in PyTorch, a warning with the forward traceback; also a note on the error itself
        warnings.warn(f"Error detected in {node.name()}. {context}", UserWarning, stacklevel=2)
        if hasattr(e, "add_note"):
            e.add_note(f"(anomaly detection) {context}")
        raise


def check_nan(node, results) -> None:
    """Raise when a backward result (a gradient for one of the inputs) holds NaN or inf.

    PyTorch checks NaN only; an infinite gradient is as sure a sign of a bug (it turns into
    NaN one step later), so numtorch reports both, naming which one it found."""
    for i, g in enumerate(results):
        if g is None or not g._dtype.is_floating_point:
            continue
        xp = B.array_module(g._data)
        if xp.isfinite(g._data).all():
            continue
        kind = "nan" if xp.isnan(g._data).any() else "inf"
        raise RuntimeError(
            f"Function '{node.name()}' returned {kind} values in its {i}th output (the "
            f"gradient for input {i} of its forward). {_context(node)}")
