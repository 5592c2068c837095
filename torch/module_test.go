package torch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func loadTinyCNN(t *testing.T) (*Module, tinyCNNGolden) {
	t.Helper()
	var g tinyCNNGolden
	readGolden(t, "tiny_cnn.json", &g)
	m, err := Load(filepath.Join("testdata", "tiny_cnn.pt"), CPU)
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m, g
}

func TestTorchScriptForwardMatchesPyTorch(t *testing.T) {
	m, g := loadTinyCNN(t)
	x := g.Input.tensor(t)
	defer x.Close()

	m.Eval()
	require.False(t, m.IsTraining())
	out, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer out.Close()
	requireClose(t, g.Eval, out, 1e-5, "eval forward")
	require.False(t, out.RequiresGrad(), "ForwardNoGrad must not record a graph")

	inf, err := m.ForwardInference(x)
	require.NoError(t, err)
	defer inf.Close()
	requireClose(t, g.Eval, inf, 1e-5, "inference-mode forward")
	require.False(t, inf.RequiresGrad())

	withGrad, err := m.Forward(x)
	require.NoError(t, err)
	defer withGrad.Close()
	require.True(t, withGrad.RequiresGrad())
	requireClose(t, g.Eval, withGrad, 1e-5, "eval forward with grad")

	// Training mode: BatchNorm uses the batch's statistics, so the output differs.
	m.Train()
	require.True(t, m.IsTraining())
	train, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer train.Close()
	requireClose(t, g.Train, train, 1e-5, "train forward")
}

func TestModuleNamedParameters(t *testing.T) {
	m, g := loadTinyCNN(t)
	ps := m.NamedParameters()
	defer CloseNamed(ps)
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
		require.True(t, p.Tensor.RequiresGrad(), p.Name)
	}
	require.Equal(t, g.ParameterNames, names)
	require.Equal(t, []int64{8, 3, 3, 3}, ps[0].Tensor.Shape())
}

func TestFreezeKeepsOutputs(t *testing.T) {
	m, g := loadTinyCNN(t)
	x := g.Input.tensor(t)
	defer x.Close()
	m.Train()
	_, err := m.Freeze(false)
	require.ErrorContains(t, err, "eval mode")
	m.Eval()
	for _, optimize := range []bool{false, true} {
		f, err := m.Freeze(optimize)
		require.NoError(t, err)
		out, err := f.ForwardNoGrad(x)
		require.NoError(t, err)
		requireClose(t, g.Eval, out, 1e-5, "frozen forward")
		out.Close()
		f.Close()
	}
}

func TestModuleSaveAndReload(t *testing.T) {
	m, g := loadTinyCNN(t)
	path := filepath.Join(t.TempDir(), "copy.pt")
	require.NoError(t, m.Save(path))
	m2, err := Load(path, CPU)
	require.NoError(t, err)
	defer m2.Close()
	m2.Eval()
	x := g.Input.tensor(t)
	defer x.Close()
	out, err := m2.ForwardNoGrad(x)
	require.NoError(t, err)
	defer out.Close()
	requireClose(t, g.Eval, out, 1e-5, "reloaded forward")
	require.ErrorContains(t, m.Save(filepath.Join(t.TempDir(), "no", "dir", "x.pt")), "save model")
}

func TestLoadBadModelFiles(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("testdata", "tiny_cnn.pt"))
	require.NoError(t, err)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	cases := map[string]struct {
		path string
		want string
	}{
		"missing":    {filepath.Join(dir, "missing.pt"), "no such file or directory"},
		"directory":  {dir, "is a directory"},
		"truncated":  {write("truncated.pt", good[:len(good)/2]), "truncated.pt"},
		"empty":      {write("empty.pt", nil), "empty.pt"},
		"text":       {write("notes.pt", []byte("hello, I am not a model\n")), "notes.pt"},
		"state_dict": {filepath.Join("testdata", "state_dict.pt"), "state_dict.pt"},
		"python_zip": {write("pickle.pt", []byte("\x80\x02}q\x00.")), "pickle.pt"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Load(c.path, CPU)
			require.Error(t, err)
			require.Nil(t, m)
			require.Contains(t, err.Error(), c.want)
			require.Contains(t, err.Error(), "load model")
		})
	}
}

func TestForwardBadInputIsAnError(t *testing.T) {
	m, _ := loadTinyCNN(t)
	m.Eval()
	wrongChannels, err := Zeros([]int64{2, 5, 16, 16}, Float32, CPU)
	require.NoError(t, err)
	defer wrongChannels.Close()
	_, err = m.ForwardNoGrad(wrongChannels)
	require.Error(t, err)
	require.Contains(t, err.Error(), "tiny_cnn.pt")
	require.Contains(t, err.Error(), "expected input[2, 5, 16, 16] to have 3 channels")

	wrongRank, err := Zeros([]int64{3, 16}, Float32, CPU)
	require.NoError(t, err)
	defer wrongRank.Close()
	_, err = m.ForwardNoGrad(wrongRank)
	require.Error(t, err)

	ints, err := Zeros([]int64{1, 3, 16, 16}, Int64, CPU)
	require.NoError(t, err)
	defer ints.Close()
	_, err = m.ForwardNoGrad(ints)
	require.Error(t, err)

	_, err = m.ForwardNoGrad()
	require.ErrorContains(t, err, "forward")
}

func TestLoadOnMissingCUDADeviceIsAnError(t *testing.T) {
	dev := CUDA(0)
	if CUDAAvailable() {
		dev = CUDA(CUDADeviceCount())
	}
	_, err := Load(filepath.Join("testdata", "tiny_cnn.pt"), dev)
	require.Error(t, err)
	require.Contains(t, err.Error(), dev.String())
}

func TestModuleTo(t *testing.T) {
	m, g := loadTinyCNN(t)
	m.Eval()
	require.NoError(t, m.To(CPU))
	x := g.Input.tensor(t)
	defer x.Close()
	out, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer out.Close()
	requireClose(t, g.Eval, out, 1e-5, "forward after To(cpu)")
	if !CUDAAvailable() {
		err := m.To(CUDA(0))
		require.ErrorContains(t, err, "without CUDA support")
	}
}

func TestForwardAutocastBF16(t *testing.T) {
	m, g := loadTinyCNN(t)
	m.Eval()
	x := g.Input.tensor(t)
	defer x.Close()
	out, err := m.ForwardAutocast(BFloat16, x)
	require.NoError(t, err)
	defer out.Close()
	require.Equal(t, Float32, out.Dtype(), "converted back to float32")
	// bfloat16 keeps 8 bits of mantissa: close to the float32 result, not equal.
	requireClose(t, g.Eval, out, 5e-2, "bf16 autocast forward")
	exact, err := m.ForwardAutocast(Float32, x)
	require.NoError(t, err)
	defer exact.Close()
	requireClose(t, g.Eval, exact, 1e-5, "Float32 means no autocast")
	requireNotIdentical(t, exact, out, "the bf16 forward gave exactly the float32 result: autocast did not apply")
	_, err = m.ForwardAutocast(Int64, x)
	require.ErrorContains(t, err, "autocast needs bfloat16 or float16")
	// The autocast state does not leak into later calls.
	after, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer after.Close()
	requireClose(t, g.Eval, after, 1e-5, "forward after autocast")
}

// requireNotIdentical fails when two float32 tensors hold exactly the same values.
func requireNotIdentical(t *testing.T, a, b *Tensor, msg string) {
	t.Helper()
	av, bv := a.Float32s(), b.Float32s()
	require.Len(t, bv, len(av))
	for i := range av {
		if av[i] != bv[i] {
			return
		}
	}
	t.Fatal(msg)
}

// TestCloneCopiesParameters: a clone computes what the original computes,
// and changing the clone's parameters leaves the original as it was.
func TestCloneCopiesParameters(t *testing.T) {
	m, g := loadTinyCNN(t)
	m.Eval()
	c, err := m.Clone()
	require.NoError(t, err)
	defer c.Close()
	x := g.Input.tensor(t)
	defer x.Close()
	out, err := c.ForwardNoGrad(x)
	require.NoError(t, err)
	requireClose(t, g.Eval, out, 1e-5, "the clone's forward")
	out.Close()

	params := c.NamedParameters()
	require.NotEmpty(t, params)
	for _, p := range params {
		zero, err := Zeros(p.Tensor.Shape(), p.Tensor.Dtype(), CPU)
		require.NoError(t, err)
		require.NoError(t, p.Tensor.CopyFrom(zero))
		CloseAll(zero, p.Tensor)
	}
	changed, err := c.ForwardNoGrad(x)
	require.NoError(t, err)
	defer changed.Close()
	require.NotEqual(t, g.Eval.Data32(), changed.Float32s(), "the clone's parameters were zeroed")
	orig, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer orig.Close()
	requireClose(t, g.Eval, orig, 1e-5, "the original after its clone changed")
}
