package torch

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Layer is a building block of a trainable network such as a classifier head.
type Layer interface {
	// Forward computes the output, recording the autograd graph (training).
	Forward(x *Tensor) *Tensor
	// Infer computes the output without recording a graph (evaluation).
	Infer(x *Tensor) *Tensor
	// NamedParameters returns the layer's own parameter tensors (not copies:
	// do not Close them), named as PyTorch's state_dict names them.
	NamedParameters() []NamedTensor
	// To moves the parameters to dev. Do it before building an optimizer.
	To(dev Device) error
	// Close releases the parameters.
	Close()
}

// Linear is a fully connected layer y = x·Wᵀ + b, as torch.nn.Linear.
type Linear struct {
	Weight *Tensor // [Out, In]
	Bias   *Tensor // [Out], or nil
}

// NewLinear returns a Linear layer on the CPU initialised as torch.nn.Linear
// does (weights kaiming-uniform with a=√5, i.e. U(±1/√in); bias U(±1/√in)),
// drawing from libtorch's generator: after the same ManualSeed, the values
// equal PyTorch's. It panics when in or out is not positive.
func NewLinear(in, out int64, bias bool) *Linear {
	if in <= 0 || out <= 0 {
		panic(&Error{Op: "linear", Msg: fmt.Sprintf("sizes must be positive, got in=%d out=%d", in, out)})
	}
	w, err := Zeros([]int64{out, in}, Float32, CPU)
	if err != nil {
		panic(err)
	}
	// torch.nn.init.kaiming_uniform_(w, a=sqrt(5)), computed as PyTorch does.
	a := math.Sqrt(5)
	gain := math.Sqrt(2.0 / (1 + a*a))
	std := gain / math.Sqrt(float64(in))
	w.UniformInPlace(-math.Sqrt(3.0)*std, math.Sqrt(3.0)*std)
	l := &Linear{Weight: w.SetRequiresGrad(true)}
	if bias {
		b, err := Zeros([]int64{out}, Float32, CPU)
		if err != nil {
			panic(err)
		}
		bound := 1 / math.Sqrt(float64(in))
		b.UniformInPlace(-bound, bound)
		l.Bias = b.SetRequiresGrad(true)
	}
	return l
}

// Forward returns x·Wᵀ + b, recording the autograd graph.
func (l *Linear) Forward(x *Tensor) *Tensor { return linear(x, l.Weight, l.Bias, false) }

// Infer returns x·Wᵀ + b without recording a graph.
func (l *Linear) Infer(x *Tensor) *Tensor { return linear(x, l.Weight, l.Bias, true) }

// NamedParameters returns "weight" and, if present, "bias".
func (l *Linear) NamedParameters() []NamedTensor {
	ps := []NamedTensor{{Name: "weight", Tensor: l.Weight}}
	if l.Bias != nil {
		ps = append(ps, NamedTensor{Name: "bias", Tensor: l.Bias})
	}
	return ps
}

// To moves the weight and bias to dev, keeping them trainable leaves.
func (l *Linear) To(dev Device) error {
	w, err := moveParameter(l.Weight, dev)
	if err != nil {
		return err
	}
	var b *Tensor
	if l.Bias != nil {
		if b, err = moveParameter(l.Bias, dev); err != nil {
			w.Close()
			return err
		}
	}
	l.Close()
	l.Weight, l.Bias = w, b
	return nil
}

// Close releases the weight and bias.
func (l *Linear) Close() { CloseAll(l.Weight, l.Bias) }

// moveParameter returns a copy of p on dev that is a leaf requiring grad.
func moveParameter(p *Tensor, dev Device) (*Tensor, error) {
	moved, err := p.To(dev)
	if err != nil {
		return nil, err
	}
	defer moved.Close()
	return moved.Detach().SetRequiresGrad(p.RequiresGrad()), nil
}

// ReLU is the layer form of Tensor.Relu; it has no parameters.
type ReLU struct{}

// Forward returns max(x, 0).
func (ReLU) Forward(x *Tensor) *Tensor { return x.Relu() }

// Infer returns max(x, 0).
func (ReLU) Infer(x *Tensor) *Tensor { return x.Relu() }

// NamedParameters returns nothing: ReLU has no parameters.
func (ReLU) NamedParameters() []NamedTensor { return nil }

// To does nothing: ReLU has no parameters.
func (ReLU) To(Device) error { return nil }

// Close does nothing.
func (ReLU) Close() {}

// Sequential chains layers, as torch.nn.Sequential.
type Sequential struct {
	Layers []Layer
}

// NewSequential returns the layers chained in the given order.
func NewSequential(layers ...Layer) *Sequential { return &Sequential{Layers: layers} }

func (s *Sequential) run(x *Tensor, step func(Layer, *Tensor) *Tensor) *Tensor {
	cur := x
	for _, l := range s.Layers {
		next := step(l, cur)
		if cur != x {
			cur.Close() // the graph keeps what backward needs
		}
		cur = next
	}
	return cur
}

// Forward runs the layers in order, recording the autograd graph. The
// intermediate tensors are closed; x is not.
func (s *Sequential) Forward(x *Tensor) *Tensor {
	return s.run(x, func(l Layer, t *Tensor) *Tensor { return l.Forward(t) })
}

// Infer runs the layers in order without recording a graph.
func (s *Sequential) Infer(x *Tensor) *Tensor {
	return s.run(x, func(l Layer, t *Tensor) *Tensor { return l.Infer(t) })
}

// NamedParameters returns every layer's parameters prefixed by the layer's
// index ("0.weight", "2.bias"), as nn.Sequential's state_dict does.
func (s *Sequential) NamedParameters() []NamedTensor {
	var ps []NamedTensor
	for i, l := range s.Layers {
		for _, p := range l.NamedParameters() {
			ps = append(ps, NamedTensor{Name: strconv.Itoa(i) + "." + p.Name, Tensor: p.Tensor})
		}
	}
	return ps
}

// To moves every layer to dev.
func (s *Sequential) To(dev Device) error {
	for i, l := range s.Layers {
		if err := l.To(dev); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return nil
}

// Close releases every layer.
func (s *Sequential) Close() {
	for _, l := range s.Layers {
		l.Close()
	}
}

// Parameters returns the tensors of NamedParameters, e.g. for NewSGD.
func Parameters(l Layer) []*Tensor {
	named := l.NamedParameters()
	ps := make([]*Tensor, len(named))
	for i, p := range named {
		ps[i] = p.Tensor
	}
	return ps
}

// LoadParameters copies values into l's parameters by name. Every parameter
// of l must be given exactly once with the same shape; the error names the
// first parameter that is missing, unexpected or of another shape, and l is
// left unchanged when any is.
func LoadParameters(l Layer, values []NamedTensor) error {
	given := make(map[string]*Tensor, len(values))
	for _, v := range values {
		if _, dup := given[v.Name]; dup {
			return fmt.Errorf("torch: load parameters: %q given twice", v.Name)
		}
		given[v.Name] = v.Tensor
	}
	want := l.NamedParameters()
	known := make(map[string]bool, len(want))
	for _, p := range want {
		known[p.Name] = true
		v, ok := given[p.Name]
		if !ok {
			return fmt.Errorf("torch: load parameters: %q is missing", p.Name)
		}
		if gs, ws := v.Shape(), p.Tensor.Shape(); !slices.Equal(gs, ws) {
			return fmt.Errorf("torch: load parameters: %q has shape %v, the layer needs %v", p.Name, gs, ws)
		}
	}
	for _, v := range values {
		if !known[v.Name] {
			return fmt.Errorf("torch: load parameters: %q is not a parameter of this layer", v.Name)
		}
	}
	for _, p := range want {
		if err := p.Tensor.CopyFrom(given[p.Name]); err != nil {
			return err
		}
	}
	return nil
}
