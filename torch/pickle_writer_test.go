package torch

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

// Every dtype, a scalar, an empty tensor and a transposed (non-contiguous)
// one go Go -> PyTorch (torch.load with weights_only=True) -> Go unchanged
// (floating ones doubled by the script).
func TestSaveTensorsEveryDtypeLoadsInPyTorchWeightsOnly(t *testing.T) {
	py := testenv.Python(t)
	base := MustFromSlice([]float32{-1.5, 0, 0.25, 3, 7, 100}, 2, 3)
	unsigned := MustFromSlice([]float32{1, 0, 2, 3, 7, 255}, 2, 3)
	defer CloseAll(base, unsigned)
	var saved []NamedTensor
	for _, dt := range []Dtype{Float32, Float64, Float16, BFloat16, Int64, Int32, Uint8, Bool} {
		src := base
		if dt == Uint8 || dt == Bool {
			src = unsigned
		}
		saved = append(saved, NamedTensor{Name: "t." + dt.String(), Tensor: src.ToDtype(dt)})
	}
	saved = append(saved,
		NamedTensor{Name: "scalar", Tensor: MustFromSlice([]int64{-41})},
		NamedTensor{Name: "empty", Tensor: MustFromSlice([]float32{}, 0, 3)},
		NamedTensor{Name: "transposed", Tensor: base.Permute(1, 0)})
	defer CloseNamed(saved)

	dir := t.TempDir()
	goFile, pyFile := filepath.Join(dir, "all.pt"), filepath.Join(dir, "back.pt")
	require.NoError(t, SaveTensors(goFile, saved))
	out, err := exec.Command(py, testenv.Script("roundtrip_params.py"), goFile, pyFile).CombinedOutput()
	require.NoError(t, err, "PyTorch could not read Go's file: %s", out)
	require.Equal(t, strings.Join([]string{
		"t.float32 float32 [2, 3]", "t.float64 float64 [2, 3]", "t.float16 float16 [2, 3]", "t.bfloat16 bfloat16 [2, 3]",
		"t.int64 int64 [2, 3]", "t.int32 int32 [2, 3]", "t.uint8 uint8 [2, 3]", "t.bool bool [2, 3]",
		"scalar int64 []", "empty float32 [0, 3]", "transposed float32 [3, 2]"}, "\n"), strings.TrimSpace(string(out)))

	back, err := LoadTensors(pyFile)
	require.NoError(t, err)
	defer CloseNamed(back)
	require.Len(t, back, len(saved))
	for i, nt := range back {
		want := saved[i].Tensor
		require.Equal(t, saved[i].Name, nt.Name)
		require.Equal(t, want.Dtype(), nt.Tensor.Dtype(), nt.Name)
		require.Equal(t, want.Shape(), nt.Tensor.Shape(), nt.Name)
		if dt := want.Dtype(); dt == Float32 || dt == Float64 || dt == Float16 || dt == BFloat16 {
			want = want.MulScalar(2)
			defer want.Close()
		}
		wb, err := rawBytes(want)
		require.NoError(t, err)
		gb, err := rawBytes(nt.Tensor)
		require.NoError(t, err)
		require.Equal(t, wb, gb, nt.Name)
	}
}

// Each record's data starts on a 64-byte boundary, as PyTorch writes them.
func TestEncodeTensorsAlignsRecords(t *testing.T) {
	a := MustFromSlice([]float32{1, 2, 3}, 3)
	b := MustFromSlice([]int64{4}, 1)
	defer CloseAll(a, b)
	data, err := EncodeTensors([]NamedTensor{{Name: "a", Tensor: a}, {Name: "a longer name", Tensor: b}})
	require.NoError(t, err)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		off, err := f.DataOffset()
		require.NoError(t, err)
		require.Zero(t, off%64, "%s starts at %d", f.Name, off)
		require.Equal(t, zip.Store, f.Method, f.Name)
	}
	require.Equal(t, []string{"archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version"}, names)
	rc, err := zr.File[3].Open()
	require.NoError(t, err)
	defer rc.Close()
	var v int64
	require.NoError(t, binary.Read(rc, binary.LittleEndian, &v))
	require.Equal(t, int64(4), v)
}
