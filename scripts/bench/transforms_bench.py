#!/usr/bin/python3
"""Per-image cost of the chapter's pipelines in PIL + torchvision, one thread.

    /usr/bin/python3 scripts/bench/transforms_bench.py [files...]

Defaults to the 500x375 test JPEGs that the Go benchmarks
(go test -bench . ./transforms) use. Prints ms per image for decode,
the train pipeline (decode + RandomResizedCrop + flip + ColorJitter +
ToTensor + Normalize) and the test pipeline (decode + Resize 256 +
CenterCrop 224 + ToTensor + Normalize).
"""
import os
import sys
import time

import torch
import torchvision.transforms as T
from PIL import Image

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT = [os.path.join(HERE, "..", "..", "transforms", "testdata", "images", f)
           for f in ("j00_500x375_420.jpg", "j01_375x500_420.jpg")]
NORM = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
TRAIN = T.Compose([T.RandomResizedCrop(224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)), T.RandomHorizontalFlip(),
                   T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4), T.ToTensor(), NORM])
TEST = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), NORM])


def per_image(fn, files, seconds=3.0):
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn(files[n % len(files)])
        n += 1
    return (time.perf_counter() - start) / n * 1000


def main():
    files = sys.argv[1:] or DEFAULT
    decode = lambda f: Image.open(f).convert("RGB")
    print(f"PIL decode:      {per_image(decode, files):.3f} ms/image")
    print(f"PIL train pipe:  {per_image(lambda f: TRAIN(decode(f)), files):.3f} ms/image")
    print(f"PIL test pipe:   {per_image(lambda f: TEST(decode(f)), files):.3f} ms/image")


if __name__ == "__main__":
    main()
