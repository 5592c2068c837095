#!/usr/bin/python3
"""Golden results of Pillow's bilinear resized crops at every filter width.

    /usr/bin/python3 scripts/golden/resample_golden.py

For the 500x375 and 375x500 test JPEGs (as PIL decodes them), crops that
enlarge, keep and shrink by up to 4x (filter windows of 3, 5, 7 and 9
pixels), touching each edge, thin ones (transposed for the
portrait image), mirrored or not, resized with
torchvision's F.resized_crop (+ F.hflip). Writes
transforms/testdata/resample_golden.json: per case the parameters and the
sha256 of the RGB result.
"""
import hashlib
import json
import os

import numpy as np
import torchvision.transforms.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "transforms", "testdata")

# top, left, height, width, out height, out width, mirror
CASES = [
    (0, 0, 375, 500, 224, 224, False),    # whole image, shrink 2.2x / 1.7x: windows 7 and 5
    (40, 90, 300, 320, 224, 224, True),   # 5 and 5
    (10, 20, 100, 120, 224, 224, False),  # enlarge: 3
    (0, 0, 224, 224, 224, 224, False),    # same size: no resampling
    (200, 300, 175, 200, 224, 224, True), # bottom-right corner, enlarge
    (0, 450, 375, 50, 224, 224, False),   # thin, right edge
    (370, 0, 5, 500, 224, 224, True),     # thin, bottom edge
    (0, 0, 375, 500, 100, 130, False),    # shrink 3.75x / 3.8x: window 9
    (5, 7, 360, 480, 160, 224, True),     # 5 and 7
    (0, 0, 375, 500, 375, 224, False),    # horizontal only
    (0, 0, 375, 500, 150, 500, True),     # vertical only
    (3, 3, 7, 5, 224, 224, False),        # a tiny crop: windows wider than it
]


def main():
    out = {"cases": []}
    for name in ("j00_500x375_420.jpg", "j01_375x500_420.jpg"):
        img = Image.open(os.path.join(DATA, "images", name)).convert("RGB")
        for top, left, h, w, oh, ow, mirror in CASES:
            if img.height > img.width:  # the portrait image: the same crops, transposed
                top, left, h, w = left, top, w, h
            assert top + h <= img.height and left + w <= img.width
            r = F.resized_crop(img, top, left, h, w, [oh, ow])
            if mirror:
                r = F.hflip(r)
            digest = hashlib.sha256(np.asarray(r).tobytes()).hexdigest()
            out["cases"].append(dict(image=name, top=top, left=left, height=h, width=w,
                                     out_height=oh, out_width=ow, mirror=mirror, sha256=digest))
    with open(os.path.join(DATA, "resample_golden.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", len(out["cases"]), "cases")


if __name__ == "__main__":
    main()
