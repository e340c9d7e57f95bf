"""torch.func tutorial-style programs run twice, once with ``lib = torch`` and once with
``lib = numtorch`` (the same code, only the module changed), on the same weights and data:
per-sample gradients, model ensembling, Jacobians and Hessians of a small net, jvp/linearize/vjp,
and what printing shows inside the transforms."""
from __future__ import annotations

import copy
import io
from contextlib import redirect_stdout

import numpy as np
import pytest

import numtorch
from conftest import require_torch

torch = require_torch()


def _data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _net(lib, seed=0):
    """A small MLP whose weights come from NumPy, identical in both libraries."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(_data(*p.shape, seed=seed * 10 + i)))
    return model


def _close(ours, theirs, atol=2e-5):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _close(a, b, atol)
        return
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for k in theirs:
            _close(ours[k], theirs[k], atol)
        return
    assert isinstance(ours, numtorch.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol,
                               rtol=1e-5)


def _both(program, atol=2e-5):
    _close(program(numtorch), program(torch), atol)


# ---- per-sample gradients -------------------------------------------------------------------

def per_sample_grads(lib):
    from_lib = lib.func
    model = _net(lib)
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    data, targets = lib.tensor(_data(16, 5, seed=1)), lib.tensor(np.arange(16) % 3)

    def compute_loss(params, buffers, sample, target):
        batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
        predictions = from_lib.functional_call(model, (params, buffers), (batch,))
        return lib.nn.functional.cross_entropy(predictions, targets)

    ft_grads = from_lib.vmap(from_lib.grad(compute_loss), in_dims=(None, None, 0, 0))(
        params, buffers, data, targets)
    # the same through the loop the tutorial compares against
    loop = []
    for i in range(4):
        model.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(data[i:i + 1]), targets[i:i + 1])
        loop.append(lib.autograd.grad(loss, list(model.parameters())))
    return ft_grads, loop


def test_per_sample_gradients_match_torch_and_the_loop():
    ours, theirs = per_sample_grads(numtorch), per_sample_grads(torch)
    _close(ours, theirs)
    grads, loop = ours
    for i, per_param in enumerate(loop):
        for g, name in zip(per_param, grads):
            np.testing.assert_allclose(grads[name][i].numpy(), g.numpy(), atol=1e-6)


class _CNN:
    """The per-sample-gradients tutorial's network, smaller: conv, conv, max-pool, linear."""

    @staticmethod
    def make(lib):
        nn, F = lib.nn, lib.nn.functional

        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, 1)
                self.conv2 = nn.Conv2d(4, 6, 3, 1)
                self.fc1 = nn.Linear(6 * 3 * 3, 10)

            def forward(self, x):
                x = F.relu(self.conv1(x))
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                return F.log_softmax(self.fc1(lib.flatten(x, 1)), dim=1)
        model = CNN()
        with lib.no_grad():
            for i, p in enumerate(model.parameters()):
                p.copy_(lib.tensor(_data(*p.shape, seed=40 + i) * 0.3))
        return model


def cnn_per_sample_grads_and_ntk(lib):
    F = lib.func
    model = _CNN.make(lib)
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    data, targets = lib.tensor(_data(6, 1, 10, 10, seed=50)), lib.tensor(np.arange(6) % 10)

    def compute_loss(params, buffers, sample, target):
        predictions = F.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return lib.nn.functional.nll_loss(predictions, target.unsqueeze(0))
    grads = F.vmap(F.grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data,
                                                                      targets)

    def fnet_single(params, x):  # the neural-tangent-kernel tutorial's contraction
        return F.functional_call(model, params, (x.unsqueeze(0),)).squeeze(0)
    jac1 = [j.flatten(2) for j in F.vmap(F.jacrev(fnet_single), (None, 0))(params,
                                                                            data[:3]).values()]
    jac2 = [j.flatten(2) for j in F.vmap(F.jacrev(fnet_single), (None, 0))(params,
                                                                            data[3:]).values()]
    ntk = lib.stack([lib.einsum("Naf,Mbf->NMab", a, b) for a, b in zip(jac1, jac2)]).sum(0)
    return grads, ntk


def test_cnn_per_sample_gradients_and_neural_tangent_kernel():
    _both(cnn_per_sample_grads_and_ntk, atol=1e-4)


def cnn_ntk_by_products(lib):
    """The tutorial's second NTK method: vjp and jvp under three nested vmaps (strided conv
    windows of a tensor batched by nested vmaps)."""
    F = lib.func
    model = _CNN.make(lib)
    params = {k: v.detach() for k, v in model.named_parameters()}
    x1, x2 = lib.tensor(_data(2, 1, 10, 10, seed=60)), lib.tensor(_data(2, 1, 10, 10, seed=61))

    def fnet_single(params, x):
        return F.functional_call(model, params, (x.unsqueeze(0),)).squeeze(0)

    def get_ntk(x1, x2):
        output, vjp_fn = F.vjp(lambda p: fnet_single(p, x1), params)

        def get_ntk_slice(vec):
            return F.jvp(lambda p: fnet_single(p, x2), (params,), vjp_fn(vec))[1]
        return F.vmap(get_ntk_slice)(lib.eye(output.numel()))
    return F.vmap(F.vmap(get_ntk, (None, 0)), (0, None))(x1, x2)


def test_neural_tangent_kernel_by_vector_products():
    _both(cnn_ntk_by_products, atol=1e-4)


def per_sample_grads_with_aux(lib):
    F = lib.func
    model = _net(lib, seed=2)
    params = dict(model.named_parameters())
    x = lib.tensor(_data(6, 5, seed=3))

    def loss(p, xi):
        out = F.functional_call(model, p, (xi,))
        return out.pow(2).sum(), out
    return F.vmap(F.grad_and_value(loss, has_aux=True), in_dims=(None, 0))(params, x)


def test_grad_and_value_with_aux_under_vmap():
    _both(per_sample_grads_with_aux)


# ---- model ensembling -----------------------------------------------------------------------

def ensemble(lib):
    F = lib.func
    models = [_net(lib, seed=s) for s in range(4)]
    params, buffers = F.stack_module_state(models)
    base = copy.deepcopy(models[0])
    minibatch = lib.tensor(_data(7, 5, seed=9))
    minibatches = lib.tensor(_data(4, 7, 5, seed=10))

    def fmodel(params, buffers, x):
        return F.functional_call(base, (params, buffers), (x,))
    same = F.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
    different = F.vmap(fmodel)(params, buffers, minibatches)
    loop = lib.stack([m(minibatch) for m in models])
    return same, different, loop, params


def test_model_ensembling_matches_torch_and_the_loop():
    ours, theirs = ensemble(numtorch), ensemble(torch)
    _close(ours, theirs)
    np.testing.assert_allclose(ours[0].detach().numpy(), ours[2].detach().numpy(), atol=1e-6)
    assert all(p.requires_grad for p in ours[3].values())


# ---- Jacobians and Hessians -----------------------------------------------------------------

def jacobians(lib):
    F = lib.func
    model = _net(lib, seed=4)
    x = lib.tensor(_data(5, seed=5))
    params = {k: v.detach() for k, v in model.named_parameters()}

    def f(x):
        return model(x)

    def loss(params, x):
        return F.functional_call(model, params, (x,)).pow(2).sum()
    return (F.jacrev(f)(x), F.jacfwd(f)(x),
            F.jacrev(loss, argnums=1)(params, x),
            F.jacrev(loss)(params, x),                       # a dict of Jacobians
            F.hessian(lambda x: f(x).tanh().sum())(x),
            F.jacfwd(F.jacrev(lambda x: f(x).sin().sum()))(x),
            F.vmap(F.jacrev(f))(lib.tensor(_data(3, 5, seed=6))),   # batched Jacobians
            F.jacrev(f, argnums=0, has_aux=False)(x).sum(0))


def test_jacobians_and_hessians_of_a_small_net():
    _both(jacobians)


def jacobian_of_a_linear_layer(lib):
    """The tutorial's predict(weight, bias, x) = tanh(F.linear(x, weight, bias))."""
    F = lib.func
    weight, bias = lib.tensor(_data(4, 4, seed=7)), lib.tensor(_data(4, seed=8))
    x = lib.tensor(_data(4, seed=9))

    def predict(weight, bias, x):
        return lib.nn.functional.linear(x, weight, bias).tanh()
    unit = lib.eye(4)
    _, vjp_fn = F.vjp(lambda x: predict(weight, bias, x), x)
    rows = F.vmap(vjp_fn)(unit)
    ft_w, ft_b = F.jacrev(predict, argnums=(0, 1))(weight, bias, x)
    hess = F.hessian(lambda x: predict(weight, bias, x).sum())(x)
    batch = lib.tensor(_data(6, 4, seed=10))
    per_example = F.vmap(F.jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias,
                                                                                   batch)
    summed = F.jacrev(lambda x: predict(weight, bias, x).sum(0))(batch)
    return rows, ft_w, ft_b, hess, per_example, summed.movedim(1, 0)


def test_jacobian_tutorial_of_a_linear_layer():
    _both(jacobian_of_a_linear_layer)


# ---- jvp, linearize, vjp --------------------------------------------------------------------

def forward_mode(lib):
    F = lib.func
    model = _net(lib, seed=11)
    x, v = lib.tensor(_data(5, seed=12)), lib.tensor(_data(5, seed=13))
    out, tangent = F.jvp(model, (x,), (v,))
    out2, jvp_fn = F.linearize(model, x)
    tangents = [jvp_fn(lib.tensor(_data(5, seed=s))) for s in (13, 14)]
    _, vjp_fn = F.vjp(model, x)
    (cotangent,) = vjp_fn(lib.ones(3))
    params = {k: v.detach() for k, v in model.named_parameters()}
    dirs = {k: lib.ones_like(p) for k, p in params.items()}
    p_out, p_tangent = F.jvp(lambda p: F.functional_call(model, p, (x,)), (params,), (dirs,))
    hvp = F.jvp(F.grad(lambda x: model(x).pow(2).sum()), (x,), (v,))[1]
    with lib.autograd.forward_ad.dual_level():
        dual = lib.autograd.forward_ad.make_dual(x, v)
        fw_tangent = lib.autograd.forward_ad.unpack_dual(model(dual)).tangent
    return out, tangent, out2, tangents, cotangent, p_out, p_tangent, hvp, fw_tangent


def test_jvp_linearize_and_vjp_of_a_small_net():
    _both(forward_mode)


# ---- what printing shows inside the transforms -------------------------------------------------

def printed(lib):
    fw = lib.autograd.forward_ad
    buf = io.StringIO()
    x = lib.tensor(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    with redirect_stdout(buf):
        with fw.dual_level():
            d = fw.make_dual(x, lib.ones(3, 2))
            print(d)
            print(d.sin())
            print(fw.make_dual(lib.tensor(1.5), lib.tensor(2.0)))
            print(fw.make_dual(lib.arange(3).double(), lib.ones(3).double()))
            print(fw.make_dual(lib.ones(3, 30) / 3, lib.ones(3, 30)))
        print(d)  # the tangent is gone once the level ends

        def show(t):
            print(t)
            print(t * 2)
            return t
        lib.func.vmap(show)(x)
        lib.func.vmap(lib.func.vmap(show))(x)
        lib.func.vmap(show)(x.double().requires_grad_())
        lib.func.vmap(show)(lib.arange(3))
    return buf.getvalue()


def test_printing_inside_dual_levels_and_vmap_matches_torch():
    theirs = printed(torch).replace("torch.", "numtorch.")
    assert "tangent=" in theirs and "BatchedTensor(lvl=2" in theirs
    assert printed(numtorch) == theirs


def test_printing_a_batched_tensor_never_raises_and_shows_the_level_and_batch():
    out = []
    numtorch.func.vmap(lambda t: (out.append(repr(t)), t)[1])(numtorch.zeros(4, 2))
    assert out[0].startswith("BatchedTensor(lvl=1, bdim=0, value=\n    tensor([[0., 0.],")
    assert out[0].count("[0., 0.]") == 4 and out[0].endswith("\n)")
    # with tangents (jvp inside vmap and vmap inside jvp), 0-d ones included
    F, x = numtorch.func, numtorch.arange(6.0).reshape(3, 2)

    def f(t):
        out.extend([repr(t), repr(t.sum())])
        return t.sin()
    del out[:]
    F.vmap(lambda a: F.jvp(f, (a,), (numtorch.ones(2),)))(x)
    F.jvp(F.vmap(f), (x,), (numtorch.ones(3, 2),))
    assert len(out) == 4 and all(t.startswith("BatchedTensor(lvl=1") for t in out)
    assert out[1].endswith("tensor([1., 5., 9.], tangent=2.0)\n)")
    assert out[3].endswith("tensor([1., 5., 9.], tangent=tensor([2., 2., 2.]))\n)")


@pytest.mark.parametrize("lib", [numtorch, torch], ids=["numtorch", "torch"])
def test_print_inside_grad_does_not_raise(lib):
    buf = io.StringIO()
    with redirect_stdout(buf):
        lib.func.grad(lambda x: (print(x), x.pow(2).sum())[1])(lib.arange(3.0))
    assert "0., 1., 2." in buf.getvalue()


def test_functionalize_and_debug_unwrap_like_torch():
    from numtorch.func._debug import debug_unwrap, functionalize  # exported by func/__init__

    def run(lib, functionalize, debug_unwrap):
        seen = []

        def f(x):
            seen.append(debug_unwrap(x).tolist())
            seen.append(list(debug_unwrap(x, recurse=False).shape))
            return x
        lib.func.vmap(lib.func.vmap(f))(lib.arange(6.0).reshape(3, 2))
        a = lib.zeros(2)
        out = functionalize(lambda x: x.add_(1))(a)
        seen += [out.tolist(), a.tolist(), debug_unwrap(a).tolist()]
        with pytest.raises(RuntimeError):
            functionalize(f, remove="everything")
        return seen
    theirs = run(torch, torch.func.functionalize, torch.func.debug_unwrap)
    assert run(numtorch, getattr(numtorch.func, "functionalize", functionalize),
               getattr(numtorch.func, "debug_unwrap", debug_unwrap)) == theirs
