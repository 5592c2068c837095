package torch

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type opsGolden struct {
	Inputs  map[string]goldenTensor `json:"inputs"`
	Outputs map[string]goldenTensor `json:"outputs"`
}

func TestOpsMatchPyTorch(t *testing.T) {
	var g opsGolden
	readGolden(t, "ops.json", &g)
	in := func(name string) *Tensor {
		v, ok := g.Inputs[name]
		require.True(t, ok, "input %s", name)
		x := v.tensor(t)
		t.Cleanup(x.Close)
		return x
	}
	a, b, c, row, d := in("a"), in("b"), in("c"), in("row"), in("d")
	logits, targets, idx := in("logits"), in("targets"), in("idx")
	topV, topI := logits.TopK(3, 1)
	cases := map[string]func() *Tensor{
		"matmul":             func() *Tensor { return a.MatMul(b) },
		"add":                func() *Tensor { return a.Add(c) },
		"add_broadcast":      func() *Tensor { return a.Add(row) },
		"sub":                func() *Tensor { return a.Sub(c) },
		"mul":                func() *Tensor { return a.Mul(c) },
		"div":                func() *Tensor { return a.Div(d) },
		"add_scalar":         func() *Tensor { return a.AddScalar(2.5) },
		"sub_scalar":         func() *Tensor { return a.SubScalar(2.5) },
		"mul_scalar":         func() *Tensor { return a.MulScalar(2.5) },
		"div_scalar":         func() *Tensor { return a.DivScalar(3) },
		"relu":               func() *Tensor { return a.Relu() },
		"clamp":              func() *Tensor { return a.Clamp(-0.5, 0.75) },
		"floor":              func() *Tensor { return a.Floor() },
		"softmax1":           func() *Tensor { return logits.Softmax(1) },
		"log_softmax1":       func() *Tensor { return logits.LogSoftmax(1) },
		"softmax0":           func() *Tensor { return logits.Softmax(0) },
		"ce_mean":            func() *Tensor { return CrossEntropy(logits, targets, ReduceMean) },
		"ce_none":            func() *Tensor { return CrossEntropy(logits, targets, ReduceNone) },
		"ce_sum":             func() *Tensor { return CrossEntropy(logits, targets, ReduceSum) },
		"argmax1":            func() *Tensor { return logits.Argmax(1, false) },
		"topk_values":        func() *Tensor { return topV },
		"topk_indices":       func() *Tensor { return topI },
		"sum":                func() *Tensor { return a.Sum() },
		"mean":               func() *Tensor { return a.Mean() },
		"sum0":               func() *Tensor { return a.SumDims([]int64{0}, false) },
		"mean1_keepdim":      func() *Tensor { return a.MeanDims([]int64{1}, true) },
		"stack0":             func() *Tensor { return Stack([]*Tensor{a, c}, 0) },
		"stack1":             func() *Tensor { return Stack([]*Tensor{a, c}, 1) },
		"cat0":               func() *Tensor { return Cat([]*Tensor{a, c}, 0) },
		"cat1":               func() *Tensor { return Cat([]*Tensor{a, c}, 1) },
		"narrow":             func() *Tensor { return a.Narrow(1, 1, 2) },
		"index_select0":      func() *Tensor { return a.IndexSelect(0, idx) },
		"reshape":            func() *Tensor { return a.Reshape(6, 2) },
		"permute":            func() *Tensor { return a.Permute(1, 0) },
		"permute_contiguous": func() *Tensor { return a.Permute(1, 0).Contiguous() },
	}
	for name, op := range cases {
		t.Run(name, func(t *testing.T) {
			want, ok := g.Outputs[name]
			require.True(t, ok, "no golden for %s", name)
			got := op()
			defer got.Close()
			requireClose(t, want, got, 1e-6, name)
		})
	}
}

func TestSeededInitialisationMatchesPyTorch(t *testing.T) {
	var g opsGolden
	readGolden(t, "ops.json", &g)
	ManualSeed(0)
	lin := NewLinear(8, 4, true)
	defer lin.Close()
	requireClose(t, g.Outputs["linear_init_weight"], lin.Weight, 1e-7, "nn.Linear weight")
	requireClose(t, g.Outputs["linear_init_bias"], lin.Bias, 1e-7, "nn.Linear bias")

	ManualSeed(42)
	r, err := Rand([]int64{3, 4}, Float32, CPU)
	require.NoError(t, err)
	defer r.Close()
	n, err := Randn([]int64{3, 4}, Float32, CPU)
	require.NoError(t, err)
	defer n.Close()
	requireClose(t, g.Outputs["rand"], r, 1e-7, "rand")
	requireClose(t, g.Outputs["randn"], n, 1e-7, "randn")
}

func TestHeadForwardBackwardMatchesPyTorch(t *testing.T) {
	var g opsGolden
	readGolden(t, "ops.json", &g)
	head := NewSequential(NewLinear(8, 5, true), ReLU{}, NewLinear(5, 5, true))
	defer head.Close()
	var values []NamedTensor
	for _, p := range head.NamedParameters() {
		values = append(values, NamedTensor{Name: p.Name, Tensor: g.Inputs["head."+p.Name].tensor(t)})
	}
	defer CloseNamed(values)
	require.NoError(t, LoadParameters(head, values))

	x := g.Inputs["head_x"].tensor(t)
	targets := g.Inputs["targets"].tensor(t)
	defer CloseAll(x, targets)
	out := head.Forward(x)
	loss := CrossEntropy(out, targets, ReduceMean)
	defer CloseAll(out, loss)
	requireClose(t, g.Outputs["head_out"], out, 1e-6, "head output")
	requireClose(t, g.Outputs["head_loss"], loss, 1e-6, "loss")
	loss.Backward()
	for _, p := range head.NamedParameters() {
		grad := p.Tensor.Grad()
		require.NotNil(t, grad, p.Name)
		requireClose(t, g.Outputs["head_grad."+p.Name], grad, 1e-6, "grad of "+p.Name)
		grad.Close()
	}

	// Infer gives the same values and records no graph.
	inferred := head.Infer(x)
	defer inferred.Close()
	require.False(t, inferred.RequiresGrad())
	require.True(t, out.RequiresGrad())
	requireClose(t, g.Outputs["head_out"], inferred, 1e-6, "head inference")
}

func TestShapeMismatchPanicsWithLibtorchMessage(t *testing.T) {
	a := MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := MustFromSlice([]float32{1, 2, 3, 4}, 2, 2)
	defer CloseAll(a, b)
	requireTorchPanic(t, "torch: matmul: mat1 and mat2 shapes cannot be multiplied", func() { a.MatMul(b) })

	// Recover turns it into an error at an API boundary.
	step := func() (err error) {
		defer Recover(&err)
		a.Add(b)
		return nil
	}
	err := step()
	require.Error(t, err)
	require.Contains(t, err.Error(), "torch: add:")
	require.Contains(t, err.Error(), "must match")
}

func TestRecoverLeavesOtherPanicsAlone(t *testing.T) {
	require.PanicsWithValue(t, "not a torch error", func() {
		var err error
		defer Recover(&err)
		panic("not a torch error")
	})
}

func TestCrossEntropyRejectsOutOfRangeTarget(t *testing.T) {
	logits := MustFromSlice([]float32{1, 2, 3, 4}, 2, 2)
	targets := MustFromSlice([]int64{0, 7}, 2)
	defer CloseAll(logits, targets)
	err := func() (err error) {
		defer Recover(&err)
		CrossEntropy(logits, targets, ReduceMean)
		return nil
	}()
	require.Error(t, err)
	require.Contains(t, err.Error(), "out of bounds")
}
