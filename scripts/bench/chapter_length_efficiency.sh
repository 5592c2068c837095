#!/bin/bash
# The pipeline efficiency over the chapter's 10 epochs, where make bench's
# 3-epoch runs weigh what a run pays once (the one validation pass above
# all) about three times as much.
#
#     scripts/bench/chapter_length_efficiency.sh   # after make bench (its data and models)
#
# For dogbreed's CPU default backbone (the bench's --default-backbone-flags)
# and the int8 one, REPS times (default 3): a backbone-only run, a training
# run of EPOCHS epochs (default 10) and a second backbone-only run, each in
# its own process; the efficiency is the training run's examples/s over the
# mean of the two backbone-only rates around it, as make bench reckons it.
# Prints each run and the medians. THREADS: libtorch's threads (default:
# every CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
bench=build/bench/bench data=build/bench/data
fp32=build/cache/resnet34.pt int8=build/cache/resnet34-int8.pt
for f in "$data/labels.csv" "$fp32" "$int8"; do
	[ -e "$f" ] || { echo "$0: $f is missing: run make bench first" >&2; exit 1; }
done
${GO:-go} build -o "$bench" ./examples/bench
# dogbreed's default here, as the bench's repetitions run it (Winograd where
# oneDNN has the kernels, else frozen + optimised).
read -ra default_flags <<<"$("$bench" --default-backbone-flags)"
reps=${REPS:-3} epochs=${EPOCHS:-10} threads=${THREADS:-$(nproc)}
common=(--data "$data" --threads "$threads")

rate() { # the worker's examples/s or images/s, from its JSON line
	grep -o '"\(examples\|images\)_per_sec":[0-9.]*' | tail -1 | cut -d: -f2
}

declare -A effs
for rep in $(seq "$reps"); do
	for lever in default int8; do
		case $lever in
		default) flags=(--model "$fp32" "${default_flags[@]}") ;;
		int8) flags=(--model "$int8" --optimize-backbone --int8) ;;
		esac
		before=$("$bench" "${common[@]}" "${flags[@]}" --worker backbone | rate)
		train=$("$bench" "${common[@]}" "${flags[@]}" --worker train --epochs "$epochs" | rate)
		after=$("$bench" "${common[@]}" "${flags[@]}" --worker backbone | rate)
		eff=$(awk -v t="$train" -v a="$before" -v b="$after" 'BEGIN { printf "%.3f", t / ((a + b) / 2) }')
		effs[$lever]+="$eff "
		printf '%s, repetition %d: backbone %.1f img/s, %d-epoch training %.1f examples/s, backbone %.1f img/s: efficiency %s\n' \
			"$lever" "$rep" "$before" "$epochs" "$train" "$after" "$eff"
	done
done
for lever in default int8; do
	median=$(printf '%s\n' ${effs[$lever]} | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	echo "$lever: median efficiency over $reps repetitions of $epochs epochs: $median"
done
