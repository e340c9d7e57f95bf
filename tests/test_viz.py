"""numtorch.viz: DOT and text renderings of the autograd graph, and examples/graph.py."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import numtorch as torch
from numtorch import viz

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "graph.py"


class MyReLU(torch.autograd.Function):
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


def seed_graph():
    torch.manual_seed(0)
    x, y = torch.randn(4, 5), torch.randn(4, 3)
    w1 = torch.randn(5, 6, requires_grad=True)
    w2 = torch.randn(6, 3, requires_grad=True)
    loss = (MyReLU.apply(x.mm(w1)).mm(w2) - y).pow(2).sum()
    return loss, {"w1": w1, "w2": w2}


def _node_line(dot, title):
    lines = [ln for ln in dot.splitlines() if f'label="{title}' in ln]
    assert len(lines) >= 1, dot
    return lines[0]


def test_dot_shows_ops_shapes_names_and_custom_style():
    loss, params = seed_graph()
    dot = viz.draw(loss, params)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    custom = _node_line(dot, "MyReLUBackward")
    builtin = _node_line(dot, "MmBackward0")
    assert "custom Function" in custom and "[4, 6] float32" in custom
    assert re.search(r"saved: 96 B", custom)  # the saved 4x6 float32 input
    style = re.compile(r'fillcolor="([^"]+)"')
    assert style.search(custom).group(1) != style.search(builtin).group(1)
    assert "custom" not in builtin
    assert '"w1\\n[5, 6] float32' in dot and '"w2\\n[6, 3] float32' in dot
    assert 'root [label="root\\n[] float32"' in dot
    # Sum, Pow, Sub, Mm, MyReLU, Mm, w1, w2; 7 edges between them plus one into the root
    assert len(re.findall(r"^  n\d+ \[", dot, re.M)) == 8
    assert len(re.findall(r"->", dot)) == 8


def test_leaves_show_shape_without_params_and_freed_after_backward():
    loss, _ = seed_graph()
    loss.backward()
    dot = viz.draw(loss)
    assert '"leaf\\n[5, 6] float32' in dot
    assert "saved: freed" in _node_line(dot, "MyReLUBackward")


def test_text_tree_marks_custom_and_shared_subgraphs():
    x = torch.randn(3, requires_grad=True)
    h = MyReLU.apply(x * 2)
    out = (h * h).sum()
    t = viz.text(out, {"x": x})
    assert t.splitlines()[0] == "root: tensor [] float32"
    assert "MyReLUBackward [custom]" in t
    assert t.count("MyReLUBackward [custom]") == 1  # shown once ...
    assert "MyReLUBackward -> see #" in t  # ... then referenced
    assert "x  ([3] float32, AccumulateGrad)" in t


def test_deep_graph_does_not_recurse():
    x = torch.randn(2, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert viz.text(y).count("MulBackward0") == 3000
    assert viz.draw(y).count("MulBackward0") == 3000


def test_leaf_and_constant_roots():
    w = torch.randn(2, requires_grad=True)
    assert "AccumulateGrad" in viz.text(w, {"w": w})
    c = torch.randn(2)
    assert "no graph" in viz.text(c) and "no graph" in viz.draw(c)


def test_svg_without_graphviz_says_how_to_install(monkeypatch):
    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    loss, _ = seed_graph()
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.draw(loss, format="svg")


def test_svg_and_png_run_dot(tmp_path, monkeypatch):
    fake = tmp_path / "dot"  # a stand-in for Graphviz: echoes what it was asked for
    fake.write_text('#!/bin/sh\ncat > /dev/null\necho "rendered $1"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    loss, _ = seed_graph()
    assert viz.draw(loss, format="svg").strip() == "rendered -Tsvg"
    out = tmp_path / "g.png"
    assert viz.draw(loss, format="png", path=str(out)) == b"rendered -Tpng\n"
    assert out.read_bytes() == b"rendered -Tpng\n"


def test_bad_arguments():
    loss, _ = seed_graph()
    with pytest.raises(ValueError, match="'dot', 'svg' or 'png'"):
        viz.draw(loss, format="jpg")
    with pytest.raises(TypeError, match="named_parameters"):
        viz.draw(loss, params=[1, 2])
    with pytest.raises(TypeError, match="Tensor"):
        viz.text(3.0)


def test_example_runs_without_graphviz(tmp_path):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))  # no `dot` on this PATH
    r = subprocess.run([sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    dot = (tmp_path / "graph.dot").read_text()
    assert "MyReLUBackward" in dot and '"w1\\n[1000, 100] float32' in dot
    assert "MyReLUBackward [custom]" in r.stdout
    if shutil.which("dot", path=env["PATH"]) is None:
        assert not (tmp_path / "graph.png").exists()
        assert "apt-get install graphviz" in r.stdout
