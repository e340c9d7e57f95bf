"""numtorch.autograd: Function, backward, grad, grad-mode switches, gradcheck and anomaly mode."""
from __future__ import annotations

from . import functional  # noqa: F401 (numtorch.autograd.functional)
from .anomaly_mode import (
                           detect_anomaly,
                           is_anomaly_check_nan_enabled,
                           is_anomaly_enabled,
                           set_detect_anomaly,
)
from .check_function import CheckReport, check_function
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
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node

__all__ = ["Function", "FunctionCtx", "once_differentiable", "backward", "grad", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "Node",
           "gradcheck", "gradgradcheck", "GradcheckError", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "check_functions", "is_check_functions_enabled", "strict_mode", "set_strict_mode",
           "is_strict_mode_enabled", "FunctionCheckError",
           "check_function", "CheckReport"]
