"""numtorch.autograd: Function, backward, grad, grad-mode switches, gradcheck and anomaly mode."""
from __future__ import annotations

import importlib as _importlib
import sys as _sys
import types as _types

from .. import _tensor  # noqa: F401 (Tensor first: the engine modules below look it up)
from .anomaly_mode import (
                           detect_anomaly,
                           is_anomaly_check_nan_enabled,
                           is_anomaly_enabled,
                           set_detect_anomaly,
)
from .check_mode import (
                         FunctionCheckError,
                         check_functions,
                         is_check_functions_enabled,
                         is_strict_mode_enabled,
                         set_strict_mode,
                         strict_mode,
)
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .graph import Node

__all__ = ["Function", "FunctionCtx", "once_differentiable", "backward", "grad", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "Node",
           "gradcheck", "gradgradcheck", "GradcheckError", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "check_functions", "is_check_functions_enabled", "strict_mode", "set_strict_mode",
           "is_strict_mode_enabled", "FunctionCheckError",
           "check_function", "CheckReport"]

# ---- loaded on first use (PEP 562): tools and transforms that plain training never touches ----
_LAZY_SUBMODULES = frozenset({"check_function", "check_numeric", "forward_ad", "functional",
                              "gradcheck"})
_LAZY_ATTRIBUTES = {"gradcheck": "gradcheck", "gradgradcheck": "gradcheck",
                    "GradcheckError": "gradcheck", "check_function": "check_function",
                    "CheckReport": "check_function"}


def __getattr__(name: str):
    home = _LAZY_ATTRIBUTES.get(name)
    if home is not None:
        value = getattr(_importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _LAZY_SUBMODULES | set(_LAZY_ATTRIBUTES))


class _Package(_types.ModuleType):
    """The package's module type. ``gradcheck`` and ``check_function`` name both a submodule
    and the function in it; the package attribute stays the function (as in PyTorch) even when
    the submodule is first imported on its own, which would otherwise rebind the name to it."""

    def __setattr__(self, name, value):
        if name in ("gradcheck", "check_function") and isinstance(value, _types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
