#!/usr/bin/python3
"""Writes the test images and golden values for the Go transforms package.

Run with Debian's Pillow 9.4 / torchvision 0.14:
    /usr/bin/python3 scripts/golden/transforms_golden.py

Outputs under transforms/testdata/ (committed):
  images/     generated test images: JPEGs of varied sizes and modes (4:2:0, 4:2:2,
              4:4:4, grey, progressive, CMYK) and PNG/GIF/BMP/TIFF/WebP/PPM/PGM files
  pil_rgb/    what PIL decodes each of them to (Image.open(f).convert("RGB")), as PNG
  golden.json per image: torchvision's Resize/CenterCrop/resized_crop/hflip results
              (sha256 of the pixels plus sampled pixels), colour adjustments on a
              16x16 crop, ToTensor+Normalize values, and the parameter samplers'
              statistics over 100k draws
"""
import base64
import hashlib
import io
import json
import os

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "transforms", "testdata")


def scene(w, h, rng):
    """Photo-like content: gradient, shapes with sharp colour edges, mild noise."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255.0 / max(w - 1, 1), yy * 255.0 / max(h - 1, 1),
                     np.full((h, w), rng.uniform(40, 200))], axis=2)
    img = Image.fromarray(base.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        x1, y1 = x0 + rng.integers(2, max(3, w // 2)), y0 + rng.integers(2, max(3, h // 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (d.ellipse if rng.random() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=colour)
    a = np.asarray(img).astype(np.float64) + rng.normal(0, 3, (h, w, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")


# name, size, save arguments
JPEGS = [
    ("j00_500x375_420", (500, 375), dict(quality=90)),
    ("j01_375x500_420", (375, 500), dict(quality=85)),
    ("j02_320x240_444", (320, 240), dict(quality=92, subsampling=0)),
    ("j03_257x193_422", (257, 193), dict(quality=90, subsampling=1)),
    ("j04_199x301_420", (199, 301), dict(quality=75)),
    ("j05_123x77_420", (123, 77), dict(quality=95)),
    ("j06_64x64_420", (64, 64), dict(quality=90)),
    ("j07_33x47_420", (33, 47), dict(quality=90)),
    ("j08_300x300_prog", (300, 300), dict(quality=88, progressive=True)),
    ("j09_401x233_420", (401, 233), dict(quality=80)),
    ("j10_96x160_444", (96, 160), dict(quality=90, subsampling=0)),
    ("j11_211x211_422", (211, 211), dict(quality=70, subsampling=1)),
    ("j12_150x100_grey", (150, 100), dict(quality=90, mode="L")),
    ("j13_77x120_420", (77, 120), dict(quality=60)),
    ("j14_256x256_prog422", (256, 256), dict(quality=90, progressive=True, subsampling=1)),
    ("j15_17x13_420", (17, 13), dict(quality=90)),
    ("j16_240x180_cmyk", (240, 180), dict(quality=90, mode="CMYK")),
    ("j17_111x222_420", (111, 222), dict(quality=98)),
    ("j18_350x263_grey_prog", (350, 263), dict(quality=85, progressive=True, mode="L")),
    ("j19_161x97_444", (161, 97), dict(quality=50, subsampling=0)),
    ("j20_1x1_420", (1, 1), dict(quality=90)),
]


def other_formats(rng):
    """Lossless files in every mode PIL converts, small."""
    base = scene(40, 30, rng)
    alpha = Image.fromarray(rng.integers(0, 256, (30, 40), dtype=np.uint8), "L")
    rgba = base.copy()
    rgba.putalpha(alpha)
    la = base.convert("L")
    la.putalpha(alpha)
    grey16 = Image.fromarray((np.asarray(base.convert("L")).astype(np.uint16) * 257), "I;16")
    files = {
        "p00_rgb.png": (base, {}),
        "p01_rgba.png": (rgba, {}),
        "p02_palette.png": (base.quantize(colors=50), {}),
        "p03_grey.png": (base.convert("L"), {}),
        "p04_grey_alpha.png": (la, {}),
        "p05_grey16.png": (grey16, {}),
        "p06_palette.gif": (base.quantize(colors=64), {}),
        "p07_rgb.bmp": (base, {}),
        "p08_rgb.tiff": (base, {}),
        "p09_lossless.webp": (base, dict(lossless=True)),
        "p10_rgb.ppm": (base, {}),
        "p11_grey.pgm": (base.convert("L"), {}),
        "p12_bilevel.png": (base.convert("1"), {}),
    }
    return files


def b64(a):
    """Raw bytes (uint8 pixels, or little-endian float32) as base64."""
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode()


def sha(img):
    return hashlib.sha256(np.asarray(img.convert("RGB")).tobytes()).hexdigest()


def samples(img, rng, n=40):
    a = np.asarray(img)
    h, w = a.shape[:2]
    ys, xs = rng.integers(0, h, n), rng.integers(0, w, n)
    return [[int(y), int(x), [int(v) for v in a[y, x]]] for y, x in zip(ys, xs)]


def result(img, rng):
    return {"w": img.width, "h": img.height, "sha256": sha(img), "samples": samples(img, rng)}


def main():
    rng = np.random.default_rng(2024)
    for sub in ("images", "pil_rgb"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    names = []
    for name, (w, h), args in JPEGS:
        args = dict(args)
        mode = args.pop("mode", "RGB")
        img = scene(w, h, rng).convert(mode)
        path = os.path.join(OUT, "images", name + ".jpg")
        img.save(path, "JPEG", **args)
        names.append(name + ".jpg")
    for fname, (img, args) in other_formats(rng).items():
        img.save(os.path.join(OUT, "images", fname), **args)
        names.append(fname)

    golden = {"images": {}}
    torch.manual_seed(7)
    rrc = T.RandomResizedCrop(224)
    for fname in names:
        rgb = Image.open(os.path.join(OUT, "images", fname)).convert("RGB")
        stem = os.path.splitext(fname)[0]
        rgb.save(os.path.join(OUT, "pil_rgb", stem + ".png"))
        g = {"decoded_sha256": sha(rgb), "w": rgb.width, "h": rgb.height}
        if fname.startswith("j"):
            r256 = F.resize(rgb, 256)
            g["resize256"] = result(r256, rng)
            g["center224"] = result(F.center_crop(r256, 224), rng)
            g["resize_100x150"] = result(F.resize(rgb, [100, 150]), rng)
            g["center_crop_64"] = result(F.center_crop(rgb, 64), rng)
            i, j, hh, ww = rrc.get_params(rgb, rrc.scale, rrc.ratio)
            rc = F.resized_crop(rgb, i, j, hh, ww, [224, 224])
            g["resized_crop"] = dict(result(rc, rng), top=i, left=j, height=hh, width=ww)
            g["resized_crop_flip"] = result(F.hflip(rc), rng)
            small = F.crop(rgb, 0, 0, 16, 16)
            g["crop16"] = b64(np.asarray(small))
            colour = {}
            for fn, factors in [(F.adjust_brightness, [0.6, 1.37]), (F.adjust_contrast, [0.5, 1.4]),
                                (F.adjust_saturation, [0.0, 0.55, 1.3]), (F.adjust_hue, [0.1, -0.27, 0.5])]:
                for f in factors:
                    colour[f"{fn.__name__}:{f}"] = b64(np.asarray(fn(small, f)))
            g["colour"] = colour
            norm = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(small))
            g["normalized"] = b64(norm.numpy().astype("<f4"))
        golden["images"][fname] = g

    # The samplers, over 100k draws on a 500x375 image.
    torch.manual_seed(11)
    img = Image.new("RGB", (500, 375))
    area, logr = [], []
    for _ in range(100000):
        i, j, h, w = T.RandomResizedCrop.get_params(img, [0.08, 1.0], [3 / 4, 4 / 3])
        area.append(h * w / (500 * 375))
        logr.append(np.log(w / h))
    b, c, s = [], [], []
    for _ in range(100000):
        _, fb, fc, fs, _ = T.ColorJitter.get_params([0.6, 1.4], [0.6, 1.4], [0.6, 1.4], None)
        b.append(fb)
        c.append(fc)
        s.append(fs)
    q = [0.05, 0.25, 0.5, 0.75, 0.95]

    def stats(v):
        v = np.asarray(v)
        return {"mean": float(v.mean()), "std": float(v.std()), "quantiles": [float(x) for x in np.quantile(v, q)]}

    golden["samplers"] = {"quantiles": q, "rrc_area": stats(area), "rrc_log_ratio": stats(logr),
                          "jitter_brightness": stats(b), "jitter_contrast": stats(c), "jitter_saturation": stats(s)}
    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump(golden, f)
    print("wrote", len(names), "images and golden.json")


if __name__ == "__main__":
    main()
