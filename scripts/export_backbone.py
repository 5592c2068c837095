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

--quantize int8 makes an 8-bit backbone for CPUs (post-training static
quantization, FX graph mode, --qbackend's kernels: x86/onednn/fbgemm/qnnpack):
weights and activations in int8, input and output still float32, so the Go side
uses it like any other backbone. The activation ranges are calibrated on images
of --calibration DIR (searched recursively; the first --calibration-images in
sorted order, through the chapter's test transform: Resize 256, CenterCrop 224,
Normalize), which should look like the training data.
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
    p.add_argument("--quantize", default="none", choices=["none", "int8"])
    p.add_argument("--qbackend", default="x86", choices=["x86", "onednn", "fbgemm", "qnnpack"])
    p.add_argument("--calibration", help="folder of images to calibrate the int8 activation ranges on")
    p.add_argument("--calibration-images", type=int, default=256)
    args = p.parse_args()
    if args.quantize == "int8" and not args.calibration:
        p.error("--quantize int8 needs --calibration DIR (images like the training data)")

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
    if args.quantize == "int8":
        model = quantize_int8(model, args)
    scripted = torch.jit.script(model)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    scripted.save(tmp)
    os.replace(tmp, args.out)  # never leave a half-written model behind
    print(f"export: wrote {args.out}", file=sys.stderr)


def calibration_batches(folder, limit, batch=16):
    """The first `limit` images under folder (sorted), as the chapter's test transform makes them."""
    from PIL import Image
    import torchvision.transforms as T
    tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    exts = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs if f.lower().endswith(exts))[:limit]
    if not files:
        sys.exit(f"export: no images under {folder} to calibrate on")
    for i in range(0, len(files), batch):
        yield torch.stack([tf(Image.open(f).convert("RGB")) for f in files[i:i + batch]])


def quantize_int8(model, args):
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    if args.qbackend != "x86" and args.qbackend not in torch.backends.quantized.supported_engines:
        sys.exit(f"export: this PyTorch has no {args.qbackend} kernels (it has "
                 f"{torch.backends.quantized.supported_engines})")
    prepared = prepare_fx(model, get_default_qconfig_mapping(args.qbackend), (torch.randn(1, 3, 224, 224),))
    n = 0
    with torch.no_grad():
        for x in calibration_batches(args.calibration, args.calibration_images):
            prepared(x)
            n += len(x)
    print(f"export: int8 ({args.qbackend}) calibrated on {n} images of {args.calibration}", file=sys.stderr)
    return convert_fx(prepared).eval()


if __name__ == "__main__":
    main()
