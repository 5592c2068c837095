#!/usr/bin/env bash
# The CUDA checks, run ON a GPU machine that has PyTorch (CUDA build), CMake and
# g++ but no Go: the Go binaries are built beforehand on a Go machine with
# `make gpu-binaries` (into .gpu/) and carried over. It
#   1. builds the shim against that machine's libtorch (PyTorch's own),
#   2. runs the torch package's tests, the CUDA ones included, on the GPU,
#   3. runs a short dogbreed training with --device cuda on generated data,
#   4. runs the chapter's PyTorch code on the same data on the same GPU,
# and writes every log under $OUT (default: gpu-logs/).
#
# NOT YET RUN on a GPU machine: the first session lent one should run it
# (scripts/gpu/check.sh) and fix what it finds.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-gpu-logs}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
log() { echo "== $*" | tee -a "$OUT/summary.txt"; }
[ -x .gpu/torch.test ] && [ -x .gpu/dogbreed ] || { echo "missing .gpu/ binaries: run 'make gpu-binaries' on a Go machine first" >&2; exit 2; }

nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
prefix=$($PYTHON -c 'import torch;print(torch.utils.cmake_prefix_path)')
torchlib=$($PYTHON -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')
log "torch $($PYTHON -c 'import torch;print(torch.__version__, torch.version.cuda, torch.cuda.device_count())') at $prefix"

# A wheel's NCCL headers live in the nvidia-nccl package, not beside libtorch's.
nccl=$($PYTHON -c 'import nvidia.nccl,os;print(os.path.join(list(nvidia.nccl.__path__)[0],"include"))' 2>/dev/null)

log "1. shim against this libtorch"
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" ${nccl:+-DNCCL_INCLUDE_DIR="$nccl"} > "$OUT/cmake.txt" 2>&1 &&
  cmake --build build-gpu -j "$(nproc)" >> "$OUT/cmake.txt" 2>&1 || { log "shim build FAILED (see cmake.txt)"; exit 1; }
grep -E "tunetorch:" "$OUT/cmake.txt" | tee -a "$OUT/summary.txt"
export LD_LIBRARY_PATH="$PWD/build-gpu:$torchlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

log "2. torch tests (CUDA ones included)"
$PYTHON scripts/export_backbone.py --weights none --out build-gpu/resnet34.pt > "$OUT/export.txt" 2>&1
$PYTHON scripts/compat/optimize_check.py build-gpu/resnet34.pt | tee -a "$OUT/summary.txt"
(cd torch && TUNETORCH_RESNET34="$PWD/../build-gpu/resnet34.pt" TUNETORCH_PYTHON=$PYTHON ../.gpu/torch.test -test.v) > "$OUT/torch-tests.txt" 2>&1
grep -E "^(--- |ok|FAIL|PASS)" "$OUT/torch-tests.txt" | grep -E "CUDA|FAIL|^PASS|^ok" | tee -a "$OUT/summary.txt"

log "3. dogbreed --device cuda (1 epoch, generated data)"
.gpu/dogbreed --demo --demo-scale 0.2 --data-dir build-gpu/demo --model build-gpu/resnet34.pt --device cuda \
  --epochs 1 --skip-final --batch-size 128 --plot "" > "$OUT/dogbreed-cuda.txt" 2>&1
tail -3 "$OUT/dogbreed-cuda.txt" | tee -a "$OUT/summary.txt"
if [ "$($PYTHON -c 'import torch;print(torch.cuda.device_count())')" -gt 1 ]; then
  log "3b. dogbreed --device all (the backbone replicated on every GPU)"
  .gpu/dogbreed --demo --data-dir build-gpu/demo --model build-gpu/resnet34.pt --device all \
    --epochs 1 --skip-final --batch-size 128 --plot "" > "$OUT/dogbreed-all.txt" 2>&1
  tail -3 "$OUT/dogbreed-all.txt" | tee -a "$OUT/summary.txt"
fi

log "4. the chapter's PyTorch code on the same data and GPU"
$PYTHON scripts/bench/chapter_reference.py --mode train --data build-gpu/demo --model build-gpu/resnet34.pt \
  --batch-size 128 --device cuda > "$OUT/chapter-cuda.txt" 2>&1
tail -1 "$OUT/chapter-cuda.txt" | tee -a "$OUT/summary.txt"
