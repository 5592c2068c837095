#!/usr/bin/python3
"""Writes the golden values the torch package's tests compare against.

Run with Debian's PyTorch (1.13): /usr/bin/python3 scripts/golden/torch_golden.py
Outputs (committed) under torch/testdata/:
  ops.json        inputs and PyTorch's results for each op, init and autograd
  sgd.json        5 torch.optim.SGD steps on fixed gradients
  tiny_cnn.pt     a small TorchScript CNN (conv, batchnorm, relu, pool, linear)
  tiny_cnn.json   its input and outputs in eval and train mode
  state_dict.pt   a state_dict written by torch.save (for loading in Go)
  winograd_cnn.pt   a small TorchScript CNN with 3x3 stride-1 convolutions
                    (Winograd's) beside a strided one and a residual sum
  winograd_cnn.json its input and eval-mode output
  fusion_cnn.pt     a small TorchScript CNN whose convolutions are followed by
                    what Module.FuseConvolutions folds into them (ReLU,
                    residual sums, one read again later, one broadcast)
  fusion_cnn.json   its input and eval-mode output
"""
import json
import os
import sys

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "torch", "testdata")


def t(x):
    """A tensor as {"shape", "dtype", "data"} with exact float values."""
    x = x.detach()
    return {"shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""),
            "data": [float(v) if x.is_floating_point() else int(v) for v in x.flatten().tolist()]}


def ops():
    torch.manual_seed(1234)
    a = torch.randn(3, 4)
    b = torch.randn(4, 5)
    c = torch.randn(3, 4)
    row = torch.randn(4)
    d = torch.rand(3, 4) + 0.5  # a divisor away from zero
    logits = torch.randn(6, 5)
    targets = torch.tensor([0, 4, 2, 2, 1, 3])
    idx = torch.tensor([2, 0])
    r = {"inputs": {"a": t(a), "b": t(b), "c": t(c), "row": t(row), "d": t(d),
                    "logits": t(logits), "targets": t(targets), "idx": t(idx)}}
    o = {}
    o["matmul"] = t(a @ b)
    o["add"] = t(a + c)
    o["add_broadcast"] = t(a + row)
    o["sub"] = t(a - c)
    o["mul"] = t(a * c)
    o["div"] = t(a / d)
    o["add_scalar"] = t(a + 2.5)
    o["sub_scalar"] = t(a - 2.5)
    o["mul_scalar"] = t(a * 2.5)
    o["div_scalar"] = t(a / 3.0)
    o["relu"] = t(torch.relu(a))
    o["clamp"] = t(a.clamp(-0.5, 0.75))
    o["floor"] = t(torch.floor(a))
    o["softmax1"] = t(torch.softmax(logits, 1))
    o["log_softmax1"] = t(torch.log_softmax(logits, 1))
    o["softmax0"] = t(torch.softmax(logits, 0))
    o["ce_mean"] = t(nn.functional.cross_entropy(logits, targets))
    o["ce_none"] = t(nn.functional.cross_entropy(logits, targets, reduction="none"))
    o["ce_sum"] = t(nn.functional.cross_entropy(logits, targets, reduction="sum"))
    o["argmax1"] = t(torch.argmax(logits, 1))
    v, i = torch.topk(logits, 3, 1)
    o["topk_values"] = t(v)
    o["topk_indices"] = t(i)
    o["sum"] = t(a.sum())
    o["mean"] = t(a.mean())
    o["sum0"] = t(a.sum(0))
    o["mean1_keepdim"] = t(a.mean(1, keepdim=True))
    o["stack0"] = t(torch.stack([a, c], 0))
    o["stack1"] = t(torch.stack([a, c], 1))
    o["cat0"] = t(torch.cat([a, c], 0))
    o["cat1"] = t(torch.cat([a, c], 1))
    o["narrow"] = t(a.narrow(1, 1, 2))
    o["index_select0"] = t(a.index_select(0, idx))
    o["reshape"] = t(a.reshape(6, 2))
    o["permute"] = t(a.permute(1, 0))
    o["permute_contiguous"] = t(a.permute(1, 0).contiguous())

    # Initialisation after a seed: nn.Linear, rand, randn.
    torch.manual_seed(0)
    lin = nn.Linear(8, 4)
    o["linear_init_weight"] = t(lin.weight)
    o["linear_init_bias"] = t(lin.bias)
    torch.manual_seed(42)
    o["rand"] = t(torch.rand(3, 4))
    o["randn"] = t(torch.randn(3, 4))

    # Autograd through a two-layer head and cross-entropy.
    torch.manual_seed(7)
    x = torch.randn(6, 8)
    head = nn.Sequential(nn.Linear(8, 5), nn.ReLU(), nn.Linear(5, 5))
    r["inputs"]["head_x"] = t(x)
    for name, p in head.state_dict().items():
        r["inputs"]["head." + name] = t(p)
    out = head(x)
    loss = nn.functional.cross_entropy(out, targets)
    loss.backward()
    o["head_out"] = t(out)
    o["head_loss"] = t(loss)
    for name, p in head.named_parameters():
        o["head_grad." + name] = t(p.grad)
    r["outputs"] = o
    return r


def sgd():
    torch.manual_seed(99)
    cases = []
    for cfg in [dict(lr=0.1, momentum=0.9, weight_decay=1e-3),
                dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-4),
                dict(lr=0.1, momentum=0.9, weight_decay=1e-3, nesterov=True),
                dict(lr=0.2)]:
        w = torch.randn(4, 3, requires_grad=True)
        b = torch.randn(4, requires_grad=True)
        opt = torch.optim.SGD([w, b], **cfg)
        init = [t(w), t(b)]
        grads, after = [], []
        for _ in range(5):
            gw, gb = torch.randn(4, 3), torch.randn(4)
            w.grad, b.grad = gw.clone(), gb.clone()
            opt.step()
            grads.append([t(gw), t(gb)])
            after.append([t(w), t(b)])
        full = {"lr": 0.0, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
        full.update(cfg)
        cases.append({"config": full, "init": init, "grads": grads, "after": after})
    return {"cases": cases}


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def tiny_cnn():
    torch.manual_seed(5)
    m = TinyCNN()
    with torch.no_grad():  # non-trivial running statistics, so eval differs from train
        m.bn.running_mean.uniform_(-0.5, 0.5)
        m.bn.running_var.uniform_(0.5, 2.0)
    m.eval()
    scripted = torch.jit.script(m)
    scripted.save(os.path.join(OUT, "tiny_cnn.pt"))
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        eval_out = m(x)
        m.train()
        train_out = m(x)
    names = [n for n, _ in m.named_parameters()]
    torch.save(m.state_dict(), os.path.join(OUT, "state_dict.pt"))
    return {"input": t(x), "eval": t(eval_out), "train": t(train_out), "parameter_names": names,
            "state_dict": {k: t(v) for k, v in m.state_dict().items() if v.is_floating_point()}}


class WinogradCNN(nn.Module):
    """3x3 stride-1 convolutions (what Module.UseWinograd swaps: from 3, 16
    and 32 channels, with and without bias), a residual sum, and a stride-2
    convolution it leaves alone."""

    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(16)
        self.conv1 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.down = nn.Conv2d(32, 32, 3, stride=2, padding=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.bn0(self.conv0(x)))
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)) + y)
        y = torch.relu(self.down(y))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1))


def scripted_cnn(cls, seed, name):
    """Builds cls under seed with random BatchNorm statistics, saves it
    scripted as name, and returns a batch of 6 inputs of 18 px (a partial
    4x4 Winograd output tile at each edge) and its eval-mode output."""
    torch.manual_seed(seed)
    m = cls()
    with torch.no_grad():
        for bn in (mod for mod in m.modules() if isinstance(mod, nn.BatchNorm2d)):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    m.eval()
    torch.jit.script(m).save(os.path.join(OUT, name))
    x = torch.randn(6, 3, 18, 18)
    with torch.no_grad():
        out = m(x)
    return {"input": t(x), "eval": t(out)}


def winograd_cnn():
    return scripted_cnn(WinogradCNN, 7, "winograd_cnn.pt")


class FusionCNN(nn.Module):
    """Convolutions followed by what Module.FuseConvolutions folds into them:
    a ReLU; a residual added, then a ReLU, where the residual is read again
    later (its memory must not take the sum), where it is not (it may), and
    where it is the convolution's own input (it may not), where an in-place
    ReLU made the convolution's input of it (it may not); a residual of
    another shape (broadcast); a residual computed after the convolution (a
    strided, unpadded 1x1 downsampling); a sum without a ReLU."""

    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn0 = nn.BatchNorm2d(16)
        self.conv1a = nn.Conv2d(16, 16, 3, padding=1)
        self.conv1b = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2a = nn.Conv2d(16, 16, 3, padding=1)
        self.conv2b = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv2c = nn.Conv2d(16, 16, 3, padding=1)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.conv4 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.down = nn.Conv2d(16, 32, 1, stride=2)
        self.conv5 = nn.Conv2d(32, 32, 3, padding=1)
        self.conv6 = nn.Conv2d(32, 32, 3, padding=1)
        self.conv7 = nn.Conv2d(32, 32, 3, padding=1)
        self.fc = nn.Linear(32 + 16, 10)

    def forward(self, x):
        x = torch.relu(self.bn0(self.conv0(x)))
        y = torch.relu(self.bn1(self.conv1b(torch.relu(self.conv1a(x)))) + x)  # x is read again below
        z = torch.relu(self.bn2(self.conv2b(torch.relu(self.conv2a(y)))) + y)  # y is not
        z = torch.relu(self.conv2c(z) + z)  # the residual is the convolution's input
        w = torch.relu(self.conv3(z) + torch.nn.functional.adaptive_avg_pool2d(x, 1))  # broadcast
        v = torch.relu(self.conv4(w) + self.down(w))
        u = self.conv5(v) + v  # no ReLU after
        a = self.conv6(u)
        u = self.conv7(torch.relu_(a)) + a  # conv7 reads a's memory, through relu_
        pool = torch.nn.functional.adaptive_avg_pool2d
        return self.fc(torch.cat([torch.flatten(pool(u, 1), 1), torch.flatten(pool(x, 1), 1)], 1))


def fusion_cnn():
    return scripted_cnn(FusionCNN, 11, "fusion_cnn.pt")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [("ops.json", ops), ("sgd.json", sgd), ("tiny_cnn.json", tiny_cnn),
                     ("winograd_cnn.json", winograd_cnn), ("fusion_cnn.json", fusion_cnn)]:
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(fn(), f)
        print("wrote", os.path.join(OUT, name), file=sys.stderr)


if __name__ == "__main__":
    main()
