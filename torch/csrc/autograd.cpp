// autograd.cpp: requires_grad, backward, gradients, and the SGD update.
#include "shim.h"

extern "C" {

tt_error tt_set_requires_grad(tt_tensor t, int on) {
  TT_TRY
  tt::T(t).requires_grad_(on != 0);
  TT_CATCH
}

int tt_requires_grad(tt_tensor t) { return tt::T(t).requires_grad() ? 1 : 0; }

tt_error tt_backward(tt_tensor t) {
  TT_TRY
  tt::T(t).backward();
  TT_CATCH
}

tt_error tt_grad(tt_tensor t, tt_tensor *out) {
  TT_TRY
  const auto &g = tt::T(t).grad();
  *out = g.defined() ? tt::wrap(g) : nullptr;
  TT_CATCH
}

tt_error tt_zero_grad(tt_tensor t) {
  TT_TRY
  auto &g = tt::T(t).mutable_grad();
  if (g.defined()) {
    at::NoGradGuard no_grad;
    g.zero_();
  }
  TT_CATCH
}

// Follows torch.optim.SGD's single-tensor update (PyTorch 1.13 and 2.x):
//   d = grad + weight_decay·param
//   buf = d (first step) | momentum·buf + (1-dampening)·d
//   d = d + momentum·buf (nesterov) | buf
//   param -= lr·d
tt_error tt_sgd_step(tt_tensor param, tt_tensor *buf, double lr, double momentum,
                     double dampening, double weight_decay, int nesterov) {
  TT_TRY
  at::NoGradGuard no_grad;
  auto &p = tt::T(param);
  const auto &grad = p.grad();
  if (!grad.defined()) return nullptr;  // as PyTorch: parameters without a gradient are skipped
  at::Tensor d = grad;
  if (weight_decay != 0) d = d.add(p, weight_decay);
  if (momentum != 0) {
    if (*buf == nullptr) {
      *buf = tt::wrap(d.clone().detach());
    } else {
      tt::T(*buf).mul_(momentum).add_(d, 1 - dampening);
    }
    auto &b = tt::T(*buf);
    d = nesterov ? d.add(b, momentum) : b;
  }
  p.add_(d, -lr);
  TT_CATCH
}

}  // extern "C"
