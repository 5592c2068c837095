#!/usr/bin/python3
"""Writes JPEG variants that exercise the baseline decoder's rarer paths.

    /usr/bin/python3 scripts/golden/jpeg_variants.py   (after transforms_golden.py)

Needs jpegtran (Debian: libjpeg-turbo-progs), which rewrites the entropy-coded
data losslessly: restart markers every MCU row and every 5 blocks, one scan
per component (non-interleaved sequential), optimised Huffman tables (codes
longer than 9 bits). Outputs under transforms/testdata/ (committed):
images/<name>.jpg and pil_rgb/<name>.png (what PIL decodes it to).
"""
import os
import subprocess
import tempfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "transforms", "testdata")

# name, source image, jpegtran arguments
VARIANTS = [
    ("j21_500x375_restart_rows", "j00_500x375_420", ["-restart", "1"]),
    ("j22_257x193_restart_5blocks", "j03_257x193_422", ["-restart", "5B"]),
    ("j23_199x301_one_scan_per_component", "j04_199x301_420", ["-scans", "{scans}"]),
    ("j24_150x100_grey_restart", "j12_150x100_grey", ["-restart", "3B"]),
    ("j25_401x233_optimized_tables", "j09_401x233_420", ["-optimize"]),
]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        scans = os.path.join(tmp, "scans.txt")
        with open(scans, "w") as f:
            f.write("0;\n1;\n2;\n")
        for name, src, args in VARIANTS:
            out = os.path.join(OUT, "images", name + ".jpg")
            args = [a.format(scans=scans) for a in args]
            subprocess.run(["jpegtran", "-copy", "none", *args, "-outfile", out,
                            os.path.join(OUT, "images", src + ".jpg")], check=True)
            Image.open(out).convert("RGB").save(os.path.join(OUT, "pil_rgb", name + ".png"))
            print("wrote", out)


if __name__ == "__main__":
    main()
