#!/usr/bin/python3
"""The chapter's PyTorch training loop, for the Go parity test (finetune/parity_test.go).

    finetune_parity.py BACKBONE DATA HEAD OUT_LOSSES OUT_HEAD

BACKBONE  a TorchScript backbone (used frozen, in eval mode; the chapter leaves it
          in training mode, which makes BatchNorm use batch statistics - tunetorch
          deliberately does not, so the reference does not either)
DATA      torch.save'd dict: x [N,3,H,W] float32, y [N] int64, order.<e> [N] int64
          (the batch order of epoch e), config float64
          [epochs, batch_size, lr, wd, momentum, lr_period, lr_decay]
HEAD      torch.save'd state_dict of nn.Sequential(Linear(k,h), ReLU, Linear(h,c))
Writes OUT_LOSSES (JSON: the summed loss of every step) and OUT_HEAD (the final
head's state_dict).
"""
import json
import sys

import torch
from torch import nn


def main():
    backbone_path, data_path, head_path, out_losses, out_head = sys.argv[1:6]
    torch.set_num_threads(1)
    data = torch.load(data_path, weights_only=True)
    epochs, batch_size, lr, wd, momentum, lr_period, lr_decay = data["config"].tolist()
    epochs, batch_size, lr_period = int(epochs), int(batch_size), int(lr_period)
    x, y = data["x"], data["y"]

    backbone = torch.jit.load(backbone_path).eval()
    for p in backbone.parameters():
        p.requires_grad = False
    state = torch.load(head_path, weights_only=True)
    k, h, c = state["0.weight"].shape[1], state["0.weight"].shape[0], state["2.weight"].shape[0]
    head = nn.Sequential(nn.Linear(k, h), nn.ReLU(), nn.Linear(h, c))
    head.load_state_dict(state)

    # The chapter's train(): SGD over the trainable parameters, StepLR, summed loss.
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(head.parameters(), lr=lr, momentum=momentum, weight_decay=wd)
    scheduler = torch.optim.lr_scheduler.StepLR(trainer, lr_period, lr_decay)
    losses = []
    for epoch in range(epochs):
        order = data[f"order.{epoch}"]
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            features, labels = x[idx], y[idx]
            trainer.zero_grad()
            with torch.no_grad():
                feats = backbone(features)
            output = head(feats)
            l = loss(output, labels).sum()
            l.backward()
            trainer.step()
            losses.append(l.item())
        scheduler.step()
    with open(out_losses, "w") as f:
        json.dump(losses, f)
    torch.save(head.state_dict(), out_head)


if __name__ == "__main__":
    main()
