"""Fit sin(x) on [-pi, pi] with y = a + b * P3(c + d * x), where P3 is a custom Function.

P3(x) = (5x^3 - 3x) / 2 is the Legendre polynomial of degree three. Its backward is written by
hand, (15x^2 - 3) / 2, and checked against finite differences with gradcheck before training.

Run: python examples/polynomial_custom_function.py [--short]
(or set NUMTORCH_EXAMPLE_SHORT=1 for a quick run).
"""
from __future__ import annotations

import math
import os
import sys

import numtorch as torch


class LegendreP3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2; dP3/dx = (15x^2 - 3) / 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x**3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * x**2 - 1)


def main(short: bool) -> None:
    torch.manual_seed(0)

    # Check the hand-written backward against numerical derivatives, in float64.
    probe = torch.randn(7, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(LegendreP3.apply, (probe,), eps=1e-6, atol=1e-5)
    print("gradcheck passed: LegendreP3 backward matches finite differences")

    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    # Start near a sensible point; plain gradient descent on the sum of squared errors.
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)

    steps = 300 if short else 2000
    report_every = steps // 5
    learning_rate = 5e-6
    losses = []
    for step in range(steps):
        y_pred = a + b * LegendreP3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if step % report_every == 0 or step == steps - 1:
            print(f"step {step:5d}  loss {loss.item():.4f}")
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= learning_rate * p.grad
                p.grad = None

    print(f"result: y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
    if not losses[-1] < losses[0]:
        raise SystemExit(f"loss did not decrease: {losses[0]:.4f} -> {losses[-1]:.4f}")
    print(f"loss decreased: {losses[0]:.4f} -> {losses[-1]:.4f}")


if __name__ == "__main__":
    main("--short" in sys.argv[1:] or os.environ.get("NUMTORCH_EXAMPLE_SHORT") == "1")
