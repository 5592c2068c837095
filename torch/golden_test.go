package torch

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// goldenTensor is a tensor as scripts/golden/torch_golden.py writes it.
type goldenTensor struct {
	Shape []int64   `json:"shape"`
	Dtype string    `json:"dtype"`
	Data  []float64 `json:"data"`
}

func readGolden(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err, "golden file missing: regenerate with /usr/bin/python3 scripts/golden/torch_golden.py")
	require.NoError(t, json.Unmarshal(data, v))
}

// tensor builds the golden value as a CPU tensor of its dtype.
func (g goldenTensor) tensor(t *testing.T) *Tensor {
	t.Helper()
	switch g.Dtype {
	case "float32":
		v := make([]float32, len(g.Data))
		for i, x := range g.Data {
			v[i] = float32(x)
		}
		return MustFromSlice(v, g.Shape...)
	case "int64":
		v := make([]int64, len(g.Data))
		for i, x := range g.Data {
			v[i] = int64(x)
		}
		return MustFromSlice(v, g.Shape...)
	}
	t.Fatalf("golden dtype %s not handled", g.Dtype)
	return nil
}

// requireClose asserts got has want's shape and dtype and values within tol
// (absolute, plus tol relative to the value's magnitude).
func requireClose(t *testing.T, want goldenTensor, got *Tensor, tol float64, what string) {
	t.Helper()
	require.Equal(t, want.Shape, nonNilShape(got.Shape()), "%s: shape", what)
	require.Equal(t, want.Dtype, got.Dtype().String(), "%s: dtype", what)
	var vals []float64
	switch got.Dtype() {
	case Float32:
		for _, v := range got.Float32s() {
			vals = append(vals, float64(v))
		}
	case Int64:
		for _, v := range got.Int64s() {
			vals = append(vals, float64(v))
		}
	default:
		t.Fatalf("%s: dtype %s not handled", what, got.Dtype())
	}
	for i := range vals {
		if d := math.Abs(vals[i] - want.Data[i]); d > tol*(1+math.Abs(want.Data[i])) {
			t.Fatalf("%s: element %d = %.9g, PyTorch %.9g (|Δ| %.3g > tol %g)", what, i, vals[i], want.Data[i], d, tol)
		}
	}
}

// Data32 returns the values as float32s.
func (g goldenTensor) Data32() []float32 {
	v := make([]float32, len(g.Data))
	for i, x := range g.Data {
		v[i] = float32(x)
	}
	return v
}

func nonNilShape(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

// requireTorchPanic asserts f panics with a *Error whose text contains msg.
func requireTorchPanic(t *testing.T, msg string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		require.NotNil(t, r, "expected a panic containing %q", msg)
		e, ok := r.(*Error)
		require.True(t, ok, "panic value is %T, not *torch.Error", r)
		require.Contains(t, e.Error(), msg)
	}()
	f()
}
