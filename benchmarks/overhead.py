"""The per-op overhead workloads alone: ``python benchmarks/overhead.py [--quick] ...`` is
``python benchmarks/run.py --only overhead ...`` (see run.py for the method)."""
from __future__ import annotations

import os
import subprocess
import sys

if __name__ == "__main__":
    run = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py")
    sys.exit(subprocess.call([sys.executable, run, "--only", "overhead", "--no-save",
                              *sys.argv[1:]]))
