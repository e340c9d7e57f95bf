"""numtorch.save / numtorch.load: safetensors files that round-trip numtorch objects and that
PyTorch reads (and writes) through safetensors.torch."""
from __future__ import annotations

import importlib
import io
import os
import sys

import numpy as np
import pytest

import numtorch as nt
from conftest import require_torch

torch = require_torch()
# safetensors comes with the test extra; under CI a missing one fails instead of skipping
st = (importlib.import_module("safetensors.torch") if os.environ.get("CI") == "true"
      else pytest.importorskip("safetensors.torch"))

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def to_nt(obj):
    """A torch object with every tensor copied into a numtorch tensor."""
    if isinstance(obj, torch.Tensor):
        return nt.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return type(obj)((k, to_nt(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_nt(v) for v in obj)
    return obj


def same(ours, theirs, path="obj"):
    """A numtorch object equals a torch one: tensors by dtype, shape and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, nt.Tensor), path
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], path
        assert tuple(ours.shape) == tuple(theirs.shape), path
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=path)
        return
    assert type(ours) is type(theirs), f"{path}: {type(ours)} vs {type(theirs)}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), path
        for k in theirs:
            same(ours[k], theirs[k], f"{path}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float) and theirs != theirs:
        assert ours != ours, path
    else:
        assert ours == theirs, path


def sample_tensors():
    """Every dtype, 0-d, empty and non-contiguous tensors, as torch tensors."""
    g = torch.Generator().manual_seed(0)
    out = {}
    for name in DTYPES:
        dtype = getattr(torch, name)
        if dtype.is_floating_point:
            t = torch.randn(3, 4, generator=g, dtype=dtype)
        elif dtype is torch.bool:
            t = torch.randn(3, 4, generator=g) > 0
        else:
            t = torch.randint(0, 100, (3, 4), generator=g, dtype=dtype)
        out[name] = t
    out["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    out["int_scalar"] = torch.tensor(-7)
    out["empty"] = torch.zeros(0, 3)
    out["empty_int"] = torch.zeros(2, 0, 1, dtype=torch.int32)
    out["transposed"] = torch.arange(12.0).reshape(3, 4).t()
    out["strided"] = torch.arange(20, dtype=torch.int16)[::3]
    return out


def roundtrip(obj, via="bytes", tmp_path=None, **load_kwargs):
    if via == "bytes":
        buf = io.BytesIO()
        nt.save(obj, buf)
        buf.seek(0)
        return nt.load(buf, **load_kwargs)
    path = tmp_path / "obj.safetensors"
    nt.save(obj, path if via == "pathlib" else str(path))
    return nt.load(path if via == "pathlib" else str(path), **load_kwargs)


# ---- round trips --------------------------------------------------------------------------------
@pytest.mark.parametrize("via", ["bytes", "str", "pathlib"])
def test_state_dict_roundtrip(via, tmp_path):
    theirs = sample_tensors()
    ours = to_nt(theirs)
    ours["transposed"] = nt.arange(12.0).reshape(3, 4).t()  # a true non-contiguous view
    ours["strided"] = nt.arange(20, dtype=nt.int16)[::3]
    assert not ours["transposed"].is_contiguous()
    loaded = roundtrip(ours, via, tmp_path)
    same(loaded, theirs)
    loaded["float32"].add_(1)  # the loaded tensors own writable memory
    assert loaded["float32"].is_contiguous()


def test_single_tensor_and_plain_values(tmp_path):
    for t in (nt.tensor(3.0), nt.zeros(0), nt.randn(2, 3).t(), nt.tensor([True, False])):
        back = roundtrip(t)
        assert back.dtype == t.dtype and back.shape == t.shape
        np.testing.assert_array_equal(back.numpy(), t.numpy())
    nested = {"a": [1, 2.5, None, True, "s", (3, (4,))], 7: {"x": nt.ones(2)},
              "inf": float("inf"), "nan": float("nan"), "dtype": nt.float16,
              "device": nt.device("cpu"), "": nt.zeros(1)}
    back = roundtrip(nested, "str", tmp_path)
    same(to_torchless(back), to_torchless(nested))


def to_torchless(obj):
    """Tensors as (dtype, list) pairs, so two numtorch objects compare with ==."""
    if isinstance(obj, nt.Tensor):
        return ("tensor", obj.dtype, obj.tolist())
    if isinstance(obj, dict):
        return {k: to_torchless(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torchless(v) for v in obj)
    return obj


def test_parameters_and_requires_grad():
    p = nt.nn.Parameter(nt.randn(2, 2))
    frozen = nt.nn.Parameter(nt.ones(3), requires_grad=False)
    leaf = nt.ones(2, requires_grad=True)
    back = roundtrip({"p": p, "frozen": frozen, "leaf": leaf, "plain": nt.zeros(1)})
    assert isinstance(back["p"], nt.nn.Parameter) and back["p"].requires_grad
    assert isinstance(back["frozen"], nt.nn.Parameter) and not back["frozen"].requires_grad
    assert back["leaf"].requires_grad and not back["plain"].requires_grad
    np.testing.assert_array_equal(back["p"].detach().numpy(), p.detach().numpy())


def test_load_options():
    t = {"w": nt.randn(2)}
    for kwargs in ({"map_location": "cpu"}, {"map_location": nt.device("cpu")},
                   {"weights_only": True}, {"weights_only": False}, {"mmap": False},
                   {"map_location": lambda storage, loc: storage}):
        np.testing.assert_array_equal(roundtrip(t, **kwargs)["w"].numpy(), t["w"].numpy())
    with pytest.raises(RuntimeError, match="cuda"):
        roundtrip(t, map_location="cuda")


def test_unsupported_objects_are_refused():
    for bad in (object(), {"x": {1, 2}}, {(1, 2): nt.ones(1)}, [np.float32(1)]):
        with pytest.raises(TypeError, match="numtorch.save"):
            nt.save(bad, io.BytesIO())


# ---- PyTorch interop ----------------------------------------------------------------------------
def torch_model(dtype):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(),
                                torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 3))
    model(torch.randn(16, 5))  # moves the running statistics off their defaults
    return model.to(dtype).eval()


def nt_forward(sd, x):
    """The same network in numtorch ops, from a (loaded) state dict."""
    h = nt.relu(x @ sd["0.weight"].t() + sd["0.bias"])
    h = (h - sd["2.running_mean"]) / nt.sqrt(sd["2.running_var"] + 1e-5)
    h = h * sd["2.weight"] + sd["2.bias"]
    return h @ sd["3.weight"].t() + sd["3.bias"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numtorch_file_loads_into_pytorch(dtype, tmp_path):
    reference = torch_model(getattr(torch, dtype))
    # a state dict built in numtorch (new values, the reference's names and shapes) ...
    rng = np.random.default_rng(1)
    sd = {}
    for k, v in reference.state_dict().items():
        values = rng.standard_normal(tuple(v.shape)) if v.is_floating_point() else 5
        if k.endswith("running_var"):
            values = np.abs(values) + 0.5
        sd[k] = nt.tensor(values, dtype=getattr(nt, str(v.dtype).split(".")[1]))
    path = tmp_path / "model.safetensors"
    nt.save(sd, path)
    # ... is read by PyTorch's own safetensors loader and loads strictly into the model
    loaded = st.load_file(str(path))
    assert set(loaded) == set(sd)
    model = torch_model(getattr(torch, dtype))
    model.load_state_dict(loaded, strict=True)
    for k, v in model.state_dict().items():
        same(sd[k], v, k)
    x = np.random.default_rng(2).standard_normal((4, 5)).astype(dtype)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    ours = nt_forward(sd, nt.tensor(x)).numpy()
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ours, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pytorch_file_loads_into_numtorch(dtype, tmp_path):
    model = torch_model(getattr(torch, dtype))
    path = tmp_path / "torch.safetensors"
    st.save_file(model.state_dict(), str(path))
    for source in (str(path), path, io.BytesIO(path.read_bytes())):
        sd = nt.load(source)
        assert set(sd) == set(model.state_dict())
        for k, v in model.state_dict().items():
            same(sd[k], v, k)
    x = np.random.default_rng(3).standard_normal((6, 5)).astype(dtype)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(nt_forward(sd, nt.tensor(x)).numpy(), expected, rtol=tol,
                               atol=tol)


def test_pytorch_file_of_every_dtype(tmp_path):
    tensors = {k: v.contiguous() for k, v in sample_tensors().items()}
    st.save_file(tensors, str(tmp_path / "all.safetensors"))
    loaded = nt.load(tmp_path / "all.safetensors")
    for k, v in tensors.items():
        same(loaded[k], v, k)
    nt.save(to_nt(tensors), tmp_path / "back.safetensors")
    back = st.load_file(str(tmp_path / "back.safetensors"))
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and torch.equal(back[k], v), k


@pytest.mark.parametrize("make", ["adam", "sgd"])
def test_optimizer_state_dict(make, tmp_path):
    model = torch_model(torch.float32).train()
    if make == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.8, 0.99), amsgrad=True)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(8, 5)).square().mean().backward()
        opt.step()
    theirs = opt.state_dict()
    path = tmp_path / "opt.safetensors"
    nt.save(to_nt(theirs), path)
    # structure and every value come back: int keys, tuples, None, bools, tensors
    same(nt.load(path), theirs)
    # the tensors are in the file itself, readable by PyTorch
    flat = st.load_file(str(path))
    for index, state in theirs["state"].items():
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                assert torch.equal(flat[f"state.{index}.{name}"], value)
    # and the loaded state dict drives PyTorch's optimizer to the same next step
    back = nt.load(path)
    restored = {"state": {i: {k: torch.from_numpy(v.numpy()) if isinstance(v, nt.Tensor)
                              else v for k, v in s.items()} for i, s in back["state"].items()},
                "param_groups": back["param_groups"]}
    twin = torch_model(torch.float32).train()
    twin.load_state_dict(model.state_dict())
    opt2 = type(opt)(twin.parameters(), lr=0.5)
    opt2.load_state_dict(restored)
    x = torch.randn(8, 5)
    for m, o in ((model, opt), (twin, opt2)):
        o.zero_grad()
        m(x).square().mean().backward()
        o.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        assert torch.equal(a, b)


# ---- bad files ----------------------------------------------------------------------------------
def test_truncated_and_corrupt_files(tmp_path):
    good = tmp_path / "good.safetensors"
    nt.save({"w": nt.randn(4, 4), "b": nt.zeros(4)}, good)
    data = good.read_bytes()
    bad = {"truncated": data[:-7], "half": data[:len(data) // 2], "tiny": data[:5],
           "empty": b"", "garbage": b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!",
           "huge_header": (10 ** 9).to_bytes(8, "little") + data[8:]}
    for name, content in bad.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(content)
        with pytest.raises(RuntimeError, match=f"{name}.safetensors.*(truncated|corrupt)"):
            nt.load(path)
        with pytest.raises(RuntimeError, match="truncated or corrupt"):
            nt.load(io.BytesIO(content))
    # valid safetensors, but metadata that does not describe the file
    header_len = int.from_bytes(data[:8], "little")
    header = data[8:8 + header_len].replace(b'"tensor\\": \\"w\\"', b'"tensor\\": \\"q\\"')
    assert header != data[8:8 + header_len]
    path = tmp_path / "meta.safetensors"
    path.write_bytes(data[:8] + header + data[8 + header_len:])
    with pytest.raises(RuntimeError, match="does not hold"):
        nt.load(path)


def test_pickle_files_are_refused(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(RuntimeError, match="pickle.*safetensors.torch.save_file"):
        nt.load(path)


def test_unsupported_dtype_and_pickle_lookalikes(tmp_path):
    path = tmp_path / "bf16.safetensors"
    st.save_file({"a": torch.ones(2, dtype=torch.bfloat16)}, str(path))
    with pytest.raises(TypeError, match="BF16"):
        nt.load(path)
    with pytest.raises(RuntimeError, match="pickle"):
        nt.load(io.BytesIO(b"\x80\x04\x95" + bytes(20)))
    # a valid file whose header length starts with the byte pickles start with still loads
    hits = 0
    for n in range(1, 100, 4):
        data = st.save({"k" * n: torch.arange(3)})
        if data[:1] == b"\x80":
            hits += 1
            same(nt.load(io.BytesIO(data))["k" * n], torch.arange(3))
    assert hits > 0


def test_missing_safetensors_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match="pip install safetensors"):
        nt.save(nt.ones(1), io.BytesIO())
    with pytest.raises(ImportError, match="pip install safetensors"):
        nt.load(io.BytesIO(b""))


def test_numtorch_model_and_optimizer_checkpoint(tmp_path):
    """A numtorch training checkpoint: the model's file loads into PyTorch, and both files
    restore numtorch training exactly."""
    if not all(hasattr(nt.nn, n) for n in ("Linear", "Sequential")) or \
            not hasattr(nt.optim, "Adam"):
        pytest.skip("needs numtorch.nn.Linear/Sequential and numtorch.optim.Adam")

    def make():
        return nt.nn.Sequential(nt.nn.Linear(3, 4), nt.nn.ReLU(), nt.nn.Linear(4, 2))

    nt.manual_seed(0)
    model = make()
    opt = nt.optim.Adam(model.parameters(), lr=0.05, betas=(0.8, 0.9))
    x = nt.tensor(np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32))
    for _ in range(2):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    nt.save(model.state_dict(), tmp_path / "model.safetensors")
    nt.save(opt.state_dict(), tmp_path / "opt.safetensors")
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                    torch.nn.Linear(4, 2))
    reference.load_state_dict(st.load_file(str(tmp_path / "model.safetensors")))
    with torch.no_grad():
        expected = reference(torch.from_numpy(x.numpy())).numpy()
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    twin = make()
    twin.load_state_dict(nt.load(tmp_path / "model.safetensors"))
    twin_opt = nt.optim.Adam(twin.parameters(), lr=1.0)
    twin_opt.load_state_dict(nt.load(tmp_path / "opt.safetensors"))
    for m, o in ((model, opt), (twin, twin_opt)):
        o.zero_grad()
        m(x).square().mean().backward()
        o.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
