"""A linear layer written as a custom Function, wrapped in an nn.Module, used like nn.Linear.

The Function computes y = x W^T + b in forward and, in backward,
grad_input = g W, grad_weight = g^T x, grad_bias = g.sum(0). The Module owns the Parameters
(initialised as nn.Linear does) and calls the Function, the way nn.Conv2d owns its weight and
calls F.conv2d. We check it against nn.Linear, then train a small classifier with Adam.

Run: python examples/custom_function_as_module.py [--short]
(or set NUMTORCH_EXAMPLE_SHORT=1 for a quick run).
"""
from __future__ import annotations

import math
import os
import sys

import numtorch as torch
from numtorch import nn


class LinearFunction(torch.autograd.Function):
    """y = x W^T + b; dx = g W, dW = g^T x, db = sum of g over the batch."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        out = x.mm(weight.t())
        if bias is not None:
            out = out + bias
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(x)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_x, grad_weight, grad_bias


class MyLinear(nn.Module):
    """Drop-in for nn.Linear(in_features, out_features, bias) built on LinearFunction."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # The same scheme as nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
        bound = 1.0 / math.sqrt(self.in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


def compare_with_nn_linear() -> None:
    torch.manual_seed(1)
    ours = MyLinear(5, 3).double()
    ref = nn.Linear(5, 3).double()
    with torch.no_grad():
        ref.weight.copy_(ours.weight)
        ref.bias.copy_(ours.bias)
    x1 = torch.randn(8, 5, dtype=torch.float64, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    out1, out2 = ours(x1), ref(x2)
    assert torch.allclose(out1, out2), "forward differs from nn.Linear"
    g = torch.randn(8, 3, dtype=torch.float64)
    out1.backward(g)
    out2.backward(g)
    assert torch.allclose(x1.grad, x2.grad), "grad_input differs from nn.Linear"
    assert torch.allclose(ours.weight.grad, ref.weight.grad), "grad_weight differs"
    assert torch.allclose(ours.bias.grad, ref.bias.grad), "grad_bias differs"
    print("matches nn.Linear: outputs and gradients agree")

    w = ours.weight.detach().clone().requires_grad_(True)
    b = ours.bias.detach().clone().requires_grad_(True)
    xs = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(LinearFunction.apply, (xs, w, b))
    print("gradcheck passed: LinearFunction backward matches finite differences")


def make_spirals(n_per_class: int, generator_seed: int = 0):
    """Two interleaved spirals in the plane: a small task a linear model cannot solve."""
    torch.manual_seed(generator_seed)
    t = torch.rand(n_per_class) * 3 * math.pi + 0.5
    noise = 0.15
    xs, ys = [], []
    for label, phase in ((0, 0.0), (1, math.pi)):
        px = t * torch.cos(t + phase) / 5 + noise * torch.randn(n_per_class)
        py = t * torch.sin(t + phase) / 5 + noise * torch.randn(n_per_class)
        xs.append(torch.stack([px, py], dim=1))
        ys.append(torch.full((n_per_class,), label, dtype=torch.int64))
    return torch.cat(xs), torch.cat(ys)


def train(short: bool) -> None:
    torch.manual_seed(0)
    x, y = make_spirals(200)
    model = nn.Sequential(MyLinear(2, 32), nn.Tanh(), MyLinear(32, 32), nn.Tanh(),
                          MyLinear(32, 2))
    print(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.CrossEntropyLoss()
    epochs = 150 if short else 1000
    report_every = epochs // 5
    first = last = None
    for epoch in range(epochs):
        optimizer.zero_grad()
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        if first is None:
            first = loss.item()
        last = loss.item()
        if epoch % report_every == 0 or epoch == epochs - 1:
            accuracy = (logits.argmax(dim=1) == y).float().mean().item()
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
    if not last < first:
        raise SystemExit(f"loss did not decrease: {first:.4f} -> {last:.4f}")
    print(f"loss decreased: {first:.4f} -> {last:.4f}")


def main(short: bool) -> None:
    compare_with_nn_linear()
    train(short)


if __name__ == "__main__":
    main("--short" in sys.argv[1:] or os.environ.get("NUMTORCH_EXAMPLE_SHORT") == "1")
