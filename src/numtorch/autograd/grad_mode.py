"""Grad mode, per thread: no_grad, enable_grad, set_grad_enabled, inference_mode."""
from __future__ import annotations

import functools
import inspect
from _thread import _local  # threading.local itself, without importing threading (~0.5 ms)

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode"]


class _State(_local):
    enabled = True


_state = _State()


def is_grad_enabled() -> bool:
    """True when operations are being recorded for backward in this thread."""
    return _state.enabled


class _GradModeContext:
    """Base of the grad-mode managers: a context manager that also decorates functions."""

    _mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        if isinstance(fn, type):
            raise TypeError(f"{type(self).__name__} decorates functions, not classes")
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, fn):
        """A generator function runs in the mode each time it resumes; the caller's mode is
        back in force while it is suspended at a ``yield``."""
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            resume, value = gen.send, None
            while True:
                with self.clone():
                    try:
                        out = resume(value)
                    except StopIteration as stop:
                        return stop.value
                try:
                    value = yield out
                    resume = gen.send
                except GeneratorExit:
                    with self.clone():
                        gen.close()
                    raise
                except BaseException as e:  # thrown into us: pass it on to fn's generator
                    resume, value = gen.throw, e
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Context manager and decorator that stops recording operations for backward.

    Example::

        with numtorch.no_grad():
            w -= lr * w.grad
    """

    _mode = False

    def __init__(self, orig_func=None):
        # allow the bare decorator form ``@no_grad`` as well as ``@no_grad()``
        self._func = orig_func

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns recording back on inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: as a function call, a context manager, or a decorator."""

    def __init__(self, mode: bool):
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, fn):
        _state.enabled = self._prev  # used as a decorator: the mode applies inside fn only
        return super().__call__(fn)

    def clone(self):
        return set_grad_enabled(self._mode)


class inference_mode(no_grad):
    """Like no_grad (numtorch has no separate inference tensors)."""

    def __new__(cls, mode=True):
        if callable(mode):
            self = object.__new__(cls)
            self._mode = False
            return self(mode)
        self = object.__new__(cls)
        self._mode = not mode
        return self

    def __init__(self, mode=True):
        pass

    def clone(self):
        return inference_mode(not self._mode)
