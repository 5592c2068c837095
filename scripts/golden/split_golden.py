#!/usr/bin/python3
"""Golden values for dataset.SplitKaggle: d2l's reorg_train_valid on sorted names.

    /usr/bin/python3 scripts/golden/split_golden.py

Writes dataset/testdata/split/labels.csv (a generated, unbalanced Kaggle-style
label file: 7 breeds, 3 to 12 images each, 32-hex-digit ids) and expected.json:
for valid ratios 0.1, 0.25 and 0.5, the files d2l's reorganisation puts in
train/<label>, valid/<label> and train_valid/<label>. The reorganisation below
follows the chapter's reorg_train_valid, iterating over sorted file names
(the original iterates over os.listdir, whose order varies between machines).
"""
import collections
import json
import math
import os
import random

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dataset", "testdata", "split")


def reorg_train_valid(files, labels, valid_ratio):
    """d2l semantics: the rarest label's count n gives n_valid = max(1, floor(n*ratio))."""
    n = collections.Counter(labels.values()).most_common()[-1][1]
    n_valid_per_label = max(1, math.floor(n * valid_ratio))
    label_count = {}
    out = {"train": {}, "valid": {}, "train_valid": {}}
    for train_file in sorted(files):
        label = labels[train_file.split(".")[0]]
        out["train_valid"].setdefault(label, []).append(train_file)
        if label not in label_count or label_count[label] < n_valid_per_label:
            out["valid"].setdefault(label, []).append(train_file)
            label_count[label] = label_count.get(label, 0) + 1
        else:
            out["train"].setdefault(label, []).append(train_file)
    return n_valid_per_label, out


def main():
    rng = random.Random(3)
    breeds = ["affenpinscher", "beagle", "chow", "dingo", "komondor", "pug", "whippet"]
    labels = {}
    for breed in breeds:
        for _ in range(rng.randint(3, 12)):
            labels["%032x" % rng.getrandbits(128)] = breed
    os.makedirs(OUT, exist_ok=True)
    ids = list(labels)
    rng.shuffle(ids)  # labels.csv is not sorted, as Kaggle's is not by breed
    with open(os.path.join(OUT, "labels.csv"), "w") as f:
        f.write("id,breed\n")
        for i in ids:
            f.write(f"{i},{labels[i]}\n")
    files = [i + ".jpg" for i in ids]
    expected = {}
    for ratio in (0.1, 0.25, 0.5):
        n_valid, out = reorg_train_valid(files, labels, ratio)
        expected[str(ratio)] = {"n_valid_per_label": n_valid, **out}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
