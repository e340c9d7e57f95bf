"""default_collate (a list of samples into one batch) and default_convert (arrays into
tensors), with PyTorch's rules for each kind of element."""
from __future__ import annotations

import copy
from collections.abc import Mapping, MutableMapping, Sequence

from ... import _backend as B
from ..._creation import as_tensor, tensor
from ..._tensor import Tensor
from ...ops.joining import stack

__all__ = ["default_collate", "default_convert"]

np = B.np

_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def _is_text_array(a) -> bool:
    # strings, bytes, unicode and Python objects cannot become tensors
    return a.dtype.kind in "SaUO"


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data):
    """NumPy arrays and scalars inside ``data`` become tensors (sharing memory where
    possible); mappings and sequences are walked; everything else is returned as is. The
    DataLoader's default when automatic batching is off (``batch_size=None``)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not _is_text_array(np.asarray(data)):
        return as_tensor(np.asarray(data)) if isinstance(data, np.generic) else as_tensor(data)
    if isinstance(data, Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        return _same_mapping(data, converted)
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return _same_sequence(data, [default_convert(d) for d in data])
    return data


def _same_mapping(original, values: dict):
    """``values`` in ``original``'s mapping type where it can be built or copied."""
    if isinstance(original, MutableMapping):
        clone = copy.copy(original)
        clone.update(values)
        return clone
    try:
        return type(original)(values)
    except TypeError:
        return values


def _same_sequence(original, values: list):
    try:
        return type(original)(values)
    except TypeError:
        return values


def default_collate(batch):
    """Combine a list of samples into a batch, element kind by element kind.

    Tensors are stacked along a new first dimension; NumPy arrays likewise (as tensors);
    Python floats become a float64 tensor, ints an int64 tensor, bools a bool tensor;
    NumPy scalars a tensor of their dtype; strings and bytes stay a list; mappings are
    collated key by key; sequences are transposed and collated position by position (tuples
    give lists, named tuples stay named tuples).

    Example: ``default_collate([(x0, 0), (x1, 1)])`` is ``[stack([x0, x1]), tensor([0, 1])]``.
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if _is_text_array(elem):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return default_collate([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        if _is_text_array(np.asarray(elem)):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=B.float64)
    if isinstance(elem, int):  # bools too: a batch of bools gives a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _same_mapping(elem, {key: default_collate([d[key] for d in batch])
                                    for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size (got "
                               f"sizes {[len(s) for s in batch]}); pad the samples or pass "
                               f"a collate_fn")
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        return _same_sequence(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))
