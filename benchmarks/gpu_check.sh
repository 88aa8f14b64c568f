#!/usr/bin/env bash
# The GPU verification of issue 14, as one script for a machine with an NVIDIA GPU:
# CuPy present (or installable), then the op table on cuda against the CPU, the examples
# with --device cuda, and the MLP/CNN step benchmark against PyTorch CUDA when it is there.
# Usage: bash benchmarks/gpu_check.sh   (writes its logs to ${OUT:-gpu_check_out}/)
set -u
out="${OUT:-gpu_check_out}"
mkdir -p "$out"
python -c "import cupy" 2>/dev/null || pip install -q -e ".[cuda]" || pip install -q cupy-cuda12x
python - <<'PY' | tee "$out/device.txt"
import tensorgrad as tg
print("cuda available:", tg.cuda.is_available(), "devices:", tg.cuda.device_count())
print("name:", tg.cuda.get_device_name() if tg.cuda.is_available() else "-")
PY
HYPOTHESIS_PROFILE=ci python -m pytest -q -p no:cacheprovider tests/test_device_backend.py \
    -k "cuda" -x -q 2>&1 | tail -30 | tee "$out/op_table.txt"
for example in digits digits_cnn; do
    python "examples/$example.py" --fast --device cuda --out "$out/$example" 2>&1 \
        | tail -5 | tee "$out/$example.txt"
done
python benchmarks/bench_cuda.py 2>&1 | tee "$out/bench_cuda.md"
