"""Train through a quantizer with a straight-through estimator (STE), as a custom Function.

Rounding to k levels is a step function: its true derivative is zero almost everywhere (and
undefined at the jumps), so autograd through it would give no learning signal. The STE keeps the
quantized value in forward but, in backward, treats the quantizer as the identity on its input
range [-1, 1] and as constant outside it: grad_input = grad_output * (|x| <= 1).

Checking: gradcheck compares a backward with finite differences of forward. For the quantizer
itself those differences are 0 (or huge across a jump), so they cannot agree with the STE by
design. Instead we check (1) with gradcheck, that the STE backward equals the exact gradient of
its surrogate, the clipped identity clamp(x, -1, 1), at points away from the clip corners; and
(2) that the forward really is quantized (k distinct levels). Then a tiny model learns with it.

Run: python examples/straight_through.py [--short]
(or set NUMTORCH_EXAMPLE_SHORT=1 for a quick run).
"""
from __future__ import annotations

import os
import sys

import numtorch as torch
from numtorch import nn

LEVELS = 4  # k levels, evenly spaced on [-1, 1]


class QuantizeSTE(torch.autograd.Function):
    """Forward: round clamp(x, -1, 1) to k levels; backward: g * (|x| <= 1) (clipped identity)."""

    @staticmethod
    def forward(ctx, x, levels):
        ctx.save_for_backward(x)
        steps = levels - 1
        clipped = x.clamp(-1.0, 1.0)
        return torch.round((clipped + 1) * (steps / 2)) * (2 / steps) - 1

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        inside = (x.abs() <= 1).to(grad_output.dtype)
        return grad_output * inside, None


class SurrogateSTE(torch.autograd.Function):
    """The STE's backward applied to the surrogate forward clamp(x, -1, 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(-1.0, 1.0)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x.abs() <= 1).to(grad_output.dtype)


class QuantLinear(nn.Module):
    """A linear layer whose weights are quantized to LEVELS values in forward (trained by STE)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(out_features, in_features) * 1.6 - 0.8)
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x):
        return x.mm(QuantizeSTE.apply(self.weight, LEVELS).t()) + self.bias


def checks() -> None:
    torch.manual_seed(0)
    # Points in (-2, 2), kept away from the clip corners at +-1 where the surrogate has a kink.
    x = torch.rand(20, dtype=torch.float64) * 4 - 2
    x = torch.where((x.abs() - 1).abs() < 0.05, x * 0.5, x).requires_grad_(True)
    assert torch.autograd.gradcheck(SurrogateSTE.apply, (x,))
    print("gradcheck passed: STE backward is the exact gradient of the clipped identity")

    q = QuantizeSTE.apply(torch.linspace(-3, 3, 101), LEVELS)
    levels = sorted({round(v, 6) for v in q.tolist()})
    assert len(levels) == LEVELS, levels
    print(f"forward is quantized to {LEVELS} levels: {levels}")


def train(short: bool) -> None:
    torch.manual_seed(0)
    # Regression target made from a weight matrix that lies exactly on the quantization grid.
    grid = torch.tensor([-1.0, -1 / 3, 1 / 3, 1.0])
    true_w = grid[torch.randint(0, LEVELS, (3, 8))]
    x = torch.randn(256, 8)
    y = x.mm(true_w.t())

    model = QuantLinear(8, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    steps = 150 if short else 600
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
    with torch.no_grad():
        learned = QuantizeSTE.apply(model.weight, LEVELS)
        correct = (learned - true_w).abs().lt(1e-6).float().mean().item()
    print(f"quantized weights equal to the true grid weights: {correct:.0%}")
    if not last < first:
        raise SystemExit(f"loss did not decrease: {first:.4f} -> {last:.4f}")
    print(f"loss decreased: {first:.4f} -> {last:.4f}")


def main(short: bool) -> None:
    checks()
    train(short)


if __name__ == "__main__":
    main("--short" in sys.argv[1:] or os.environ.get("NUMTORCH_EXAMPLE_SHORT") == "1")
