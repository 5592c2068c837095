#!/usr/bin/python3
"""Round-trip helper for torch/serialize_test.go: Go -> PyTorch -> Go.

  roundtrip_params.py IN OUT

Loads IN with torch.load(weights_only=True), PyTorch 2.6's default (IN is written
by Go's torch.SaveTensors), checks it is a dict
of name -> tensor, doubles every floating tensor (integer ones are kept), and
writes the result to OUT with torch.save. Prints the names and dtypes it read.
"""
import sys

import torch


def main():
    src, dst = sys.argv[1], sys.argv[2]
    d = torch.load(src, weights_only=True)
    if not isinstance(d, dict):
        sys.exit(f"{src}: torch.load gave a {type(d).__name__}, not a dict")
    out = {}
    for name, t in d.items():
        if not isinstance(t, torch.Tensor):
            sys.exit(f"{src}: entry {name} is a {type(t).__name__}, not a tensor")
        print(name, str(t.dtype).replace("torch.", ""), list(t.shape))
        out[name] = t * 2 if t.is_floating_point() else t
    torch.save(out, dst)


if __name__ == "__main__":
    main()
