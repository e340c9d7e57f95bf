"""PyTorch's type promotion: which dtype an op between tensors and Python numbers computes in."""
from __future__ import annotations

from . import _backend as B

# Within one category the wider type wins; mixed signed/unsigned integers take the
# smallest signed type that holds both, as in PyTorch (uint8 with int8 gives int16).
_INT_ORDER = {B.uint8: 0, B.int8: 1, B.int16: 2, B.int32: 3, B.int64: 4}
_FLOAT_ORDER = {B.float16: 0, B.float32: 1, B.float64: 2}

_default_dtype = [B.float32]


def get_default_dtype() -> B.dtype:
    """The dtype of Python floats and of the floating-point factories (float32 unless changed)."""
    return _default_dtype[0]


def set_default_dtype(d: B.dtype) -> None:
    """Set the default floating-point dtype (float32 or float64, as in PyTorch)."""
    if d not in (B.float32, B.float64, B.float16):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype[0] = d


def promote_types(a: B.dtype, b: B.dtype) -> B.dtype:
    """The smallest dtype both ``a`` and ``b`` convert to safely (PyTorch's table)."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == 2:
        return a if _FLOAT_ORDER[a] > _FLOAT_ORDER[b] else b
    if a.category == 0:
        return a
    if (a is B.uint8) != (b is B.uint8):  # one unsigned, one signed
        signed = b if a is B.uint8 else a
        return B.int16 if signed is B.int8 else signed
    return a if _INT_ORDER[a] > _INT_ORDER[b] else b


def scalar_dtype(value) -> B.dtype:
    """The dtype a Python number takes on its own: bool, int64, or the default float."""
    if isinstance(value, bool):
        return B.bool_
    if isinstance(value, int):
        return B.int64
    if isinstance(value, float):
        return _default_dtype[0]
    if isinstance(value, complex):
        raise TypeError("numtorch has no complex dtypes yet")
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def _combine(higher, lower):
    """Let a lower-priority group (0-d tensors, then numbers) raise the category, not the width."""
    if higher is None:
        return lower
    if lower is None or higher.category == 2:
        return higher
    if higher.category == 0 or lower.category == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> B.dtype:
    """The dtype an elementwise op computes in, given arrays (from tensors) and Python numbers.

    Dimensioned tensors decide; 0-d tensors and then Python numbers (NumPy scalars among
    them) only count when they belong to a higher category (bool < integer < floating), as in
    PyTorch.
    """
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, B.np.generic):
            x = x.item()  # a NumPy scalar counts as a Python number, as in PyTorch
        if hasattr(x, "dtype"):
            d = B.dtype_of(x)
            if x.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def can_cast(from_: B.dtype, to: B.dtype) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to``: never to a lower category
    (floating -> integer -> bool); any width within a category."""
    return from_.category <= to.category
