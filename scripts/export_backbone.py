#!/usr/bin/python3
"""Exports a torchvision image classifier as TorchScript, for use as the frozen backbone.

  /usr/bin/python3 scripts/export_backbone.py --out build/cache/resnet34.pt
  /usr/bin/python3 scripts/export_backbone.py --weights imagenet --out resnet34-imagenet.pt

--weights imagenet downloads torchvision's ImageNet weights (needs internet, or a
copy already in the torch hub cache, ~/.cache/torch/hub/checkpoints). --weights none
gives random weights drawn after torch.manual_seed(--seed), so the file is the same
on every run; the script says loudly that such a model has learnt nothing.

The module is saved in eval mode (BatchNorm on running statistics). It takes a
float32 NCHW batch normalised with the ImageNet mean/std and returns [N, 1000] logits.
"""
import argparse
import os
import sys

import torch
import torchvision

WEIGHTS = {"resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights",
           "resnet50": "ResNet50_Weights", "resnet101": "ResNet101_Weights"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="resnet34", choices=sorted(WEIGHTS))
    p.add_argument("--weights", default="none", choices=["imagenet", "none"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    args = p.parse_args()

    ctor = getattr(torchvision.models, args.arch)
    if args.weights == "imagenet":
        weights = getattr(torchvision.models, WEIGHTS[args.arch]).IMAGENET1K_V1
        try:
            model = ctor(weights=weights)
        except OSError as e:  # URLError and friends: no internet, no cached copy
            print(f"export: cannot get the ImageNet weights ({e}). They need internet once, or the file "
                  f"{weights.url.rsplit('/', 1)[-1]} in ~/.cache/torch/hub/checkpoints/. "
                  "Use --weights none for a random-weight model.", file=sys.stderr)
            sys.exit(3)
        print(f"export: {args.arch} with ImageNet weights ({weights})", file=sys.stderr)
    else:
        torch.manual_seed(args.seed)
        model = ctor(weights=None)
        print(f"export: WARNING: {args.arch} with RANDOM weights (seed {args.seed}): it has learnt "
              "nothing; use --weights imagenet where the internet is reachable", file=sys.stderr)
    model.eval()
    scripted = torch.jit.script(model)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    scripted.save(tmp)
    os.replace(tmp, args.out)  # never leave a half-written model behind
    print(f"export: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
