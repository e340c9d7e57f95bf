"""numtorch tunes glibc's malloc at import, and the environment variable turns it off."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = "import numtorch, numtorch._malloc as m; print(m.tuned)"


def run(env_value):
    env = dict(os.environ)
    env.pop("NUMTORCH_MALLOC_TUNING", None)
    if env_value is not None:
        env["NUMTORCH_MALLOC_TUNING"] = env_value
    out = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_tuned_by_default_and_switchable():
    assert run(None) == "True"
    assert run("0") == "False"
