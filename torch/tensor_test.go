package torch

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFromSliceRoundTripsEachElementType(t *testing.T) {
	f := MustFromSlice([]float32{1.5, -2, 3.25, 4, 5, 6}, 2, 3)
	defer f.Close()
	require.Equal(t, []int64{2, 3}, f.Shape())
	require.Equal(t, Float32, f.Dtype())
	require.Equal(t, CPU, f.Device())
	require.Equal(t, int64(6), f.Numel())
	require.Equal(t, []float32{1.5, -2, 3.25, 4, 5, 6}, f.Float32s())

	i := MustFromSlice([]int64{7, -8, 9}, 3)
	defer i.Close()
	require.Equal(t, Int64, i.Dtype())
	require.Equal(t, []int64{7, -8, 9}, i.Int64s())

	u := MustFromSlice([]uint8{0, 128, 255, 1}, 2, 2)
	defer u.Close()
	require.Equal(t, Uint8, u.Dtype())
	got, err := Data[uint8](u)
	require.NoError(t, err)
	require.Equal(t, []uint8{0, 128, 255, 1}, got)

	d := MustFromSlice([]float64{0.1}, 1)
	defer d.Close()
	require.Equal(t, Float64, d.Dtype())
	require.InDelta(t, 0.1, d.Item(), 0)

	s := MustFromSlice([]float32{2.5}) // no shape: a scalar
	defer s.Close()
	require.Equal(t, 0, s.Dim())
	require.Equal(t, 2.5, s.Item())
}

// TestLargeCopiesCrossInPieces: a slice of 4 MiB and more is copied in and
// out in 1 MiB pieces over libtorch's threads; every byte lands in its place
// (the bytes differ from piece to piece, and the length is not a whole
// number of pieces), as libtorch itself reads them (their sum) and as they
// come back.
func TestLargeCopiesCrossInPieces(t *testing.T) {
	prev := NumThreads()
	require.NoError(t, SetNumThreads(2))
	defer SetNumThreads(prev)
	data := make([]uint8, 9<<20+7)
	var sum int64
	for i, x := 0, uint32(1); i < len(data); i++ {
		x = x*1664525 + 1013904223
		data[i] = uint8(x >> 24)
		sum += int64(data[i])
	}
	u := MustFromSlice(data, int64(len(data)))
	defer u.Close()
	wide := u.ToDtype(Int64)
	defer wide.Close()
	total := wide.Sum()
	defer total.Close()
	require.Equal(t, float64(sum), total.Item())
	back, err := Data[uint8](u)
	require.NoError(t, err)
	require.Equal(t, data, back)
}

func TestFromSliceRejectsWrongElementCount(t *testing.T) {
	_, err := FromSlice([]float32{1, 2, 3}, 2, 2)
	require.Error(t, err)
	require.Contains(t, err.Error(), "3 elements do not fill shape [2 2]")
	_, err = FromSlice([]float32{}, -1)
	require.ErrorContains(t, err, "negative dimension")
}

func TestDataWithWrongTypeIsAnError(t *testing.T) {
	f := MustFromSlice([]float32{1, 2}, 2)
	defer f.Close()
	_, err := Data[int64](f)
	require.ErrorContains(t, err, "dtype Float, not Long")
	require.Error(t, CopyTo(f, make([]float32, 3)), "wrong destination length")
}

func TestFillsAndDtypeConversion(t *testing.T) {
	z, err := Zeros([]int64{2, 2}, Float32, CPU)
	require.NoError(t, err)
	o, err := Ones([]int64{2, 2}, Int64, CPU)
	require.NoError(t, err)
	defer CloseAll(z, o)
	require.Equal(t, []float32{0, 0, 0, 0}, z.Float32s())
	require.Equal(t, []int64{1, 1, 1, 1}, o.Int64s())
	h := z.AddScalar(1.5).ToDtype(BFloat16)
	defer h.Close()
	require.Equal(t, BFloat16, h.Dtype())
	back := h.ToDtype(Float32)
	defer back.Close()
	require.Equal(t, []float32{1.5, 1.5, 1.5, 1.5}, back.Float32s())
}

func TestCloseIsIdempotentAndTracked(t *testing.T) {
	before := LiveTensors()
	x := MustFromSlice([]float32{1}, 1)
	require.Equal(t, before+1, LiveTensors())
	x.Close()
	x.Close()
	require.Equal(t, before, LiveTensors())
	require.Equal(t, "Tensor(closed)", x.String())
	requireTorchPanic(t, "use of a closed or nil Tensor", func() { x.Relu() })
	var nilT *Tensor
	nilT.Close() // no panic
}

func TestStringShowsValues(t *testing.T) {
	x := MustFromSlice([]float32{1, 2}, 2)
	defer x.Close()
	require.Contains(t, x.String(), "1")
	require.Contains(t, x.String(), "[ CPUFloatType{2} ]")
}

func TestParseDevice(t *testing.T) {
	for in, want := range map[string]Device{"cpu": CPU, "CPU": CPU, "cuda": CUDA(0), "cuda:1": CUDA(1), " cuda:12 ": CUDA(12)} {
		got, err := ParseDevice(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cpu:0"} {
		_, err := ParseDevice(bad)
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "invalid device")
	}
	require.Equal(t, "cuda:3", CUDA(3).String())
	require.Equal(t, "cpu", CPU.String())
}

func TestRuntimeInfo(t *testing.T) {
	require.Regexp(t, `^\d+\.\d+\.\d+ \((CPU|CUDA) build\)$`, Version())
	if !CUDAAvailable() {
		require.Equal(t, 0, CUDADeviceCount())
	} else {
		require.Positive(t, CUDADeviceCount())
	}
	if _, set := os.LookupEnv("OMP_NUM_THREADS"); !set {
		require.Equal(t, runtime.GOMAXPROCS(0), NumThreads(), "default: every core the process may use")
	}
	old := NumThreads()
	require.NoError(t, SetNumThreads(1))
	require.Equal(t, 1, NumThreads())
	require.NoError(t, SetNumThreads(old))
	require.Equal(t, old, NumThreads())
	require.ErrorContains(t, SetNumThreads(0), "must be positive")
}

func TestMissingCUDADeviceIsAnErrorThatSaysWhy(t *testing.T) {
	x := MustFromSlice([]float32{1}, 1)
	defer x.Close()
	dev := CUDA(0)
	if CUDAAvailable() {
		dev = CUDA(CUDADeviceCount()) // one past the last GPU
	}
	_, err := x.To(dev)
	require.Error(t, err)
	if CUDAAvailable() {
		require.Contains(t, err.Error(), "CUDA device(s) are visible")
	} else {
		require.Contains(t, err.Error(), "without CUDA support")
		require.Contains(t, err.Error(), Version()[:4])
	}
	_, err = Zeros([]int64{1}, Float32, dev)
	require.Error(t, err)
	_, err = FromSliceOn([]float32{1}, dev, 1)
	require.ErrorContains(t, err, "CUDA")
}

// TestPinningAndCUDAStatisticsSayWhyOnACPUBuild: on a machine without a GPU
// (or a CPU build) pinning and the allocator's statistics are errors that
// say why; where a GPU exists the CUDA tests use them.
func TestPinningAndCUDAStatisticsSayWhyOnACPUBuild(t *testing.T) {
	if CUDAAvailable() {
		t.Skip("a GPU is visible: TestCUDAPinnedCopyAndFlatMemory covers these")
	}
	x := MustFromSlice([]float32{1, 2}, 2)
	defer x.Close()
	_, err := x.PinMemory()
	require.ErrorContains(t, err, "needs a CUDA GPU and a CUDA build")
	_, _, err = CUDAMemoryStats(0)
	require.ErrorContains(t, err, "without CUDA support")
}
