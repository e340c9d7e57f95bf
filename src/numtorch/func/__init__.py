"""numtorch.func: composable function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian,
vmap, linearize) and running a module with given parameters (functional_call)."""
from __future__ import annotations

from ._debug import debug_unwrap, functionalize
from ._module import functional_call, replace_all_batch_norm_modules_, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian",
           "vmap", "functional_call", "stack_module_state", "replace_all_batch_norm_modules_",
           "functionalize", "debug_unwrap"]
