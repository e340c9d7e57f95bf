"""numtorch.save / numtorch.load: tensors and (nested) state dicts as safetensors files, never
pickle, so loading a file cannot run code."""
from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from typing import IO, Any

from . import _backend as B
from ._tensor import Tensor

__all__ = ["save", "load"]

# The file layout: safetensors holds the arrays; the header's metadata holds, under
# _KEY, a JSON tree of the saved object in which every tensor is a reference to an array by
# name. A flat {name: tensor} state dict keeps its own names, so safetensors.torch.load_file
# gives PyTorch the same state dict. Files without the tree (written by other tools) load as
# a flat {name: tensor} dict.
_KEY = "numtorch"
_VERSION = 1
# safetensors' names for the dtypes numtorch has
_SUPPORTED = ("F16", "F32", "F64", "I8", "I16", "I32", "I64", "U8", "BOOL")


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError("numtorch.save and numtorch.load store tensors in the safetensors "
                          "format and need the safetensors package: pip install safetensors "
                          "(or pip install 'numtorch[io]')") from None
    return safetensors.numpy


# ---- save -----------------------------------------------------------------------------------
def _unique(name: str, arrays: dict) -> str:
    if name not in arrays:
        return name
    n = 1
    while f"{name}#{n}" in arrays:
        n += 1
    return f"{name}#{n}"


def _key(k):
    if k is None or isinstance(k, (bool, int, str)):
        return k
    if isinstance(k, float) and math.isfinite(k):
        return k
    raise TypeError(f"numtorch.save: cannot store a dict key of type {type(k).__name__} "
                    f"({k!r}); keys must be strings, ints, finite floats, bools or None")


def _encode(obj, path: str, arrays: dict):
    """``obj`` as a JSON-ready tree; its tensors' arrays go into ``arrays``."""
    if isinstance(obj, Tensor):
        from .nn.parameter import Parameter
        name = _unique(path or "tensor", arrays)
        a = B.to_host(obj._data)  # a GPU tensor's values are copied to the host
        # (not ascontiguousarray: it turns 0-d arrays into 1-d ones)
        arrays[name] = a if a.flags.c_contiguous else a.copy(order="C")
        node = {"tensor": name}
        if B.is_gpu_array(obj._data):
            node["device"] = str(obj.device)  # loaded back there unless map_location says
        if isinstance(obj, Parameter):
            node["parameter"] = obj.requires_grad
        elif obj.requires_grad:
            node["requires_grad"] = True
        return node
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": repr(obj)}
    if isinstance(obj, dict):
        tag = "odict" if isinstance(obj, OrderedDict) else "dict"
        return {tag: [[_key(k), _encode(v, f"{path}.{k}" if path else str(k), arrays)]
                      for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        tag = "list" if isinstance(obj, list) else "tuple"
        return {tag: [_encode(v, f"{path}.{i}" if path else str(i), arrays)
                      for i, v in enumerate(obj)]}
    if isinstance(obj, B.dtype):
        return {"dtype": obj.name}
    if isinstance(obj, B.device):
        return {"device": str(obj)}
    raise TypeError(f"numtorch.save: cannot store an object of type {type(obj).__name__} at "
                    f"'{path or '<root>'}': a saved object may hold tensors, numbers, strings, "
                    f"None, dtypes, devices and (nested) dicts, lists and tuples of them")


def save(obj: Any, f: str | os.PathLike | IO[bytes], pickle_module=None,
         pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save a tensor, a state dict, an optimizer state dict or any nesting of dicts, lists and
    tuples of tensors and plain values to ``f`` (a path or a binary file object).

    The file is in the safetensors format: tensors as arrays, everything else as JSON
    metadata. A flat ``{name: tensor}`` state dict loads into PyTorch with
    ``safetensors.torch.load_file(path)``.

    NOTE: unlike ``torch.save`` nothing is pickled (``pickle_module`` and
    ``pickle_protocol`` are accepted and ignored); tensors that share memory are stored as
    separate copies.
    """
    sn = _safetensors_numpy()
    arrays: dict = {}
    tree = _encode(obj, "", arrays)
    metadata = {"format": "pt", _KEY: json.dumps({"version": _VERSION, "tree": tree})}
    data = sn.save(arrays, metadata=metadata)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as out:
            out.write(data)
    else:
        f.write(data)


# ---- load -----------------------------------------------------------------------------------
def _corrupt(name: str, detail: str) -> RuntimeError:
    return RuntimeError(f"numtorch.load: {name} is not a valid safetensors file ({detail}); it "
                        f"is probably truncated or corrupt: write it again with "
                        f"numtorch.save (or safetensors' save_file)")


def _read(f) -> tuple[bytes, str]:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as source:
            return source.read(), repr(os.fspath(f))
    return f.read(), repr(getattr(f, "name", f))


def _pickled(data: bytes, name: str) -> RuntimeError | None:
    """The error for a torch.save file (a zip archive or a bare pickle), if it is one."""
    if data[:4] == b"PK\x03\x04" or data[:1] == b"\x80":
        return RuntimeError(f"numtorch.load: {name} looks like a torch.save file (a pickle "
                            f"archive), which numtorch never reads because unpickling can run "
                            f"code; in PyTorch, save it with safetensors.torch.save_file("
                            f"state_dict, path) and load that file")
    return None


def _header(data: bytes, name: str) -> dict:
    if len(data) < 8:
        raise _pickled(data, name) or _corrupt(
            name, f"{len(data)} bytes, shorter than the 8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8:
        raise _pickled(data, name) or _corrupt(
            name, f"the header claims {n} bytes but the file has {len(data) - 8} after its "
                  f"length")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, ValueError) as e:
        raise _pickled(data, name) or _corrupt(name, f"unreadable header: {e}") from None
    if not isinstance(header, dict):
        raise _corrupt(name, "the header is not a JSON object")
    for key, entry in header.items():
        kind = entry.get("dtype") if isinstance(entry, dict) else None
        if key != "__metadata__" and kind is not None and kind not in _SUPPORTED:
            raise TypeError(f"numtorch.load: tensor {key!r} in {name} has dtype {kind}, which "
                            f"numtorch does not support (F16, F32, F64, I8, I16, I32, I64, U8, "
                            f"BOOL); convert it before saving, e.g. tensor.float() in PyTorch")
    return header


def _decode(node, tensors: dict, name: str, place=None):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or len(node) not in (1, 2, 3):
        raise _corrupt(name, f"unexpected entry in the numtorch metadata: {node!r:.80}")
    if "tensor" in node:
        try:
            t = Tensor._make(tensors[node["tensor"]])
        except (KeyError, TypeError):
            raise _corrupt(name, f"the metadata names a tensor {node['tensor']!r} that the "
                                 f"file does not hold") from None
        if place is not None:
            t = place(t, node.get("device", "cpu"))
        if "parameter" in node:
            from .nn.parameter import Parameter
            return Parameter(t, bool(node["parameter"]))
        return t.requires_grad_(True) if node.get("requires_grad") else t
    if len(node) != 1:
        raise _corrupt(name, f"unexpected entry in the numtorch metadata: {node!r:.80}")
    (tag, value), = node.items()
    if tag in ("dict", "odict"):
        items = [(k, _decode(v, tensors, name, place)) for k, v in value]
        return OrderedDict(items) if tag == "odict" else dict(items)
    if tag in ("list", "tuple"):
        items = [_decode(v, tensors, name, place) for v in value]
        return items if tag == "list" else tuple(items)
    if tag == "float":
        return float(value)
    if tag == "dtype":
        return getattr(B, "bool_" if value == "bool" else value)
    if tag == "device":
        return B.device(value)
    raise _corrupt(name, f"unknown entry {tag!r} in the numtorch metadata")


def _placer(map_location):
    """A function (tensor read into host memory, the device it was saved from) -> the tensor
    where it should be loaded: the saved device unless ``map_location`` (a device, a
    {saved: target} dict, or a callable(tensor, location) returning a tensor or None) says
    otherwise."""
    def place(t, location):
        if callable(map_location) and not isinstance(map_location, (str, B.device)):
            moved = map_location(t, location)
            if isinstance(moved, Tensor):
                return moved
            target = location
        elif isinstance(map_location, dict):
            target = map_location.get(location, location)
        else:
            target = location if map_location is None else map_location
        target = B.device(target)
        if target.type == "cpu":
            return t
        try:
            device = B.get_device(target)
        except RuntimeError as e:
            raise RuntimeError(f"numtorch.load: the file holds a tensor saved on {location}, "
                               f"but it cannot be loaded there: {e} To load on this machine, "
                               f"pass map_location='cpu'.") from None
        return Tensor._make(B.to_device(t._data, device))
    return place


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        B.device(target)  # a clear error for a malformed device now, before reading the file


def load(f: str | os.PathLike | IO[bytes], map_location=None, pickle_module=None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args) -> Any:
    """Load what ``numtorch.save`` wrote to ``f`` (a path or a binary file object); a
    safetensors file from elsewhere (``safetensors.torch.save_file``) loads as a
    ``{name: tensor}`` dict.

    Tensors saved from a GPU load back onto it unless ``map_location`` says otherwise: a
    device (``'cpu'``, ``'cuda:0'``), a ``{saved: target}`` dict such as ``{'cuda:0': 'cpu'}``,
    or a callable ``(tensor, location)`` returning the tensor to use (None: the default).
    Loading never runs code, so it is always ``weights_only`` in effect. A truncated or corrupt
    file raises RuntimeError.
    """
    sn = _safetensors_numpy()
    _check_map_location(map_location)
    data, name = _read(f)
    header = _header(data, name)
    try:
        arrays = sn.load(data)
    except Exception as e:  # safetensors' own error type (SafetensorError) or NumPy's
        raise _corrupt(name, str(e)) from None
    for key, array in arrays.items():
        if not array.flags.writeable:
            arrays[key] = array.copy()
    meta = header.get("__metadata__") or {}
    place = _placer(map_location)
    if _KEY not in meta:
        return {key: place(Tensor._make(arrays[key]), "cpu")
                for key in header if key != "__metadata__"}
    try:
        tree = json.loads(meta[_KEY])["tree"]
    except (ValueError, KeyError, TypeError) as e:
        raise _corrupt(name, f"unreadable numtorch metadata: {e}") from None
    return _decode(tree, arrays, name, place)
