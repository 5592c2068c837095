package torch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const mib = 1 << 20

// bigZeros is a float32 tensor of zeros of the given MiB, from the CPU allocator.
func bigZeros(t *testing.T, mibs int64) *Tensor {
	t.Helper()
	x, err := Zeros([]int64{mibs * mib / 4}, Float32, CPU)
	require.NoError(t, err)
	return x
}

// sumOf is x's sum of elements.
func sumOf(x *Tensor) float64 {
	s := x.Sum()
	defer s.Close()
	return s.Item()
}

// A freed large tensor's memory serves the next request of its size, split
// for smaller ones and joined again when they are freed, without a new
// mapping; ReleaseCPUCache unmaps it once free.
func TestCPUCacheReusesSplitsAndJoinsFreedMemory(t *testing.T) {
	require.True(t, CPUCache().Enabled, "on by default")
	ReleaseCPUCache()
	start := CPUCache()

	// 64 MiB: larger than any free span other tests leave (ReleaseCPUCache
	// unmapped the wholly free segments), so it maps a segment of its own.
	a, err := Ones([]int64{64 * mib / 4}, Float32, CPU)
	require.NoError(t, err)
	s := CPUCache()
	require.Equal(t, start.Misses+1, s.Misses, "the first 64 MiB tensor maps a segment")
	require.Equal(t, start.MappedBytes+64*mib, s.MappedBytes)
	require.Equal(t, start.UsedBytes+64*mib, s.UsedBytes)
	a.Close()
	require.Equal(t, start.UsedBytes, CPUCache().UsedBytes)
	require.Equal(t, s.MappedBytes, CPUCache().MappedBytes, "freed memory stays mapped for reuse")

	b, c := bigZeros(t, 16), bigZeros(t, 32) // cut from the free 64 MiB
	require.Equal(t, s.MappedBytes, CPUCache().MappedBytes, "smaller tensors are cut from the free span")
	require.Equal(t, s.Misses, CPUCache().Misses)
	// The memory reused (ones) holds what the new tensors say.
	require.Zero(t, sumOf(b))
	require.Zero(t, sumOf(c))
	b.Close()
	c.Close()

	d := bigZeros(t, 64) // the pieces joined again
	require.Equal(t, s.MappedBytes, CPUCache().MappedBytes, "the freed pieces are joined into one span")
	require.Equal(t, s.Misses, CPUCache().Misses)
	d.Close()

	ReleaseCPUCache()
	require.Equal(t, start.MappedBytes, CPUCache().MappedBytes, "ReleaseCPUCache unmaps the free segment")
}

// Tensors under 256 KiB are libtorch's allocator's.
func TestCPUCacheLeavesSmallTensorsToLibtorch(t *testing.T) {
	for _, n := range []int64{1000, 64*1024 - 1} { // 4 KB; 256 KiB less one float
		before := CPUCache()
		x, err := Zeros([]int64{n}, Float32, CPU)
		require.NoError(t, err)
		after := CPUCache()
		x.Close()
		require.Equal(t, before.Hits+before.Misses, after.Hits+after.Misses, "%d floats", n)
		require.Equal(t, before.UsedBytes, after.UsedBytes, "%d floats", n)
	}
}

// A tensor the size of the fine-tuned head's first layer (1000×256
// float32, under a MiB: its weight, gradient and SGD's temporaries come
// and go each batch) is the cache's: freed, its memory serves the next one
// without a new mapping.
func TestCPUCacheKeepsTheHeadLayersTensors(t *testing.T) {
	ReleaseCPUCache()
	start := CPUCache()
	x, err := Zeros([]int64{1000, 256}, Float32, CPU)
	require.NoError(t, err)
	s := CPUCache()
	require.Equal(t, start.Hits+start.Misses+1, s.Hits+s.Misses, "1,000 KiB is the cache's")
	require.Equal(t, start.UsedBytes+1024000, s.UsedBytes, "1,024,000 bytes: 250 whole pages")
	x.Close()
	y, err := Ones([]int64{256, 1000}, Float32, CPU)
	require.NoError(t, err)
	defer y.Close()
	require.Equal(t, s.Misses, CPUCache().Misses, "the freed memory serves the next one")
	require.Equal(t, s.Hits+1, CPUCache().Hits)
	require.Equal(t, s.MappedBytes, CPUCache().MappedBytes)
	require.Equal(t, float64(256*1000), sumOf(y))
}

// Off, new tensors come from libtorch's allocator, and one made while it
// was on is still freed (and its segment unmapped) when it goes.
func TestCPUCacheOff(t *testing.T) {
	ReleaseCPUCache()
	start := CPUCache()
	kept := bigZeros(t, 8)
	SetCPUCaching(false)
	defer SetCPUCaching(true)
	require.False(t, CPUCache().Enabled)
	mid := CPUCache()
	off := bigZeros(t, 8)
	require.Equal(t, start.UsedBytes+8*mib, CPUCache().UsedBytes, "made while off: not the cache's")
	require.Equal(t, mid.Hits+mid.Misses, CPUCache().Hits+CPUCache().Misses, "nor counted")
	require.Zero(t, sumOf(off))
	off.Close()
	kept.Close()
	require.Equal(t, start.UsedBytes, CPUCache().UsedBytes)
	require.Equal(t, start.MappedBytes, CPUCache().MappedBytes, "the segment goes with its last tensor")
}

// oneDNN's tensors (an optimised module's activations) come from the cache
// too: a second forward pass of the same shape maps nothing and gives the
// same outputs.
func TestCPUCacheServesOptimisedModules(t *testing.T) {
	// Optimised where optimize_for_inference is verified; frozen only
	// elsewhere (Debian's libtorch 2.6 crashed running the optimised module
	// on an AMD EPYC Zen 5: integer division by zero), whose activations
	// come from the cache all the same.
	m := frozenModule(t, filepath.Join("testdata", "winograd_cnn.pt"), OptimizeForInferenceVerified())
	defer m.Close()
	ManualSeed(3)
	x, err := Randn([]int64{8, 3, 64, 64}, Float32, CPU) // 8×16×64×64 activations: 2 MiB
	require.NoError(t, err)
	defer x.Close()
	first, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer first.Close()
	before := CPUCache()
	second, err := m.ForwardNoGrad(x)
	require.NoError(t, err)
	defer second.Close()
	after := CPUCache()
	require.Greater(t, after.Hits, before.Hits, "the activations reuse the cache's memory")
	require.Equal(t, before.Misses, after.Misses, "a second pass maps nothing")
	require.Equal(t, first.Float32s(), second.Float32s())
}

// A request no mapping can hold is an error that says so, not a crash.
func TestCPUCacheOutOfMemoryIsAnError(t *testing.T) {
	_, err := Zeros([]int64{1 << 48}, Float32, CPU) // 1 PiB
	require.ErrorContains(t, err, "out of memory")
}

func TestCPUCacheFromEnv(t *testing.T) {
	for _, c := range []struct {
		v      string
		set    bool
		on     bool
		errMsg string
	}{
		{"", false, true, ""}, {"", true, true, ""}, {"1", true, true, ""}, {"true", true, true, ""},
		{"0", true, false, ""}, {"false", true, false, ""}, {"no", true, false, `TUNETORCH_CPU_CACHE="no"`},
	} {
		on, err := parseSwitch(CPUCacheEnv, c.v, c.set)
		if c.errMsg != "" {
			require.ErrorContains(t, err, c.errMsg)
			continue
		}
		require.NoError(t, err, c.v)
		require.Equal(t, c.on, on, c.v)
	}
}

// mallocChildEnv marks the process TestLargeMallocsStayMappedWithTheCacheOn
// starts: a fresh one, whose heaps no test with the cache off has grown.
const mallocChildEnv = "TUNETORCH_TEST_MALLOC_CHILD"

// With the cache on from the start, a large malloc freed does not make glibc
// serve the next one of its size from its heap, where freed memory stays
// resident: the threshold stays at 1 MiB. Off, libtorch's tensors go to
// malloc, and glibc serves them as its own threshold would once risen: from
// the heap up to 32 MiB. In a process of its own: once the cache has been
// off, glibc's heaps may keep up to 64 MiB free at their top, which then
// serves such mallocs whatever the threshold.
func TestLargeMallocsStayMappedWithTheCacheOn(t *testing.T) {
	if _, set := os.LookupEnv("MALLOC_MMAP_THRESHOLD_"); set || strings.Contains(os.Getenv("GLIBC_TUNABLES"), "mmap_threshold") {
		t.Skip("the environment sets glibc's mmap threshold, which then stays as set")
	}
	if os.Getenv(mallocChildEnv) == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLargeMallocsStayMappedWithTheCacheOn$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), mallocChildEnv+"=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "the test in a process of its own:\n%s", out)
		require.Contains(t, string(out), "--- PASS: TestLargeMallocsStayMappedWithTheCacheOn")
		return
	}
	require.True(t, CPUCache().Enabled, "on by default")
	sizes := []int64{2 * mib, 8 * mib, 24 * mib}
	for _, size := range sizes {
		require.True(t, mallocMapsAfterFree(size), "a malloc of %d MiB after one was freed", size/mib)
	}
	SetCPUCaching(false)
	defer SetCPUCaching(true)
	for _, size := range sizes {
		require.False(t, mallocMapsAfterFree(size), "caching off: a malloc of %d MiB after one was freed", size/mib)
	}
	require.True(t, mallocMapsAfterFree(48*mib), "above glibc's highest threshold")
}
