"""Draw the autograd graph of the seed network (custom MyReLU between two matmuls).

Writes graph.dot always, graph.png when Graphviz's ``dot`` program is installed
(apt-get install graphviz / brew install graphviz / conda install graphviz), and prints
the text rendering.

    python examples/graph.py [--out DIR] [--short]   (DIR defaults to examples/output/)
"""
from __future__ import annotations

import argparse
import os
import shutil

import numtorch as torch


class MyReLU(torch.autograd.Function):
    """The seed program's ReLU: clamp in forward, zero the gradient where input < 0."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def seed_loss(N: int = 64, D_in: int = 1000, H: int = 100, D_out: int = 10):
    """One forward pass of the seed network; returns the loss and its named weights."""
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    w1 = torch.randn(D_in, H, requires_grad=True)
    w2 = torch.randn(H, D_out, requires_grad=True)
    y_pred = MyReLU.apply(x.mm(w1)).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    return loss, {"w1": w1, "w2": w2}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
    parser.add_argument("--out", default=default_out,
                        help="folder for graph.dot and graph.png (default examples/output/)")
    parser.add_argument("--short", action="store_true",
                        help="accepted like every example's flag; this one is always short")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    loss, params = seed_loss()
    dot_path = os.path.join(args.out, "graph.dot")
    torch.viz.draw(loss, params, format="dot", path=dot_path)
    print(f"wrote {dot_path}")
    if shutil.which("dot"):
        png_path = os.path.join(args.out, "graph.png")
        torch.viz.draw(loss, params, format="png", path=png_path)
        print(f"wrote {png_path}")
    else:
        print("Graphviz's 'dot' is not installed, so no graph.png (apt-get install graphviz, "
              "brew install graphviz or conda install graphviz)")
    print(torch.viz.text(loss, params))


if __name__ == "__main__":
    main()
