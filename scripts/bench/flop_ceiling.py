#!/usr/bin/python3
"""How fast a float32 ResNet-34 forward could be on this machine, at most.

    /usr/bin/python3 scripts/bench/flop_ceiling.py [--threads N] [--batch 32] [--rounds 3] [--int8-model PATH]

Counts the forward's floating-point operations (2 per multiply-add of the
convolutions and the final Linear; batch norm, ReLU and pooling are left out,
which only raises the ceiling), measures this machine's float32 matrix
product rate (torch.mm of 2048x2048 and 4096x4096 matrices, the best run:
OpenBLAS, the fastest float32 kernel libtorch has here; the kernel set is
named), and prints the forward's rate if every operation
ran at that speed, next to the chapter's forward (eager torchvision model)
and the convolutions' own rate, measured in the same run. The ratio bounds
what any float32 implementation doing the same arithmetic can gain over the
chapter here; only fewer operations (Winograd, lower precision) go past it.

With --int8-model (scripts/export_backbone.py --quantize int8), the same for
8 bits: the quantized matrix product's rate (quantized::linear of 2048 and 4096
square matrices, on the best int8 engine this PyTorch has), the int8 forward's
ceiling at that rate, and the int8 TorchScript backbone's forward beside it.
"""
import argparse
import ctypes
import os
import statistics
import time

import torch
import torchvision


def best_rate(fn, work, rounds):
    """Best of rounds of work/second of fn (after one warm-up call)."""
    fn()
    rates = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        rates.append(work / (time.perf_counter() - t))
    return max(rates), statistics.median(rates)


def openblas_core():
    """The kernel set of the OpenBLAS torch's matrix products call ("" if none):
    OpenBLAS before 0.3.25 picks Prescott on Intel models it does not know,
    and make bench passes the Go side's choice in OPENBLAS_CORETYPE."""
    try:
        get = ctypes.CDLL("libopenblas.so.0").openblas_get_corename
    except (OSError, AttributeError):
        return ""
    get.restype = ctypes.c_char_p
    return get().decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="libtorch threads (default: all cores, as examples/bench)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--int8-model", help="the int8 TorchScript backbone, for the 8-bit ceiling")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    net = torchvision.models.resnet34().eval()
    x = torch.randn(args.batch, 3, 224, 224)
    flops, conv_time = [0], [0.0]

    def before(mod, inp):
        mod.started = time.perf_counter()

    def after(mod, inp, out):
        conv_time[0] += time.perf_counter() - mod.started
        w = mod.weight
        per_output = w.shape[1] * (w.shape[2] * w.shape[3] if w.dim() == 4 else 1)
        flops[0] += 2 * out.numel() * per_output

    hooks = []
    for mod in net.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            hooks += [mod.register_forward_pre_hook(before), mod.register_forward_hook(after)]
    with torch.no_grad():
        net(x)
        flops[0], conv_time[0] = 0, 0.0
        t = time.perf_counter()
        net(x)
        hooked = time.perf_counter() - t
    for h in hooks:
        h.remove()
    per_image = flops[0] / args.batch
    conv_share = conv_time[0] / hooked

    gemm_best = 0.0
    for n in (2048, 4096):
        a, b = torch.randn(n, n), torch.randn(n, n)
        gemm_best = max(gemm_best, best_rate(lambda: a @ b, 2 * n ** 3, args.rounds)[0])
        del a, b
    with torch.no_grad():
        _, chapter = best_rate(lambda: net(x), args.batch, args.rounds)
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(net)))
        _, optimised = best_rate(lambda: frozen(x), args.batch, args.rounds)
    ceiling = gemm_best / per_image
    core = openblas_core()
    blas = f", OpenBLAS kernels {core}" if core else ""

    print(f"float32 ResNet-34 forward, 224 px, batch {args.batch}, {args.threads} thread(s), "
          f"torch {torch.__version__}{blas} (forward rates: medians of {args.rounds}; matrix product: best of {args.rounds})")
    print()
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| forward, operations per image (convolutions + Linear) | {per_image / 1e9:.2f} GFLOP |")
    print(f"| float32 matrix product (torch.mm, best of 2048² and 4096²) | {gemm_best / 1e9:.0f} GFLOP/s |")
    print(f"| ceiling: every operation at that rate | {ceiling:.1f} img/s |")
    print(f"| the chapter's forward (eager) | {chapter:.1f} img/s |")
    print(f"| its convolutions alone (time share {conv_share:.0%}) | {flops[0] / conv_time[0] / 1e9:.0f} GFLOP/s |")
    print(f"| frozen + optimize_for_inference | {optimised:.1f} img/s ({optimised / chapter:.2f}× the chapter) |")
    print(f"| ceiling ÷ the chapter's forward | {ceiling / chapter:.2f}× |")
    if args.int8_model:
        int8_rows(args, x, per_image, chapter)


def int8_rows(args, x, per_image, chapter):
    """The 8-bit ceiling's rows: quantized matrix product, ceiling, the int8 forward."""
    engines = torch.backends.quantized.supported_engines
    engine = next((e for e in ("x86", "fbgemm", "onednn") if e in engines), None)
    if engine is None:
        print(f"| int8 | no x86/fbgemm/onednn engine in this PyTorch ({engines}) |")
        return
    torch.backends.quantized.engine = engine
    best = 0.0
    for n in (2048, 4096):
        w = torch.quantize_per_tensor(torch.randn(n, n), 0.05, 0, torch.qint8)
        packed = torch.ops.quantized.linear_prepack(w, None)
        a = torch.quantize_per_tensor(torch.rand(n, n), 0.01, 0, torch.quint8)
        best = max(best, best_rate(lambda: torch.ops.quantized.linear(a, packed, 0.1, 0), 2 * n ** 3, args.rounds)[0])
        del w, packed, a
    model = torch.jit.load(args.int8_model).eval()
    with torch.no_grad():
        _, int8 = best_rate(lambda: model(x), args.batch, args.rounds)
    ceiling = best / per_image
    print(f"| int8 matrix product (quantized::linear on {engine}, best of 2048² and 4096²) | {best / 1e9:.0f} GOP/s |")
    print(f"| int8 ceiling: every operation at that rate | {ceiling:.1f} img/s ({ceiling / chapter:.2f}× the chapter's forward) |")
    print(f"| the int8 backbone's forward ({os.path.basename(args.int8_model)}) | {int8:.1f} img/s ({int8 / chapter:.2f}× the chapter, "
          f"{int8 / ceiling:.0%} of the int8 ceiling) |")


if __name__ == "__main__":
    main()
