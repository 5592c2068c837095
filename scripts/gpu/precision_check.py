#!/usr/bin/python3
"""The ResNet-34 backbone's forward on one GPU under each precision and memory
format, eager and TorchScript: which combination a Go backbone should use.

  python3 scripts/gpu/precision_check.py [--batch 128] [--iters 20]

Prints one line per variant: images/s (after warm-up batches, timed with the GPU
synchronised) and the largest difference of the logits from eager float32 with
TF32 off, relative to their largest magnitude. Random weights (torch.manual_seed(0)),
as scripts/export_backbone.py --weights none; the speed does not depend on them.
Written after the H200 run of 2026-11-27 where bf16 autocast on the TorchScript
backbone was 2.9x slower than float32.
"""
import argparse
import time

import torch
import torchvision


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, x, warmup, iters):
    with torch.inference_mode():
        for _ in range(warmup):
            y = fn(x)
        sync()
        start = time.perf_counter()
        for _ in range(iters):
            y = fn(x)
        sync()
        return y.float(), x.shape[0] * iters / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--device", default="cuda", help="cuda, or cpu to try the script out")
    args = p.parse_args()
    dev = torch.device(args.device)
    torch.manual_seed(0)
    model = torchvision.models.resnet34(weights=None).eval().to(dev)
    x = torch.randn(args.batch, 3, 224, 224, device=dev)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    with torch.inference_mode():
        ref = model(x).float()
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    scale = ref.abs().max().item()
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name() if dev.type == 'cuda' else 'CPU'}, batch {args.batch}, "
          f"{args.iters} timed batches after {args.warmup}; TF32 on (PyTorch's default for convolutions)")

    def autocast(fn, dtype):
        def run(x):
            with torch.autocast(dev.type, dtype=dtype):
                return fn(x)
        return run

    cl = torch.channels_last
    scripted = torch.jit.script(model)
    model_cl = torchvision.models.resnet34(weights=None).eval().to(dev)
    model_cl.load_state_dict(model.state_dict())
    model_cl = model_cl.to(memory_format=cl)
    scripted_cl = torch.jit.script(model_cl)
    frozen_cl = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model_cl)))
    bf16_cl = torchvision.models.resnet34(weights=None).eval().to(dev)
    bf16_cl.load_state_dict(model.state_dict())
    bf16_cl = torch.jit.script(bf16_cl.to(dtype=torch.bfloat16).to(memory_format=cl))
    x_cl = x.contiguous(memory_format=cl)
    variants = [
        ("eager float32 NCHW", model, x),
        ("eager float32 channels-last", model_cl, x_cl),
        ("eager bf16 autocast NCHW", autocast(model, torch.bfloat16), x),
        ("eager bf16 autocast channels-last", autocast(model_cl, torch.bfloat16), x_cl),
        ("eager fp16 autocast channels-last", autocast(model_cl, torch.float16), x_cl),
        ("script float32 NCHW", scripted, x),
        ("script float32 channels-last", scripted_cl, x_cl),
        ("script bf16 autocast NCHW (the Go path)", autocast(scripted, torch.bfloat16), x),
        ("script bf16 autocast channels-last", autocast(scripted_cl, torch.bfloat16), x_cl),
        ("script fp16 autocast channels-last", autocast(scripted_cl, torch.float16), x_cl),
        ("script bf16 weights channels-last", bf16_cl, x_cl.to(torch.bfloat16)),
        ("frozen+optimized float32 channels-last", frozen_cl, x_cl),
    ]
    for name, fn, inp in variants:
        try:
            y, rate = timed(fn, inp, args.warmup, args.iters)
            print(f"{name:45s} {rate:9.1f} img/s  max|diff|/max {((y - ref).abs().max().item() / scale):.1e}", flush=True)
        except Exception as e:  # report and go on: one variant failing says something too
            print(f"{name:45s} FAILED: {str(e).splitlines()[0][:200]}", flush=True)
    torch.backends.cudnn.benchmark = True
    for name, fn, inp in variants[5:10]:
        try:
            y, rate = timed(fn, inp, args.warmup, args.iters)
            print(f"{name + ' +cudnn.benchmark':60s} {rate:9.1f} img/s", flush=True)
        except Exception as e:
            print(f"{name + ' +cudnn.benchmark':60s} FAILED: {str(e).splitlines()[0][:200]}", flush=True)


if __name__ == "__main__":
    main()
