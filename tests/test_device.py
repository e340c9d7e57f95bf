"""Devices: CUDA tensors through the GPU backend (a real GPU when present, else fake_cupy),
transfers, factories, device errors, the random generators, modules, optimizers, save/load,
and what happens without a GPU."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest

import numtorch
from conftest import REAL_GPU, cuda_context
from numtorch import _backend as B

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
# fake_cupy computes with NumPy, so its results equal the CPU's; a real GPU sums float32 in
# another order (cuBLAS, its reductions): tolerances widen by this factor there
SLACK = 100 if REAL_GPU else 1


@pytest.fixture
def cuda():
    with cuda_context():
        yield numtorch.device("cuda:0")


@pytest.fixture
def no_gpu(monkeypatch):
    """numtorch as on a machine without CuPy."""
    monkeypatch.setattr(B, "_cupy", None)
    monkeypatch.setattr(B, "_cuda_ndarray", B._NoArray)
    monkeypatch.setattr(B, "_cupy_tried", True)
    monkeypatch.setattr(B, "_cupy_problem",
                        "CuPy could not be used (ModuleNotFoundError: No module named 'cupy')")


def host(t):
    return t.detach().cpu().numpy()


# ---- without a GPU ----------------------------------------------------------------------------

def test_without_gpu_nothing_is_available(no_gpu):
    assert numtorch.cuda.is_available() is False
    assert numtorch.cuda.device_count() == 0
    numtorch.cuda.manual_seed_all(3)  # accepted, as in PyTorch
    numtorch.cuda.manual_seed(3)


@pytest.mark.parametrize("make", [
    lambda: numtorch.zeros(2, device="cuda"),
    lambda: numtorch.randn(2, device="cuda:0"),
    lambda: numtorch.tensor([1.0], device=numtorch.device("cuda", 0)),
    lambda: numtorch.ones(2).cuda(),
    lambda: numtorch.ones(2).to("cuda"),
    lambda: numtorch.nn.Linear(2, 2).cuda(),
    lambda: numtorch.nn.Linear(2, 2, device="cuda"),
    lambda: numtorch.cuda.synchronize(),
])
def test_without_gpu_cuda_requests_say_what_to_install(no_gpu, make):
    with pytest.raises(RuntimeError) as e:
        make()
    message = str(e.value)
    assert "pip install 'numtorch[gpu]'" in message and "cupy-cuda12x" in message
    assert "NVIDIA GPU" in message and "No module named 'cupy'" in message


def test_without_gpu_cpu_tensors_report_cpu(no_gpu):
    t = numtorch.ones(2)
    assert t.device == numtorch.device("cpu") and t.device.type == "cpu"
    assert not t.is_cuda
    assert t.cpu() is t and t.to("cpu") is t


# ---- devices and transfers --------------------------------------------------------------------

def test_cuda_tensors_report_their_device(cuda):
    t = numtorch.zeros(2, 3, device="cuda")
    assert t.is_cuda and t.device == numtorch.device("cuda", 0) and t.device == "cuda:0"
    assert repr(t.device) == "device(type='cuda', index=0)" and str(t.device) == "cuda:0"
    assert numtorch.cuda.is_available() and numtorch.cuda.device_count() >= 1
    assert numtorch.cuda.current_device() == 0
    assert t.get_device() == 0 and numtorch.ones(1).get_device() == -1
    assert isinstance(numtorch.cuda.get_device_name(), str)
    assert numtorch.cuda.memory_allocated() >= 0 and numtorch.cuda.memory_reserved() >= 0
    numtorch.cuda.empty_cache()


def test_transfers_keep_values_and_dtype(cuda):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]  # non-contiguous
    t = numtorch.from_numpy(a)
    for moved in (t.cuda(), t.to("cuda"), t.to(cuda), t.to(device="cuda:0"),
                  t.to(numtorch.zeros(1, device="cuda"))):
        assert moved.is_cuda and moved.dtype == numtorch.float32
        np.testing.assert_array_equal(host(moved), a)
    both = t.to("cuda", numtorch.float64)
    assert both.is_cuda and both.dtype == numtorch.float64
    back = both.cpu()
    assert back.device.type == "cpu" and isinstance(back.numpy(), np.ndarray)
    np.testing.assert_array_equal(back.numpy(), a)
    g = t.cuda()
    assert g.cuda() is g and g.to("cuda:0") is g  # already there: no copy
    assert g.to("cuda", copy=True) is not g


def test_gradients_flow_back_across_devices(cuda):
    w = numtorch.tensor([1.0, -2.0, 3.0], requires_grad=True)  # a CPU leaf
    y = (w.cuda() * numtorch.tensor([2.0, 2.0, 2.0], device="cuda")).relu().sum()
    assert y.grad_fn is not None and y.is_cuda
    y.backward()
    assert w.grad.device.type == "cpu"
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 0.0, 2.0])
    v = numtorch.ones(3, device="cuda", requires_grad=True)  # a CUDA leaf used on the CPU
    (v.cpu() * 3).sum().backward()
    assert v.grad.is_cuda
    np.testing.assert_array_equal(host(v.grad), [3.0, 3.0, 3.0])


def test_numpy_of_cuda_tensor_raises_type_error(cuda):
    t = numtorch.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"tensor\.cpu\(\)\.numpy\(\)") as e:
        t.numpy()
    assert "cuda:0" in str(e.value)
    with pytest.raises(TypeError):
        np.asarray(t)
    np.testing.assert_array_equal(t.numpy(force=True), [1.0, 1.0])  # force copies, as PyTorch


def test_python_values_of_cuda_tensors(cuda):
    t = numtorch.tensor([[1.5, 2.0], [3.0, 4.0]], device="cuda")
    assert t.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert t[0, 0].item() == 1.5 and float(t[1, 1]) == 4.0 and int(t[1, 0]) == 3
    assert bool(t[0, 0] > 1) is True
    assert repr(t) == "tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]], device='cuda:0')"
    assert repr(numtorch.ones(2, dtype=numtorch.float64, device="cuda")) == \
        "tensor([1., 1.], device='cuda:0', dtype=numtorch.float64)"


# ---- factories --------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda d: numtorch.zeros(2, 3, device=d), lambda d: numtorch.ones(2, device=d),
    lambda d: numtorch.empty(2, device=d), lambda d: numtorch.full((2,), 7, device=d),
    lambda d: numtorch.eye(3, device=d), lambda d: numtorch.arange(5, device=d),
    lambda d: numtorch.linspace(0, 1, 5, device=d), lambda d: numtorch.tensor([1, 2], device=d),
    lambda d: numtorch.as_tensor([1.0], device=d),
    lambda d: numtorch.as_tensor(np.ones(2), device=d),
    lambda d: numtorch.randn(2, device=d), lambda d: numtorch.rand(2, device=d),
    lambda d: numtorch.randint(0, 5, (3,), device=d),
    lambda d: numtorch.zeros_like(numtorch.ones(2), device=d),
    lambda d: numtorch.ones(2).new_zeros(3, device=d),
])
def test_factories_take_device(cuda, make):
    t = make("cuda")
    assert t.is_cuda and t.device == "cuda:0"
    assert make("cpu").device.type == "cpu"


def test_like_and_new_factories_keep_the_device(cuda):
    t = numtorch.ones(2, 3, device="cuda")
    for made in (numtorch.zeros_like(t), numtorch.ones_like(t), numtorch.full_like(t, 2.0),
                 numtorch.empty_like(t), numtorch.rand_like(t), numtorch.randn_like(t),
                 numtorch.randint_like(t, 3), t.new_zeros(2), t.new_ones(2), t.new_full((2,), 1),
                 t.new_empty(2), t.new_tensor([1.0, 2.0]), t.clone(), t.detach()):
        assert made.is_cuda, made
    assert numtorch.zeros_like(t, device="cpu").device.type == "cpu"


def test_cuda_random_numbers_are_the_cpu_ones(cuda):
    # NOTE: numtorch's GPU generator draws on the host with the CPU algorithm (PyTorch's CUDA
    # generator gives other numbers): one seed, the same numbers on both devices
    numtorch.manual_seed(5)
    cpu = numtorch.randn(4, 3)
    numtorch.manual_seed(5)
    gpu = numtorch.randn(4, 3, device="cuda")
    np.testing.assert_array_equal(host(gpu), cpu.numpy())
    # each device has its own generator: drawing on one does not move the other
    numtorch.manual_seed(5)
    numtorch.randn(10)
    np.testing.assert_array_equal(host(numtorch.randn(4, 3, device="cuda")), cpu.numpy())
    numtorch.cuda.manual_seed(6)
    other = numtorch.randn(4, 3, device="cuda")
    numtorch.cuda.manual_seed_all(6)
    np.testing.assert_array_equal(host(numtorch.randn(4, 3, device="cuda")), host(other))
    state = numtorch.cuda.get_rng_state()
    first = host(numtorch.rand(3, device="cuda"))
    numtorch.cuda.set_rng_state(state)
    np.testing.assert_array_equal(host(numtorch.rand(3, device="cuda")), first)


# ---- one device per op ------------------------------------------------------------------------

@pytest.mark.parametrize("op,name", [
    (lambda a, b: a + b, "Add"), (lambda a, b: a.mm(b), "Mm"),
    (lambda a, b: numtorch.cat([a, b]), "Cat"), (lambda a, b: b * a, "Mul"),
    (lambda a, b: a.add_(b), "Add"),
])
def test_mixing_devices_raises(cuda, op, name):
    a = numtorch.ones(2, 2, device="cuda")
    b = numtorch.ones(2, 2)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device") as e:
        op(a, b)
    assert name in str(e.value) and "cuda:0" in str(e.value) and "cpu" in str(e.value)


def test_numbers_and_0d_cpu_tensors_mix_with_cuda_tensors(cuda):
    a = numtorch.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    for out in (a + 1, 2.5 * a, a + numtorch.tensor(3.0), numtorch.tensor(2.0) * a,
                a.clamp(min=numtorch.tensor(1.5)) if False else a.clamp(min=1.5),
                numtorch.where(a > 1, a, numtorch.tensor(0.0))):
        assert out.is_cuda
    (a * numtorch.tensor(3.0)).sum().backward()
    assert a.grad.is_cuda
    np.testing.assert_array_equal(host(a.grad), [3.0, 3.0])


def test_two_gpus_do_not_mix(cuda):
    if numtorch.cuda.device_count() < 2:
        pytest.skip("one GPU")
    a = numtorch.ones(2, device="cuda:0")
    b = a.to("cuda:1")
    assert b.device == "cuda:1" and a.device == "cuda:0"
    with pytest.raises(RuntimeError, match="cuda:0 and cuda:1"):
        a + b
    np.testing.assert_array_equal(host(b.to("cuda:0") + a), [2.0, 2.0])


def test_copy_between_devices(cuda):
    g = numtorch.zeros(3, device="cuda")
    g.copy_(numtorch.tensor([1.0, 2.0, 3.0]))
    assert g.is_cuda
    np.testing.assert_array_equal(host(g), [1.0, 2.0, 3.0])
    c = numtorch.zeros(3)
    c.copy_(g)
    np.testing.assert_array_equal(c.numpy(), [1.0, 2.0, 3.0])
    c[numtorch.tensor([0, 2])] = 5.0
    g[g > 1.5] = 0.0
    np.testing.assert_array_equal(host(g), [1.0, 0.0, 0.0])


def test_synchronize_and_current_device(cuda):
    numtorch.cuda.synchronize()
    numtorch.cuda.synchronize("cuda:0")
    with numtorch.cuda.device(0):
        assert numtorch.cuda.current_device() == 0
    numtorch.cuda.set_device(0)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        numtorch.zeros(1, device="cuda:7")


# ---- modules, optimizers, save/load -----------------------------------------------------------

def _net():
    numtorch.manual_seed(0)
    return numtorch.nn.Sequential(numtorch.nn.Linear(4, 8), numtorch.nn.ReLU(),
                                  numtorch.nn.BatchNorm1d(8), numtorch.nn.Linear(8, 2))


def test_module_to_and_back_keeps_parameter_identity(cuda):
    net = _net()
    params = list(net.parameters())
    assert net.to("cuda") is net
    assert [p for p in net.parameters()] == params or all(
        a is b for a, b in zip(net.parameters(), params))
    assert all(p.is_cuda for p in net.parameters())
    assert all(b.is_cuda for b in net.buffers())
    out = net(numtorch.randn(5, 4, device="cuda"))
    assert out.is_cuda
    out.sum().backward()
    assert all(p.grad.is_cuda for p in net.parameters())
    net.cpu()
    assert all(p.device.type == "cpu" and p.grad.device.type == "cpu"
               for p in net.parameters())
    net.cuda()
    assert all(p.is_cuda for p in net.parameters())
    lin = numtorch.nn.Linear(3, 2, device="cuda")
    assert lin.weight.is_cuda and lin.bias.is_cuda


OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)), ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)), ("Adagrad", dict(lr=0.1)),
    ("Adadelta", dict(lr=1.0)), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01)), ("LBFGS", dict(lr=0.5, max_iter=3)),
]


def _train(name, kwargs, device, steps=3):
    net = _net().to(device)
    opt = getattr(numtorch.optim, name)(net.parameters(), **kwargs)
    sched = numtorch.optim.lr_scheduler.StepLR(opt, 1, 0.5) if name != "LBFGS" else None
    numtorch.manual_seed(1)
    x, y = numtorch.randn(6, 4, device=device), numtorch.randn(6, 2, device=device)
    for _ in range(steps):
        def closure():
            opt.zero_grad()
            loss = numtorch.nn.functional.mse_loss(net(x), y)
            loss.backward()
            return loss
        opt.step(closure)
        if sched is not None:
            sched.step()
    return net, opt


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizers_train_gpu_parameters_like_cpu_ones(cuda, name, kwargs):
    cpu_net, _ = _train(name, kwargs, "cpu")
    gpu_net, opt = _train(name, kwargs, "cuda")
    for p, q in zip(cpu_net.parameters(), gpu_net.parameters()):
        assert q.is_cuda
        np.testing.assert_allclose(host(q), p.detach().numpy(), rtol=1e-5 * SLACK,
                                   atol=1e-6 * SLACK)
    for state in opt.state.values():
        for key, value in state.items():
            if isinstance(value, numtorch.Tensor) and value.dim() > 0:
                assert value.is_cuda, f"{name} state {key} is on {value.device}"


def test_save_and_load_gpu_tensors(cuda, tmp_path):
    pytest.importorskip("safetensors")
    net = _net().cuda()
    path = tmp_path / "net.safetensors"
    numtorch.save({"model": net.state_dict(), "step": 3}, path)
    loaded = numtorch.load(path)
    assert loaded["step"] == 3
    for key, value in net.state_dict().items():
        assert loaded["model"][key].device == value.device, key
        np.testing.assert_array_equal(host(loaded["model"][key]), host(value))
    on_cpu = numtorch.load(path, map_location="cpu")
    assert all(v.device.type == "cpu" for v in on_cpu["model"].values())
    remapped = numtorch.load(path, map_location={"cuda:0": "cpu"})
    assert all(v.device.type == "cpu" for v in remapped["model"].values())
    fresh = _net()
    fresh.load_state_dict(loaded["model"])  # CUDA values into CPU parameters
    assert all(p.device.type == "cpu" for p in fresh.parameters())
    gpu = _net().cuda()
    gpu.load_state_dict(on_cpu["model"])
    assert all(p.is_cuda for p in gpu.parameters())
    cpu_file = tmp_path / "cpu.safetensors"
    numtorch.save(numtorch.ones(2), cpu_file)
    assert numtorch.load(cpu_file, map_location="cuda").is_cuda


def test_loading_gpu_tensors_without_gpu_names_map_location(tmp_path, monkeypatch):
    pytest.importorskip("safetensors")
    path = tmp_path / "t.safetensors"
    with cuda_context():
        numtorch.save({"w": numtorch.ones(2, device="cuda")}, path)
    monkeypatch.setattr(B, "_cupy", None)
    monkeypatch.setattr(B, "_cuda_ndarray", B._NoArray)
    monkeypatch.setattr(B, "_cupy_tried", True)
    monkeypatch.setattr(B, "_cupy_problem", "CuPy could not be used")
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        numtorch.load(path)
    assert numtorch.load(path, map_location="cpu")["w"].device.type == "cpu"


# ---- the seed program with its GPU line uncommented -------------------------------------------

def _run_seed(source: str) -> list[float]:
    printed = []
    env = {"__name__": "__main__", "print": lambda *a, **k: printed.append(a)}
    exec(compile(source, "custom_relu.py", "exec"), env)
    return [float(a[1]) for a in printed if len(a) >= 2 and isinstance(a[0], int)]


def test_seed_program_runs_on_cuda_with_the_cpu_losses(cuda):
    source = (Path(__file__).resolve().parents[1] / "examples" / "custom_relu.py").read_text()
    line = 'device = torch.device("cpu")'
    assert line in source and '# device = torch.device("cuda:0")' in source
    source = re.sub(r"range\(500\)", "range(200)", source)  # shorter: two printed losses
    numtorch.manual_seed(0)
    cpu = _run_seed(source)
    numtorch.manual_seed(0)
    gpu = _run_seed(source.replace(line, 'device = torch.device("cuda:0")'))
    assert len(cpu) == len(gpu) >= 2
    np.testing.assert_allclose(gpu, cpu, rtol=1e-3 if REAL_GPU else 1e-6)


# ---- nn modules on each device ----------------------------------------------------------------

NN_CASES = [
    ("Linear", lambda: numtorch.nn.Linear(5, 3), (4, 5)),
    ("Conv2d", lambda: numtorch.nn.Conv2d(2, 3, 3, padding=1, stride=2), (2, 2, 7, 7)),
    ("ConvTranspose2d", lambda: numtorch.nn.ConvTranspose2d(2, 3, 3, stride=2), (1, 2, 4, 4)),
    ("Conv1d", lambda: numtorch.nn.Conv1d(2, 3, 3, dilation=2, groups=1), (2, 2, 9)),
    ("MaxPool2d", lambda: numtorch.nn.MaxPool2d(2), (2, 3, 6, 6)),
    ("AvgPool2d", lambda: numtorch.nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 6, 6)),
    ("AdaptiveAvgPool2d", lambda: numtorch.nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
    ("BatchNorm2d", lambda: numtorch.nn.BatchNorm2d(3), (4, 3, 5, 5)),
    ("LayerNorm", lambda: numtorch.nn.LayerNorm(6), (3, 4, 6)),
    ("GroupNorm", lambda: numtorch.nn.GroupNorm(2, 4), (3, 4, 5)),
    ("Embedding", lambda: numtorch.nn.Embedding(10, 4, padding_idx=0), None),
    ("LSTM", lambda: numtorch.nn.LSTM(4, 5, num_layers=2, batch_first=True), (2, 3, 4)),
    ("GRU", lambda: numtorch.nn.GRU(4, 5, bidirectional=True), (3, 2, 4)),
    ("RNNCell", lambda: numtorch.nn.LSTMCell(4, 5), (3, 4)),
    ("MultiheadAttention", lambda: numtorch.nn.MultiheadAttention(8, 2, batch_first=True),
     (2, 5, 8)),
    ("TransformerEncoderLayer", lambda: numtorch.nn.TransformerEncoderLayer(
        8, 2, dim_feedforward=16, dropout=0.0, batch_first=True), (2, 5, 8)),
    ("Dropout", lambda: numtorch.nn.Dropout(0.5), (4, 6)),
    ("Softmax", lambda: numtorch.nn.LogSoftmax(dim=1), (4, 6)),
]


def _outputs(out):
    if isinstance(out, numtorch.Tensor):
        return [out]
    flat = []
    for o in out:
        flat.extend(_outputs(o) if o is not None else [])
    return flat


@pytest.mark.parametrize("name,make,shape", NN_CASES, ids=[c[0] for c in NN_CASES])
def test_nn_modules_on_each_device(device, name, make, shape):
    numtorch.manual_seed(0)
    ref = make()
    mod = copy.deepcopy(ref).to(device)
    numtorch.manual_seed(1)
    if shape is None:
        x_cpu = numtorch.randint(0, 10, (3, 4))
    else:
        x_cpu = numtorch.randn(*shape, requires_grad=True)
    x = x_cpu.detach().to(device).requires_grad_(x_cpu.requires_grad)
    args = (x, x, x) if name == "MultiheadAttention" else (x,)
    ref_args = (x_cpu,) * len(args)
    numtorch.manual_seed(2)
    expected = _outputs(ref(*ref_args))
    numtorch.manual_seed(2)
    got = _outputs(mod(*args))
    for e, g in zip(expected, got):
        assert g.device.type == device
        np.testing.assert_allclose(host(g), host(e), rtol=1e-5 * SLACK, atol=1e-6 * SLACK)
    sum(o.float().sum() for o in expected).backward()
    sum(o.float().sum() for o in got).backward()
    for (n, p), q in zip(ref.named_parameters(), mod.parameters()):
        assert q.grad.device.type == device, n
        np.testing.assert_allclose(host(q.grad), host(p.grad), rtol=1e-4 * SLACK,
                                   atol=1e-5 * SLACK, err_msg=n)
    if x.requires_grad:
        np.testing.assert_allclose(host(x.grad), host(x_cpu.grad), rtol=1e-4 * SLACK,
                                   atol=1e-5 * SLACK)


@pytest.mark.skipif(not REAL_GPU, reason="fake_cupy is checked against NumPy only")
def test_real_gpu_float32_matmul_precision(cuda):
    a = numtorch.randn(64, 64, device="cuda")
    b = numtorch.randn(64, 64, device="cuda")
    np.testing.assert_allclose(host(a @ b), host(a) @ host(b), rtol=1e-3, atol=1e-3)


def test_inplace_through_views_of_cuda_tensors(cuda):
    x = numtorch.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    y = x * 1
    y[1:].mul_(2)  # written through a view
    y.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [1.0, 2.0, 2.0])
    x.grad = None
    y = x * 1
    v = y[1:]
    y.mul_(3)  # the base changes after the view was made: the view's history is re-read
    v.sum().backward()
    np.testing.assert_array_equal(host(x.grad), [0.0, 3.0, 3.0])


def test_routines_cupy_lacks_give_a_clear_error(cuda):
    if REAL_GPU:
        pytest.skip("depends on the CuPy version")
    x = numtorch.ones(4, device="cuda")
    index = numtorch.tensor([0, 0, 1], device="cuda")
    with pytest.raises(NotImplementedError, match=r"scatter\(reduce='multiply'\).*\.cpu\(\)"):
        x.scatter(0, index, numtorch.full((3,), 2.0, device="cuda"), reduce="multiply")
    added = x.scatter_add(0, index, numtorch.full((3,), 2.0, device="cuda"))
    np.testing.assert_array_equal(host(added), [5.0, 3.0, 1.0, 1.0])


LOSSES = [
    ("cross_entropy", lambda F, x, t: F.cross_entropy(x, t, label_smoothing=0.1)),
    ("nll_loss", lambda F, x, t: F.nll_loss(F.log_softmax(x, 1), t, reduction="sum")),
    ("mse_loss", lambda F, x, t: F.mse_loss(x, x.detach().sigmoid())),
    ("bce_with_logits", lambda F, x, t: F.binary_cross_entropy_with_logits(
        x, x.detach().sigmoid(), pos_weight=x.new_ones(5) * 2)),
    ("smooth_l1", lambda F, x, t: F.smooth_l1_loss(x, x.detach() * 0.5)),
    ("kl_div", lambda F, x, t: F.kl_div(F.log_softmax(x, 1), F.softmax(x.detach(), 1),
                                        reduction="batchmean")),
]


@pytest.mark.parametrize("name,loss", LOSSES, ids=[c[0] for c in LOSSES])
def test_losses_on_each_device(device, name, loss):
    F = numtorch.nn.functional
    numtorch.manual_seed(0)
    x_cpu = numtorch.randn(6, 5, requires_grad=True)
    t_cpu = numtorch.randint(0, 5, (6,))
    x = x_cpu.detach().to(device).requires_grad_()
    expected = loss(F, x_cpu, t_cpu)
    got = loss(F, x, t_cpu.to(device))
    assert got.device.type == device
    np.testing.assert_allclose(host(got), host(expected), rtol=1e-5 * SLACK)
    expected.backward()
    got.backward()
    np.testing.assert_allclose(host(x.grad), host(x_cpu.grad), rtol=1e-5 * SLACK,
                               atol=1e-7 * SLACK)


def test_gradcheck_takes_cuda_inputs(cuda):
    x = numtorch.randn(3, dtype=numtorch.float64, device="cuda", requires_grad=True)
    w = numtorch.randn(3, dtype=numtorch.float64, device="cuda")
    assert numtorch.autograd.gradcheck(lambda a: (a * a * w).sin(), (x,))
    assert numtorch.autograd.gradgradcheck(lambda a: (a * a * w).sin(), (x,))

    class Wrong(numtorch.autograd.Function):  # a wrong backward is still caught on the GPU
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3
    with pytest.raises(numtorch.autograd.GradcheckError):
        numtorch.autograd.gradcheck(Wrong.apply, (x,))
