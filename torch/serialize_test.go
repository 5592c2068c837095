package torch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

type tinyCNNGolden struct {
	Input          goldenTensor            `json:"input"`
	Eval           goldenTensor            `json:"eval"`
	Train          goldenTensor            `json:"train"`
	ParameterNames []string                `json:"parameter_names"`
	StateDict      map[string]goldenTensor `json:"state_dict"`
}

func TestLoadTensorsReadsPyTorchStateDict(t *testing.T) {
	var g tinyCNNGolden
	readGolden(t, "tiny_cnn.json", &g)
	ts, err := LoadTensors(filepath.Join("testdata", "state_dict.pt"))
	require.NoError(t, err)
	defer CloseNamed(ts)
	var names []string
	for _, nt := range ts {
		names = append(names, nt.Name)
		if want, ok := g.StateDict[nt.Name]; ok {
			requireClose(t, want, nt.Tensor, 0, nt.Name)
		}
	}
	// torch.save keeps the state_dict's order; num_batches_tracked is an int64 scalar.
	require.Equal(t, []string{"conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean",
		"bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias"}, names)
	require.Equal(t, Int64, ts[6].Tensor.Dtype())
}

func TestParameterFileRoundTripsGoPyTorchGo(t *testing.T) {
	py := testenv.Python(t)
	dir := t.TempDir()
	ManualSeed(3)
	head := NewSequential(NewLinear(6, 4, true), ReLU{}, NewLinear(4, 3, true))
	defer head.Close()
	steps := MustFromSlice([]int64{41}) // a non-float entry rides along unchanged
	defer steps.Close()
	saved := append(head.NamedParameters(), NamedTensor{Name: "steps", Tensor: steps})
	goFile := filepath.Join(dir, "head.pt")
	require.NoError(t, SaveTensors(goFile, saved))

	pyFile := filepath.Join(dir, "doubled.pt")
	out, err := exec.Command(py, testenv.Script("roundtrip_params.py"), goFile, pyFile).CombinedOutput()
	require.NoError(t, err, "PyTorch could not read Go's file: %s", out)
	require.Equal(t, "0.weight float32 [4, 6]\n0.bias float32 [4]\n2.weight float32 [3, 4]\n2.bias float32 [3]\nsteps int64 []",
		strings.TrimSpace(string(out)))

	back, err := LoadTensors(pyFile)
	require.NoError(t, err)
	defer CloseNamed(back)
	require.Len(t, back, len(saved))
	for i, nt := range back {
		require.Equal(t, saved[i].Name, nt.Name)
		if nt.Name == "steps" {
			require.Equal(t, []int64{41}, nt.Tensor.Int64s())
			continue
		}
		want := saved[i].Tensor.Float32s()
		got := nt.Tensor.Float32s()
		for j := range want {
			require.Equal(t, 2*want[j], got[j], "%s[%d]", nt.Name, j)
		}
	}

	// The doubled values load back into a head of the same shape...
	require.NoError(t, LoadParameters(head, back[:4]))
	// ...and a head of another shape is refused, naming the parameter.
	other := NewSequential(NewLinear(6, 5, true), ReLU{}, NewLinear(5, 3, true))
	defer other.Close()
	err = LoadParameters(other, back[:4])
	require.ErrorContains(t, err, `"0.weight" has shape [4 6], the layer needs [5 6]`)
	require.ErrorContains(t, LoadParameters(head, back[:3]), `"2.bias" is missing`)
	require.ErrorContains(t, LoadParameters(head, back), `"steps" is not a parameter`)
}

func TestLoadTensorsBadInput(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadTensors(filepath.Join(dir, "missing.pt"))
	require.ErrorContains(t, err, "missing.pt")
	require.ErrorContains(t, err, "no such file")

	garbage := filepath.Join(dir, "garbage.pt")
	require.NoError(t, os.WriteFile(garbage, []byte("this is not a torch file"), 0o644))
	_, err = LoadTensors(garbage)
	require.ErrorContains(t, err, "garbage.pt")

	empty := filepath.Join(dir, "empty.pt")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	_, err = LoadTensors(empty)
	require.ErrorContains(t, err, "empty input")

	data, err := os.ReadFile(filepath.Join("testdata", "state_dict.pt"))
	require.NoError(t, err)
	truncated := filepath.Join(dir, "truncated.pt")
	require.NoError(t, os.WriteFile(truncated, data[:len(data)/2], 0o644))
	_, err = LoadTensors(truncated)
	require.ErrorContains(t, err, "truncated.pt")

	// A TorchScript archive is not a dict of tensors.
	_, err = LoadTensors(filepath.Join("testdata", "tiny_cnn.pt"))
	require.Error(t, err)
}

func TestSaveTensorsFailureKeepsPreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "params.pt")
	x := MustFromSlice([]float32{1, 2}, 2)
	defer x.Close()
	require.NoError(t, SaveTensors(path, []NamedTensor{{Name: "x", Tensor: x}}))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	err = SaveTensors(path, []NamedTensor{{Name: "x", Tensor: x}, {Name: "x", Tensor: x}})
	require.ErrorContains(t, err, `duplicate name "x"`)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)

	require.ErrorContains(t, SaveTensors(filepath.Join(dir, "no", "such", "dir.pt"), []NamedTensor{{Name: "x", Tensor: x}}),
		filepath.Join(dir, "no", "such", "dir.pt"))
}
