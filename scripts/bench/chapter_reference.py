#!/usr/bin/python3
"""The chapter's PyTorch code, runnable standalone on CPU, for examples/bench.

    chapter_reference.py --mode train|backbone|loader --data DIR --model FILE
                         [--epochs N] [--batch-size N] [--threads N] [--device cpu|cuda]
                         [--workers N]

DIR is the reorganised data (DIR/train_valid_test/{train,valid}/<breed>/), FILE
the same TorchScript backbone the Go side uses (in place of torchvision's
download). The training loop is the chapter's: ImageFolder + DataLoader
(shuffle, drop_last, the chapter's transforms, num_workers=0 as in d2l unless
--workers says otherwise),
nn.Sequential(features, output_new), SGD(momentum 0.9, wd) over the head,
StepLR, summed cross-entropy, evaluate_loss on the validation set each epoch.
One difference, kept on purpose because the Go side is measured the same way:
the frozen backbone runs in eval mode. Prints one JSON object.
"""
import argparse
import json
import os
import time

import torch
import torchvision
from torch import nn

NORM = torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
TRANSFORM_TRAIN = torchvision.transforms.Compose([
    torchvision.transforms.RandomResizedCrop(224, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0)),
    torchvision.transforms.RandomHorizontalFlip(),
    torchvision.transforms.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4),
    torchvision.transforms.ToTensor(), NORM])
TRANSFORM_TEST = torchvision.transforms.Compose([
    torchvision.transforms.Resize(256), torchvision.transforms.CenterCrop(224),
    torchvision.transforms.ToTensor(), NORM])


def get_net(model, classes):
    finetune_net = nn.Sequential()
    finetune_net.features = torch.jit.load(model).eval()
    finetune_net.output_new = nn.Sequential(nn.Linear(1000, 256), nn.ReLU(), nn.Linear(256, classes))
    for param in finetune_net.features.parameters():
        param.requires_grad = False
    return finetune_net


loss = nn.CrossEntropyLoss(reduction="none")


def evaluate_loss(data_iter, net, device):
    l_sum, n = 0.0, 0
    with torch.no_grad():
        for features, labels in data_iter:
            features, labels = features.to(device), labels.to(device)
            l_sum += loss(net(features), labels).sum().item()
            n += labels.numel()
    return l_sum / n if n else None  # drop_last can leave nothing (JSON has no NaN)


def train(net, train_iter, valid_iter, num_epochs, lr, wd, lr_period, lr_decay, device):
    trainer = torch.optim.SGD((p for p in net.parameters() if p.requires_grad), lr=lr, momentum=0.9, weight_decay=wd)
    scheduler = torch.optim.lr_scheduler.StepLR(trainer, lr_period, lr_decay)
    compute, examples, train_l, valid_l = 0.0, 0, 0.0, None
    for epoch in range(num_epochs):
        net.output_new.train()
        l_sum, n = 0.0, 0
        for features, labels in train_iter:
            start = time.perf_counter()
            features, labels = features.to(device), labels.to(device)
            trainer.zero_grad()
            output = net(features)
            l = loss(output, labels).sum()
            l.backward()
            trainer.step()
            l_sum += l.item()
            n += labels.shape[0]
            compute += time.perf_counter() - start
        examples += n
        train_l = l_sum / n
        if valid_iter is not None:
            valid_l = evaluate_loss(valid_iter, net, device)
        scheduler.step()
    return {"train_loss": train_l, "valid_loss": valid_l, "examples": examples,
            "chapter_examples_per_sec": examples / compute}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["train", "backbone", "loader"], required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batches", type=int, default=4, help="timed backbone-only batches (after 2 warm-up ones)")
    p.add_argument("--backbone-seconds", type=float, default=0,
                   help="backbone-only: time batches past --batches until this many seconds have passed")
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=0, help="DataLoader processes (the chapter: 0)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    root = os.path.join(a.data, "train_valid_test")
    train_ds = torchvision.datasets.ImageFolder(os.path.join(root, "train"), transform=TRANSFORM_TRAIN)
    valid_ds = torchvision.datasets.ImageFolder(os.path.join(root, "valid"), transform=TRANSFORM_TEST)
    train_iter = torch.utils.data.DataLoader(train_ds, a.batch_size, shuffle=True, drop_last=True, num_workers=a.workers)
    valid_iter = torch.utils.data.DataLoader(valid_ds, a.batch_size, shuffle=False, drop_last=True, num_workers=a.workers)
    out = {"threads": torch.get_num_threads(), "torch": torch.__version__, "workers": a.workers, "device": a.device}
    if a.mode == "backbone":
        net = torch.jit.load(a.model, map_location=a.device).eval()
        # A batch in host memory, moved to the device for each forward as the
        # chapter's loop moves its batches (and as the Go side's Features does):
        # the validation images through the test transform, in the dataset's
        # order, repeated to fill the batch, as the Go side's is.
        n = min(a.batch_size, len(valid_ds))
        images = torch.stack([valid_ds[i][0] for i in range(n)])
        x = images[[i % n for i in range(a.batch_size)]].contiguous()
        with torch.no_grad():
            for _ in range(2):  # warm-up: TorchScript specialises the module over its first runs
                net(x.to(a.device)).cpu()
            start, n = time.perf_counter(), 0
            while n < a.batches or time.perf_counter() - start < a.backbone_seconds:
                y = net(x.to(a.device))
                n += 1
            y.cpu()  # a GPU computes asynchronously: wait for the last batch
        out["images_per_sec"] = n * a.batch_size / (time.perf_counter() - start)
    elif a.mode == "loader":
        start, n = time.perf_counter(), 0
        for features, _ in train_iter:
            n += features.shape[0]
        out["images_per_sec"] = n / (time.perf_counter() - start)
    else:
        start = time.perf_counter()
        net = get_net(a.model, len(train_ds.classes)).to(a.device)
        out["setup_seconds"] = time.perf_counter() - start  # not in the timed run, as in the chapter
        start = time.perf_counter()
        r = train(net, train_iter, valid_iter, a.epochs, 1e-4, 1e-4, 2, 0.9, a.device)
        out.update(r)
        out["wall_seconds"] = time.perf_counter() - start
        out["examples_per_sec"] = r["examples"] / out["wall_seconds"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
