"""An implicit layer: its output z is the solution of z = tanh(z W^T + x), not a formula.

Forward finds z by fixed-point iteration, recording no graph through the iterations (memory does
not grow with their number). Backward uses the implicit function theorem instead: with
f(z) = tanh(z W^T + x) and J = df/dz = diag(s) W, s = 1 - z^2, the fixed point satisfies
dz = (I - J)^{-1} (df/dx dx + df/dW dW), so for an upstream gradient g we solve
(I - J)^T u = g once, and then grad_x = s * u and grad_W = (s * u)^T z.

Checks: gradcheck (float64) against finite differences of the whole solve, and a comparison with
the gradient obtained by backpropagating through many unrolled iterations. Then a brief training.

Run: python examples/implicit_layer.py [--short]
(or set NUMTORCH_EXAMPLE_SHORT=1 for a quick run).
"""
from __future__ import annotations

import os
import sys

import numtorch as torch
from numtorch import nn


def fixed_point(x, weight, tol: float, max_iter: int = 500):
    """Iterate z <- tanh(z W^T + x) until the update is below tol (no graph is recorded)."""
    with torch.no_grad():
        z = torch.zeros_like(x)
        for _ in range(max_iter):
            z_next = torch.tanh(z.mm(weight.t()) + x)
            if (z_next - z).abs().max().item() < tol:
                return z_next
            z = z_next
    return z


class FixedPointTanh(torch.autograd.Function):
    """z = tanh(z W^T + x); backward solves (I - diag(s) W)^T u = g with s = 1 - z^2."""

    @staticmethod
    def forward(ctx, x, weight):
        tol = 1e-13 if x.dtype == torch.float64 else 1e-6
        z = fixed_point(x, weight, tol)
        ctx.save_for_backward(z, weight)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        z, weight = ctx.saved_tensors
        s = 1 - z * z                                         # (N, d): tanh' at the fixed point
        d = weight.shape[0]
        eye = torch.eye(d, dtype=z.dtype)
        # One (d, d) system per sample: A_n = I - W^T diag(s_n).
        a = eye.unsqueeze(0) - weight.t().unsqueeze(0) * s.unsqueeze(1)
        u = torch.linalg.solve(a, grad_output.unsqueeze(-1)).squeeze(-1)
        v = s * u
        grad_x = v if ctx.needs_input_grad[0] else None
        grad_weight = v.t().mm(z) if ctx.needs_input_grad[1] else None
        return grad_x, grad_weight


def unrolled(x, weight, iterations: int = 200):
    """The same fixed point computed with an ordinary graph through every iteration."""
    z = torch.zeros_like(x)
    for _ in range(iterations):
        z = torch.tanh(z.mm(weight.t()) + x)
    return z


def contractive_weight(d: int, scale: float = 0.5, dtype=torch.float32):
    """A random W with spectral norm `scale` < 1, so the iteration is a contraction."""
    w = torch.randn(d, d, dtype=dtype)
    return w * (scale / torch.linalg.matrix_norm(w, ord=2))


class ImplicitLayer(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(contractive_weight(d))

    def forward(self, x):
        return FixedPointTanh.apply(x, self.weight)


def checks() -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    w = contractive_weight(4, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(FixedPointTanh.apply, (x, w), eps=1e-6, atol=1e-6)
    print("gradcheck passed: implicit backward matches finite differences")

    g = torch.randn(3, 4, dtype=torch.float64)
    gx, gw = torch.autograd.grad(FixedPointTanh.apply(x, w), (x, w), g)
    ux, uw = torch.autograd.grad(unrolled(x, w), (x, w), g)
    err = max((gx - ux).abs().max().item(), (gw - uw).abs().max().item())
    assert err < 1e-8, err
    print(f"matches backprop through 200 unrolled iterations (max difference {err:.1e})")


def train(short: bool) -> None:
    torch.manual_seed(0)
    d_in, d = 3, 8
    x = torch.randn(128, d_in)
    y = torch.sin(x).sum(1, keepdim=True)
    model = nn.Sequential(nn.Linear(d_in, d), ImplicitLayer(d), nn.Linear(d, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    steps = 60 if short else 400
    report_every = steps // 5
    first = last = None
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
        last = loss.item()
        if step % report_every == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}")
    if not last < first:
        raise SystemExit(f"loss did not decrease: {first:.4f} -> {last:.4f}")
    print(f"loss decreased: {first:.4f} -> {last:.4f}")


def main(short: bool) -> None:
    checks()
    train(short)


if __name__ == "__main__":
    main("--short" in sys.argv[1:] or os.environ.get("NUMTORCH_EXAMPLE_SHORT") == "1")
