#!/usr/bin/python3
"""Writes torchvision's repr of the transforms the Go package prints.

Run with Debian's torchvision 0.14:
    /usr/bin/python3 scripts/golden/repr_golden.py

Output: transforms/testdata/repr_golden.json (committed), a name for each
transform and its repr; transforms' TestStringIsTorchvisionsRepr builds the
same transforms in Go and compares their String().
"""
import json
import os

import torchvision.transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "transforms", "testdata", "repr_golden.json")

CASES = {
    "resize_shorter_256": T.Resize(256),
    "resize_32x48": T.Resize((32, 48)),
    "center_crop_224": T.CenterCrop(224),
    "random_resized_crop_224": T.RandomResizedCrop(224),
    "random_resized_crop_96x128": T.RandomResizedCrop((96, 128), scale=(0.25, 0.75), ratio=(0.5, 2.0)),
    "random_resized_crop_thirds": T.RandomResizedCrop(64, scale=(1 / 3, 2 / 3), ratio=(2 / 3, 1.5)),
    "flip_half": T.RandomHorizontalFlip(0.5),
    "flip_always": T.RandomHorizontalFlip(1.0),
    "color_jitter_chapter": T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4),
    "color_jitter_brightness_hue": T.ColorJitter(brightness=0.2, hue=0.1),
    "color_jitter_strong": T.ColorJitter(brightness=1.5, contrast=0.25, saturation=2.0, hue=0.5),
    "color_jitter_none": T.ColorJitter(),
    "to_tensor": T.ToTensor(),
    "normalize_imagenet": T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    "normalize_halves": T.Normalize([0.5, 0.5, 0.5], [1.0, 2.0, 1e-05]),
    "chapter_train": T.Compose([
        T.RandomResizedCrop(224, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0)),
        T.RandomHorizontalFlip(),
        T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4),
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
    "chapter_test": T.Compose([
        T.Resize(256),
        T.CenterCrop(224),
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
}

with open(OUT, "w") as f:
    json.dump({name: repr(t) for name, t in CASES.items()}, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", OUT)
