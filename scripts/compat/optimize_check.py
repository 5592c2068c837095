#!/usr/bin/python3
"""Does this PyTorch run an optimize_for_inference'd backbone correctly?

  optimize_check.py MODEL.pt [cpu|cuda]

torch.OptimizeForInferenceVerified (Go) is true for libtorch 1.x only: Debian's
PyTorch 2.6 corrupts memory running an optimised ResNet-34 (a crash or a hang).
This script tells whether another PyTorch has the fault: it runs the frozen and
optimised module three times under no_grad in a child process (a crash cannot
take this one down) and compares the outputs with the plain module's. It prints
one line, "optimize_for_inference on cpu: ok ..." or "... FAILED ...", and
exits 0 when it worked, 1 when it did not. The second argument picks the device
(default cpu); on cuda, TF32 is off so that the comparison is of float32.
"""
import subprocess
import sys

CHILD = r"""
import sys, torch
torch.manual_seed(0)
dev = sys.argv[2]
torch.backends.cudnn.allow_tf32 = False
m = torch.jit.load(sys.argv[1], map_location=dev).eval()
x = torch.randn(2, 3, 224, 224).to(dev)
with torch.no_grad():
    want = m(x)
    o = torch.jit.optimize_for_inference(torch.jit.freeze(m))
    diff = max(float((o(x) - want).abs().max()) for _ in range(3))
print(f"max |diff| {diff:.3g} (max |logit| {float(want.abs().max()):.3g})")
"""


def main():
    import torch

    dev = sys.argv[2] if len(sys.argv) > 2 else "cpu"
    where, what = f"PyTorch {torch.__version__}", f"optimize_for_inference on {dev}"
    try:
        r = subprocess.run([sys.executable, "-c", CHILD, sys.argv[1], dev], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        print(f"{what}: FAILED with {where}: no result after 300 s (a hang)")
        sys.exit(1)
    if r.returncode != 0:
        how = f"signal {-r.returncode}" if r.returncode < 0 else f"exit status {r.returncode}"
        lines = r.stderr.strip().splitlines()
        said = next((l.strip() for l in lines if "signal" in l or "Error" in l), lines[-1] if lines else "")
        print(f"{what}: FAILED with {where}: {how}: {said}")
        sys.exit(1)
    print(f"{what}: ok with {where}: {r.stdout.strip()}")


if __name__ == "__main__":
    main()
