#!/usr/bin/python3
"""Go's data pipeline against PIL + torchvision's, alternating, one core each.

    /usr/bin/python3 scripts/bench/pipeline_vs_pil.py [--rounds 5] [--go go]

Each round runs `go test -bench` (GOMAXPROCS=1: one core, as PIL's one
thread) on the 500x375 test JPEGs, then the same pipelines in PIL +
torchvision (transforms_bench.py) on the same files. Prints a markdown table
of the medians over the rounds, with each side's range and Go's time as a
fraction of PIL's (below 1: Go is faster).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
import transforms_bench as tb  # noqa: E402

ROWS = [("JPEG decode", "DecodeJPEG", "decode"),
        ("train pipeline (decode, RandomResizedCrop, flip, ColorJitter, ToTensor, Normalize)", "TrainPipeline", "train"),
        ("test pipeline (decode, Resize 256, CenterCrop 224, ToTensor, Normalize)", "TestPipeline", "test")]


def go_round(go):
    out = subprocess.run([go, "test", "-run", "^$", "-bench", "^Benchmark(DecodeJPEG|TrainPipeline|TestPipeline)$",
                          "-benchtime", "2s", "-cpu", "1", "./transforms"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    ms = {}
    for name, ns in re.findall(r"^Benchmark(\w+)\s+\d+\s+([\d.]+) ns/op", out, re.M):
        ms[name] = float(ns) / 1e6
    return ms


def pil_round():
    files = tb.DEFAULT
    decode = lambda f: tb.Image.open(f).convert("RGB")
    return {"decode": tb.per_image(decode, files, 2.0),
            "train": tb.per_image(lambda f: tb.TRAIN(decode(f)), files, 2.0),
            "test": tb.per_image(lambda f: tb.TEST(decode(f)), files, 2.0)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--go", default="go")
    args = ap.parse_args()
    gos, pils = [], []
    for r in range(args.rounds):
        gos.append(go_round(args.go))
        pils.append(pil_round())
        print(f"round {r + 1}: Go {gos[-1]}  PIL {pils[-1]}", file=sys.stderr)
    print(f"| per image, one core (median of {args.rounds} alternating rounds) | Go | PIL + torchvision | Go / PIL |")
    print("| --- | --- | --- | --- |")
    for label, gk, pk in ROWS:
        g = [x[gk] for x in gos]
        p = [x[pk] for x in pils]
        ratios = [a / b for a, b in zip(g, p)]
        print(f"| {label} | {statistics.median(g):.2f} ms ({min(g):.2f}–{max(g):.2f}) | "
              f"{statistics.median(p):.2f} ms ({min(p):.2f}–{max(p):.2f}) | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |")


if __name__ == "__main__":
    main()
