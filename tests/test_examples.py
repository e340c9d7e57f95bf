"""Run each example program in a short mode, as CI does, and check what it prints."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, timeout: float = 60.0) -> str:
    env = dict(os.environ, NUMTORCH_EXAMPLE_SHORT="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), "--short"], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def losses(out: str) -> list[float]:
    return [float(v) for v in re.findall(r"loss (-?[0-9.]+(?:e-?[0-9]+)?)", out)]


def assert_decreasing_overall(out: str) -> None:
    values = losses(out)
    assert len(values) >= 3, out
    assert values[-1] < values[0], values
    assert "loss decreased" in out


@pytest.mark.parametrize("name, expected", [
    ("polynomial_custom_function.py", ["gradcheck passed", "result: y = "]),
    ("custom_function_as_module.py", ["matches nn.Linear", "gradcheck passed", "MyLinear("]),
    ("straight_through.py", ["gradcheck passed", "quantized to 4 levels"]),
    ("implicit_layer.py", ["gradcheck passed", "matches backprop through"]),
])
def test_example_runs_and_learns(name, expected):
    out = run_example(name)
    for line in expected:
        assert line in out, f"{name}: {line!r} not in output:\n{out}"
    assert_decreasing_overall(out)


def test_polynomial_loss_decreases_monotonically():
    values = losses(run_example("polynomial_custom_function.py"))
    assert all(b < a for a, b in zip(values, values[1:])), values


def test_straight_through_recovers_grid_weights():
    out = run_example("straight_through.py")
    assert "equal to the true grid weights: 100%" in out, out
