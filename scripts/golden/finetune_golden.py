#!/usr/bin/python3
"""Golden values and fixtures for the finetune package (PyTorch 1.13).

    /usr/bin/python3 scripts/golden/finetune_golden.py

Writes under finetune/testdata/:
  steplr.json       torch.optim.lr_scheduler.StepLR's learning rate for 30 epochs,
                    for several (lr, step_size, gamma)
  conv_backbone.pt  a TorchScript model whose output is a 4-D feature map, not
                    [N, k]: the finetune package must refuse it as a backbone
  tiny_backbone.pt  a small TorchScript image classifier (conv, BatchNorm with
                    non-trivial running statistics, pooling, linear to 16) used as
                    a fast stand-in for ResNet-34 in tests
  autocast_skewed.pt  a small TorchScript classifier whose output under
                    autocast is twice its float32 output: what a libtorch whose
                    reduced-precision kernels compute wrong results gives (the
                    finetune package must refuse it as a bfloat16 backbone)
"""
import json
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "finetune", "testdata")


class ConvOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return self.conv(x)


class TinyBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 12, 5, stride=2)
        self.bn = nn.BatchNorm2d(12)
        self.conv2 = nn.Conv2d(12, 24, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(96, 16)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class SkewedUnderAutocast(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 16)

    def forward(self, x):
        y = self.fc(torch.flatten(self.pool(torch.relu(self.conv(x))), 1))
        if y.dtype != torch.float32:  # under autocast: a wrong kernel's result
            y = y * 2
        return y.float()


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for lr, step, gamma in [(1e-4, 2, 0.9), (0.1, 3, 0.5), (0.05, 1, 0.95)]:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step, gamma)
        lrs = []
        for _ in range(30):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        cases.append({"lr": lr, "step_size": step, "gamma": gamma, "lrs": lrs})
    with open(os.path.join(OUT, "steplr.json"), "w") as f:
        json.dump(cases, f)
    torch.manual_seed(0)
    torch.jit.script(ConvOnly().eval()).save(os.path.join(OUT, "conv_backbone.pt"))
    m = TinyBackbone()
    with torch.no_grad():
        m.bn.running_mean.uniform_(-0.3, 0.3)
        m.bn.running_var.uniform_(0.5, 1.5)
    torch.jit.script(m.eval()).save(os.path.join(OUT, "tiny_backbone.pt"))
    torch.jit.script(SkewedUnderAutocast().eval()).save(os.path.join(OUT, "autocast_skewed.pt"))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
