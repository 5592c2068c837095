#!/usr/bin/env bash
# The CUDA checks, run ON a GPU machine that has PyTorch (CUDA build), CMake and
# g++ but no Go: the Go binaries are built beforehand on a Go machine with
# `make gpu-binaries` (into .gpu/) and carried over. It
#   1. builds the shim against that machine's libtorch (PyTorch's own), with
#      c10d NCCL when the wheel's nccl.h is found (again without c10d if that fails),
#   2. runs the CUDA tests of torch/ and finetune/ (NCCL: one rank on one GPU,
#      two ranks where two GPUs exist) and BenchmarkAugmentOnCUDA,
#   3. runs a short dogbreed training with --device cuda on generated data
#      (channels-last, the training augmentation on the GPU, inputs made a
#      batch ahead and byte batches for validation by default), again with
#      --channels-last=false, with --bf16 and with float32 batches
#      (--pixel-batches=false --augment-on-device=false)
#      (and with --device all where there are several GPUs),
#      and again under torchrun (a rank per GPU, c10d over NCCL), and for 3
#      epochs without the decoded-image cache, then with it under each of
#      the GPU's input levers (scripts/gpu/feed_sweep.sh, one round),
#   4. runs examples/bench with --device cuda: the Go pipeline against the
#      chapter's PyTorch code on the same GPU, alternating,
#   4a. times the backbone's forward in PyTorch under each precision and
#      memory format (scripts/gpu/precision_check.py),
#   5. with the time left (DEADLINE seconds from the start, default 420): the
#      whole torch test suite against this libtorch, then the chapter with
#      DataLoader workers and optimize_for_inference's check.
# STEPS (default "tests dogbreed bench extra") picks the steps after the
# shim: tests (2), dogbreed (3), bench (4, at most BENCH_TIMEOUT seconds,
# default 300) and extra (4a, 5, 4b and the optimize check); e.g. STEPS=tests
# before scripts/gpu/feed_sweep.sh, then STEPS=bench, in one call.
# Logs go under $OUT (default gpu-logs/; appended to), eight files at most
# (the device tool returns no more): summary.txt has the gist of each step.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-gpu-logs}
PYTHON=${PYTHON:-python3}
DEADLINE=${DEADLINE:-420}
STEPS=${STEPS:-tests dogbreed bench extra}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-300}
mkdir -p "$OUT"
export TUNETORCH_ROOT=$PWD TUNETORCH_PYTHON=$PYTHON PYTHONUNBUFFERED=1
log() { echo "== $(date +%T) [${SECONDS}s] $*" | tee -a "$OUT/summary.txt"; }
# left N: true when N seconds still fit before the deadline.
left() { [ $((SECONDS + $1)) -le "$DEADLINE" ]; }
# want STEP: true when STEPS names it.
want() { [[ " $STEPS " == *" $1 "* ]]; }
for b in torch.test finetune.test dogbreed bench; do
  [ -x ".gpu/$b" ] || { echo "missing .gpu/$b: run 'make gpu-binaries' on a Go machine first" >&2; exit 2; }
done

{ nvidia-smi; nproc; $PYTHON -c 'import torch,torchvision;print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count(), "torchvision", torchvision.__version__)'; } > "$OUT/system.txt" 2>&1
grep -E "torch |NVIDIA H|NVIDIA A|Tesla" "$OUT/system.txt" | head -3 | tee -a "$OUT/summary.txt"
site=$($PYTHON -c 'import torch,os;print(os.path.dirname(os.path.dirname(torch.__file__)))')
prefix=$($PYTHON -c 'import torch;print(torch.utils.cmake_prefix_path)')
torchlib=$site/torch/lib
{ echo "the wheel's include/: $(ls "$site/torch/include" | tr '\n' ' ')"
  find "$site/torch/include" -maxdepth 2 -name '*gloo*' | head -3
  find "$site/torch/include" -name version.h -path '*torch*' | head -3; } >> "$OUT/system.txt" 2>&1
[ -e "$site/torch/include/gloo/algorithm.h" ] && log "the wheel ships gloo's headers" || log "the wheel ships no gloo headers"
# A wheel's NCCL headers live in the nvidia-nccl package, not beside libtorch's.
nccl=$(dirname "$(find "$site/nvidia" -name nccl.h -path '*include*' 2>/dev/null | head -1)" 2>/dev/null)
[ "$nccl" = . ] && nccl=

log "1. shim against this libtorch (nccl.h: ${nccl:-not found})"
# Through the Makefile's rule, as Dockerfile.cuda builds it.
build() { # build DIR [cmake args...]
  local dir=$1; shift
  make "$dir/libtunetorch.so" BUILD="$dir" CMAKE_FLAGS="-DCMAKE_PREFIX_PATH=$prefix $*" >> "$OUT/cmake.txt" 2>&1
}
shim=build-gpu
if ! build $shim ${nccl:+-DNCCL_INCLUDE_DIR="$nccl"}; then
  log "shim build FAILED; the first errors:"
  grep -m 12 -E "error|Error" "$OUT/cmake.txt" | cut -c1-400 | tee -a "$OUT/summary.txt"
  log "1b. again without c10d (no NCCL, no Gloo)"
  shim=build-gpu-noc10d
  build $shim -DTUNETORCH_NCCL=OFF -DTUNETORCH_DISTRIBUTED=OFF || { log "shim build FAILED again"; grep -E "error" "$OUT/cmake.txt" | tail -8 | cut -c1-400 | tee -a "$OUT/summary.txt"; shim=; }
fi
grep -E "tunetorch:" "$OUT/cmake.txt" | sort -u | tee -a "$OUT/summary.txt"
export LD_LIBRARY_PATH="$PWD/$shim:$torchlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

model=build-gpu/resnet34.pt
mkdir -p build-gpu
$PYTHON scripts/export_backbone.py --weights none --out $model >> "$OUT/tests.txt" 2>&1
if [ -n "$shim" ] && want tests; then
  log "2. CUDA tests"
  (cd torch && timeout 180 ../.gpu/torch.test -test.v -test.run 'CUDA|NCCL|TF32|RuntimeInfo|ChannelsLast|ProcessGroupCollectivesOverGloo') >> "$OUT/tests.txt" 2>&1
  (cd finetune && timeout 120 ../.gpu/finetune.test -test.v -test.run 'CUDA|Replica|NCCL') >> "$OUT/tests.txt" 2>&1
  # The augmentation's host work per batch of 128, the crops' page-locked
  # copy in one part (libtorch at 1 thread) and in two (at 2).
  (cd finetune && timeout 60 ../.gpu/finetune.test -test.run '^$' -test.bench AugmentOnCUDA -test.benchtime 30x -test.count 3) >> "$OUT/tests.txt" 2>&1
  grep -E "^(--- |ok|FAIL|PASS)|allocator|^Benchmark" "$OUT/tests.txt" | tee -a "$OUT/summary.txt"
fi
if [ -n "$shim" ] && want dogbreed; then
  log "3. dogbreed --device cuda (1 epoch, generated data)"
  timeout 150 .gpu/dogbreed --demo --demo-scale 0.2 --data-dir build-gpu/demo --model $model --device cuda \
    --epochs 1 --skip-final --batch-size 128 --plot "" >> "$OUT/dogbreed.txt" 2>&1
  echo "exit status $?" >> "$OUT/dogbreed.txt"
  tail -4 "$OUT/dogbreed.txt" | tee -a "$OUT/summary.txt"
  for variant in --channels-last=false --bf16 "--pixel-batches=false --augment-on-device=false"; do
    log "3'. dogbreed --device cuda $variant"
    timeout 100 .gpu/dogbreed --data-dir build-gpu/demo --model $model --device cuda $variant \
      --epochs 1 --skip-final --batch-size 128 --plot "" >> "$OUT/dogbreed.txt" 2>&1
    echo "exit status $?" >> "$OUT/dogbreed.txt"
    grep -E "^backbone" "$OUT/dogbreed.txt" | tail -1 | tee -a "$OUT/summary.txt"
    tail -3 "$OUT/dogbreed.txt" | tee -a "$OUT/summary.txt"
  done
  log "3c. dogbreed --device cuda, 3 epochs, --cache-images off (every epoch decodes)"
  timeout 100 .gpu/dogbreed --data-dir build-gpu/demo --model $model --device cuda --cache-images off \
    --epochs 3 --skip-final --batch-size 128 --plot "" >> "$OUT/dogbreed.txt" 2>&1
  echo "exit status $?" >> "$OUT/dogbreed.txt"
  grep -E "^epoch [0-9]+/3: train loss .*valid" "$OUT/dogbreed.txt" | tail -3 | tee -a "$OUT/summary.txt"
  # The cached epochs under each of the GPU's input levers, one round here;
  # more rounds and worker counts in a call of its own (README, CUDA).
  log "3c'. the GPU input levers, 3 epochs cached (scripts/gpu/feed_sweep.sh, one round)"
  OUT="$OUT" PYTHON="$PYTHON" ROUNDS=1 WORKERS=$(($(nproc) - 2)) scripts/gpu/feed_sweep.sh
  gpus=$($PYTHON -c 'import torch;print(torch.cuda.device_count())')
  if [ "$gpus" -gt 1 ]; then
    log "3a. dogbreed --device all (the backbone replicated on the $gpus GPUs)"
    timeout 120 .gpu/dogbreed --data-dir build-gpu/demo --model $model --device all \
      --epochs 1 --skip-final --batch-size 128 --plot "" >> "$OUT/dogbreed.txt" 2>&1
    echo "exit status $?" >> "$OUT/dogbreed.txt"
    tail -4 "$OUT/dogbreed.txt" | tee -a "$OUT/summary.txt"
  fi
  if command -v torchrun > /dev/null; then
    log "3b. the same under torchrun, one rank per GPU ($gpus), --dist-backend nccl"
    timeout 120 torchrun --no_python --nproc_per_node="$gpus" .gpu/dogbreed --data-dir build-gpu/demo --model $model \
      --device cuda --dist-backend nccl --epochs 1 --skip-final --batch-size 128 --plot "" >> "$OUT/dogbreed.txt" 2>&1
    echo "exit status $?" >> "$OUT/dogbreed.txt"
    tail -4 "$OUT/dogbreed.txt" | tee -a "$OUT/summary.txt"
  fi
fi
if [ -n "$shim" ] && want bench; then
  log "4. bench --device cuda: Go against the chapter on this GPU"
  # Two epochs: the second shows the decoded-image cache's row at work and
  # keeps the chapter's runs (~9 s an epoch on the H200) inside the timeout.
  # Two repetitions, as before stop 23 (the CPU bench takes three), and one
  # backbone-only run before each training run (the CPU bench brackets it
  # with two since stop 27): the GPU's minutes are counted.
  timeout "$BENCH_TIMEOUT" .gpu/bench --device cuda --data build-gpu/bench --classes 24 --scale 1 --batch-size 128 --threads 2 --batches 20 --epochs 2 --reps 2 --bracket=false \
    --model $model --python "$PYTHON" --json "$OUT/bench.json" > "$OUT/bench.txt" 2>&1
  echo "exit status $?" >> "$OUT/bench.txt"
  grep -E "^\| |efficiency|exit status" "$OUT/bench.txt" | tee -a "$OUT/summary.txt"
fi
want extra || DEADLINE=0
if left 60; then
  log "4a. the backbone's forward in PyTorch under each precision and memory format"
  timeout 60 $PYTHON scripts/gpu/precision_check.py 2>&1 | grep -v Warning | tee -a "$OUT/system.txt" "$OUT/summary.txt"
fi
if [ -n "$shim" ] && left 90; then
  log "5. the whole torch test suite against this libtorch (at most 150 s, leaving 60 for the last steps)"
  (cd torch && TUNETORCH_RESNET34=$PWD/../$model timeout $((DEADLINE - SECONDS - 60 < 150 ? DEADLINE - SECONDS - 60 : 150)) \
    ../.gpu/torch.test -test.v) > "$OUT/suite.txt" 2>&1
  echo "exit status $?" >> "$OUT/suite.txt"
  grep -E "^(--- FAIL|ok|FAIL|PASS)|exit status" "$OUT/suite.txt" | tee -a "$OUT/summary.txt"
fi
if left 60 && [ -d build-gpu/bench/train_valid_test ]; then
  log "4b. the chapter with $(($(nproc) - 2)) DataLoader worker processes"
  timeout 60 $PYTHON scripts/bench/chapter_reference.py --mode train --data build-gpu/bench --model $model \
    --batch-size 128 --threads 2 --device cuda --workers $(($(nproc) - 2)) 2>&1 | tail -1 | tee -a "$OUT/system.txt" "$OUT/summary.txt"
fi
if left 60; then
  log "optimize_for_inference on this PyTorch"
  timeout 60 $PYTHON scripts/compat/optimize_check.py $model cpu | tee -a "$OUT/summary.txt"
  timeout 60 $PYTHON scripts/compat/optimize_check.py $model cuda | tee -a "$OUT/summary.txt"
fi
log "done"
