#!/usr/bin/env bash
# The GPU run, in one go (about 4 minutes): on a machine with an NVIDIA GPU, CuPy and PyTorch,
# and no network. Writes its logs and the results table to $OUT (else benchmarks/results/).
#   1. the test suite's CUDA cases (real CuPy): tests/test_device.py and the op_db forward and
#      gradient tests on 'cuda' (every dtype with a real GPU);
#   2. the seed program with its `device = torch.device("cuda:0")` line uncommented, its losses
#      compared with the CPU run's;
#   3. benchmarks/gpu_bench.py: seed step and MLP (batch 4096), numtorch against PyTorch CUDA.
# Run from the repository root: bash benchmarks/gpu_check.sh
set -u
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-benchmarks/results}"
mkdir -p "$OUT_DIR"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
PY="${PYTHON:-python3}"
status=0

echo "== environment"
nvidia-smi -L 2>&1 | head -2
"$PY" - <<'PY' 2>&1 | tee "$OUT_DIR/gpu_env.txt"
import sys, numpy, cupy, torch
import numtorch
print("python", sys.version.split()[0], "numpy", numpy.__version__, "cupy", cupy.__version__,
      "torch", torch.__version__, "torch.cuda", torch.cuda.is_available())
print("numtorch.cuda.is_available():", numtorch.cuda.is_available(),
      "device_count:", numtorch.cuda.device_count(),
      "| CuPy's arrays are exactly cupy.ndarray:", type(cupy.zeros(1)) is cupy.ndarray)
PY

echo "== 1. tests on cuda (real CuPy)"
XDIST=""
"$PY" -c "import xdist" 2>/dev/null && XDIST="-n 8"
NUMTORCH_TEST_CUDA_ALL="${NUMTORCH_TEST_CUDA_ALL:-0}" timeout 150 "$PY" -m pytest -q -p no:cacheprovider $XDIST tests/test_device.py tests/test_ops.py \
    -k "cuda or test_device" --maxfail=30 -o addopts="" 2>&1 | tee "$OUT_DIR/gpu_tests.txt" | tail -40
[ "${PIPESTATUS[0]}" = 0 ] || status=1

echo "== 2. the seed program on cuda:0 against the CPU"
timeout 60 "$PY" benchmarks/gpu_seed_check.py 2>&1 | tee "$OUT_DIR/gpu_seed.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

echo "== 3. benchmarks: numtorch (CuPy) vs PyTorch CUDA"
timeout 100 "$PY" benchmarks/gpu_bench.py --out "$OUT_DIR/gpu_results.md" 2>&1 | tee "$OUT_DIR/gpu_bench.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1

echo "== done (status $status); files in $OUT_DIR"
exit $status
