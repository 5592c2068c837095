// Package finetune trains a classifier head on a frozen, pretrained
// TorchScript backbone: the d2l.ai chapter "Kaggle dog breed identification"
// as a library. It joins the pure-Go data pipeline (dataset, transforms) and
// the libtorch binding (torch).
//
// The backbone runs in eval mode (BatchNorm on its running statistics) and
// without autograd; only the head (by default Linear(k→256), ReLU,
// Linear(256→classes)) is trained, with SGD (momentum 0.9, weight decay) and a
// StepLR schedule. Train reports per-epoch losses, accuracy, learning rate and
// examples/sec, writes checkpoints it can resume from, and stops cleanly when
// its context is cancelled.
package finetune
