#!/usr/bin/env bash
# The GPU's input levers side by side, run ON a GPU machine after
# scripts/gpu/check.sh (which builds the shim into build-gpu/ and exports the
# model; the demo data is generated here when missing): dogbreed trains
# EPOCHS epochs (default 3) of the demo data with the decoded-image cache,
# for each loader worker count in WORKERS and each variant in VARIANTS
# (dogbreed flags, variants separated by ";", "" for the defaults; default:
# the list below), the variants alternating, ROUNDS times. It prints,
# per worker count and variant, the median examples/s of the epochs after
# the first (cached) and of the first (decoding), and the median share of
# the cached epochs spent waiting for data; every training loss must be the
# same (the levers change no value), which it checks.
#   OUT=$OUT ROUNDS=2 WORKERS="14 4" scripts/gpu/feed_sweep.sh
#   OUT=$OUT EPOCHS=8 VARIANTS=";--prefetch-threads 2" scripts/gpu/feed_sweep.sh
# (DEVICE and EXTRA, e.g. DEVICE=cpu EXTRA="--input-size 64", try the script
# itself on a machine without a GPU.)
# Logs: appended to $OUT/dogbreed.txt; the table to stdout and
# $OUT/summary.txt (check.sh's files: the device tool returns eight at most).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-gpu-logs}
PYTHON=${PYTHON:-python3}
ROUNDS=${ROUNDS:-2}
WORKERS=${WORKERS:-"14 4"}
DEVICE=${DEVICE:-cuda}
EXTRA=${EXTRA:-}
EPOCHS=${EPOCHS:-3}
# The former GPU defaults (byte batches), the defaults (augmentation on
# the device, inputs made ahead by one thread), the decoded images kept on
# the GPU, more threads, both, and bf16 with the defaults and the images
# kept on the GPU.
VARIANTS=${VARIANTS-"--augment-on-device=false --prefetch-inputs=false;;--device-images 8GiB;--prefetch-threads 2;--device-images 8GiB --prefetch-threads 2;--bf16;--bf16 --device-images 8GiB"}
mkdir -p "$OUT"
shim=build-gpu
[ -e $shim/libtunetorch.so ] || shim=build-gpu-noc10d
model=build-gpu/resnet34.pt
for f in $shim/libtunetorch.so $model .gpu/dogbreed; do
  [ -e "$f" ] || { echo "missing $f: run scripts/gpu/check.sh first" >&2; exit 2; }
done
torchlib=$($PYTHON -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$PWD/$shim:$torchlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ ! -e build-gpu/demo/labels.csv ]; then
  echo "== $(date +%T) generating the demo data (dogbreed --demo --demo-scale 0.2, one epoch)" | tee -a "$OUT/summary.txt"
  timeout 150 .gpu/dogbreed --demo --demo-scale 0.2 --data-dir build-gpu/demo --model $model --device "$DEVICE" $EXTRA \
    --epochs 1 --skip-final --batch-size 128 --plot "" >> "$OUT/dogbreed.txt" 2>&1 || { echo "generating the demo data failed (see dogbreed.txt)" | tee -a "$OUT/summary.txt"; exit 1; }
fi
IFS=';' read -r -a variants <<< "$VARIANTS"
# (read drops a last empty variant; "" alone is the defaults alone)
[ -z "$VARIANTS" ] || [ "${VARIANTS: -1}" = ";" ] && variants+=("")
runs=$(mktemp)
echo "== $(date +%T) feed sweep: workers $WORKERS, $ROUNDS round(s), $EPOCHS epochs" | tee -a "$OUT/summary.txt"
for round in $(seq "$ROUNDS"); do
  for w in $WORKERS; do
    for variant in "${variants[@]}"; do
      log=$(mktemp)
      timeout 90 .gpu/dogbreed --data-dir build-gpu/demo --model $model --device "$DEVICE" --cache-images auto --workers "$w" $EXTRA $variant \
        --epochs "$EPOCHS" --skip-final --batch-size 128 --plot "" > "$log" 2>&1
      status=$?
      { echo "== round $round, workers $w: ${variant:-(defaults)}"; cat "$log"; echo "exit status $status"; } >> "$OUT/dogbreed.txt"
      grep -E "^epoch [0-9]+/$EPOCHS: train loss" "$log" | sed -E "s|^|$w\t${variant:-(defaults)}\t$status\t|" >> "$runs"
      [ $status -eq 0 ] || echo "round $round, workers $w, ${variant:-(defaults)}: exit status $status (see dogbreed.txt)" | tee -a "$OUT/summary.txt"
      rm -f "$log"
    done
  done
done
$PYTHON - "$runs" "$EPOCHS" <<'EOF' | tee -a "$OUT/summary.txt"
import re, statistics, sys
rows, losses = {}, {}
for line in open(sys.argv[1]):
    w, variant, status, text = line.rstrip("\n").split("\t", 3)
    m = re.match(r"epoch (\d+)/" + sys.argv[2] + r": train loss ([\d.]+).* ([\d.]+) examples/sec \([\d.]+s, (\d+)% waiting", text)
    if not m:
        continue
    epoch, loss, rate, wait = int(m[1]), m[2], float(m[3]), int(m[4])
    r = rows.setdefault((int(w), variant), {"first": [], "cached": [], "wait": []})
    if epoch == 1:
        r["first"].append(rate)
    else:
        r["cached"].append(rate)
        r["wait"].append(wait)
    losses.setdefault(("bf16" in variant, epoch), set()).add(loss)
print("| workers | variant | cached epochs, examples/s (median, range) | first epoch | waiting for data (cached) |")
print("| --- | --- | --- | --- | --- |")
for (w, variant), r in sorted(rows.items(), key=lambda kv: (-kv[0][0],)):
    c = r["cached"]
    span = f"{min(c):,.0f}-{max(c):,.0f}" if c else "-"
    med = f"{statistics.median(c):,.0f}" if c else "-"
    first = f"{statistics.median(r['first']):,.0f}" if r["first"] else "-"
    wait = f"{statistics.median(r['wait']):.0f}%" if r["wait"] else "-"
    print(f"| {w} | {variant} | {med} ({span}) | {first} | {wait} |")
same = all(len(v) == 1 for v in losses.values())
print("training losses: " + ("the same in every run (float32 runs; bf16 runs among themselves)" if same else
      "DIFFER: " + "; ".join(f"{'bf16' if k[0] else 'float32'} epoch {k[1]}: {sorted(v)}" for k, v in sorted(losses.items()) if len(v) > 1)))
EOF
rm -f "$runs"
