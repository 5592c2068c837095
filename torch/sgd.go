package torch

// #include "tunetorch.h"
import "C"

import (
	"fmt"
	"runtime"
	"slices"
)

// SGDConfig holds torch.optim.SGD's hyper-parameters.
type SGDConfig struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	WeightDecay float64
	Nesterov    bool
}

// SGD is stochastic gradient descent with momentum, weight decay and Nesterov
// momentum, computing exactly what torch.optim.SGD computes.
type SGD struct {
	cfg     SGDConfig
	params  []*Tensor
	buffers []*Tensor // momentum buffers; nil until a parameter's first step
}

// NewSGD returns an optimizer over params (which it does not own), checking
// the configuration as PyTorch does.
func NewSGD(params []*Tensor, cfg SGDConfig) (*SGD, error) {
	switch {
	case cfg.LR < 0:
		return nil, fmt.Errorf("torch: SGD: invalid learning rate %g", cfg.LR)
	case cfg.Momentum < 0:
		return nil, fmt.Errorf("torch: SGD: invalid momentum %g", cfg.Momentum)
	case cfg.WeightDecay < 0:
		return nil, fmt.Errorf("torch: SGD: invalid weight decay %g", cfg.WeightDecay)
	case cfg.Nesterov && (cfg.Momentum <= 0 || cfg.Dampening != 0):
		return nil, fmt.Errorf("torch: SGD: Nesterov momentum requires a momentum and zero dampening")
	}
	return &SGD{cfg: cfg, params: params, buffers: make([]*Tensor, len(params))}, nil
}

// LR returns the current learning rate.
func (o *SGD) LR() float64 { return o.cfg.LR }

// SetLR sets the learning rate used by the next Step (what a scheduler does).
func (o *SGD) SetLR(lr float64) { o.cfg.LR = lr }

// Config returns the hyper-parameters in use.
func (o *SGD) Config() SGDConfig { return o.cfg }

// Step updates every parameter that has a gradient.
func (o *SGD) Step() {
	c := o.cfg
	for i, p := range o.params {
		var buf C.tt_tensor
		if o.buffers[i] != nil {
			buf = o.buffers[i].handle()
		}
		must("sgd_step", C.tt_sgd_step(p.handle(), &buf, C.double(c.LR), C.double(c.Momentum),
			C.double(c.Dampening), C.double(c.WeightDecay), cBool(c.Nesterov)))
		if o.buffers[i] == nil && buf != nil {
			o.buffers[i] = newTensor(buf)
		}
		runtime.KeepAlive(p)
	}
	runtime.KeepAlive(o.buffers)
}

// ZeroGrad zeroes the gradients of every parameter.
func (o *SGD) ZeroGrad() {
	for _, p := range o.params {
		p.ZeroGrad()
	}
}

// MomentumBuffers returns the momentum buffer of each parameter, in order
// (nil before its first step). They belong to the optimizer: do not Close them.
func (o *SGD) MomentumBuffers() []*Tensor { return o.buffers }

// SetMomentumBuffers restores momentum buffers saved from MomentumBuffers,
// e.g. from a checkpoint. It copies the values, on each parameter's device
// and in its dtype (as torch.optim's load_state_dict casts them); nil entries
// clear a buffer.
func (o *SGD) SetMomentumBuffers(bufs []*Tensor) error {
	if len(bufs) != len(o.params) {
		return fmt.Errorf("torch: SGD: %d momentum buffers for %d parameters", len(bufs), len(o.params))
	}
	fresh := make([]*Tensor, len(bufs))
	for i, b := range bufs {
		if b == nil {
			continue
		}
		if !slices.Equal(b.Shape(), o.params[i].Shape()) {
			CloseAll(fresh...)
			return fmt.Errorf("torch: SGD: momentum buffer %d has shape %v, its parameter %v", i, b.Shape(), o.params[i].Shape())
		}
		moved, err := b.To(o.params[i].Device())
		if err != nil {
			CloseAll(fresh...)
			return err
		}
		cast := moved.ToDtype(o.params[i].Dtype()) // b itself when nothing changes
		moved.Close()
		fresh[i] = cast.Clone()
		cast.Close()
	}
	CloseAll(o.buffers...)
	o.buffers = fresh
	return nil
}

// Close releases the momentum buffers (not the parameters).
func (o *SGD) Close() {
	CloseAll(o.buffers...)
	clear(o.buffers)
}
