package torch

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/procstat"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

// advisedBytes sums the sizes of this process's mappings advised for huge
// pages (VmFlags "hg" in /proc/self/smaps); the kernel notes the advice
// whether or not it backs the mapping with huge pages. It skips the test
// where the kernel was built without transparent huge pages, which refuses
// the advice.
func advisedBytes(t *testing.T) int64 {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Skipf("this kernel has no transparent huge pages (%v): it refuses the advice", err)
	}
	maps, err := procstat.Mappings()
	if os.IsNotExist(err) {
		t.Skip("no /proc/self/smaps (not Linux)")
	}
	require.NoError(t, err)
	var total int64
	for _, m := range maps {
		if m.HugePagesAdvised() {
			total += int64(m.End - m.Start)
		}
	}
	return total
}

// The caching allocator's segments of 2 MiB or more are advised for huge
// pages while SetHugePages is on (the default), and not while it is off.
func TestCPUCacheSegmentsAreAdvisedForHugePages(t *testing.T) {
	require.True(t, HugePages(), "on by default")
	require.True(t, CPUCache().Enabled, "on by default")
	defer SetHugePages(true)
	ReleaseCPUCache()
	for _, on := range []bool{true, false} {
		SetHugePages(on)
		before, misses := advisedBytes(t), CPUCache().Misses
		// 64 MiB: larger than any free span other tests leave, so it maps a
		// segment of its own.
		x := bigZeros(t, 64)
		require.Equal(t, misses+1, CPUCache().Misses, "a new segment")
		require.Zero(t, sumOf(x), "the memory reads as zeros")
		want := int64(0)
		if on {
			want = 64 * mib
		}
		require.Equal(t, want, advisedBytes(t)-before, "bytes newly advised for huge pages, huge pages on: %v", on)
		x.Close()
		ReleaseCPUCache()
		require.Equal(t, before, advisedBytes(t), "the segment unmapped")
	}
}

// A Winograd convolution's weights (4× the direct ones) are made at its
// first batch in mappings of their own, advised for huge pages while
// SetHugePages is on: with the caching allocator off (its segments would be
// advised too), the bytes newly advised by ResNet-34's first Winograd batch
// are the weights made but the 64-channel layers' (each under 2 MiB), and
// none with huge pages off.
func TestWinogradWeightsAreAdvisedForHugePages(t *testing.T) {
	skipWithoutWinogradPlans(t)
	SetCPUCaching(false)
	defer SetCPUCaching(true)
	defer SetHugePages(true)
	x := resnetInput(t, 4)
	for _, on := range []bool{true, false} {
		SetHugePages(on)
		m := frozenOptimized(t, testenv.ResNet34(t))
		_, err := m.UseWinogradKernel(WinogradOneDNN, 0)
		require.NoError(t, err)
		before := advisedBytes(t)
		out, err := m.ForwardNoGrad(x)
		require.NoError(t, err)
		out.Close()
		advised := advisedBytes(t) - before
		made, err := m.WinogradWeightBytes()
		require.NoError(t, err)
		m.Close()
		t.Logf("huge pages %v: %d bytes of Winograd weights made, %d newly advised", on, made, advised)
		require.Greater(t, made, int64(100*mib), "ResNet-34's Winograd weights")
		if on {
			// All but the six 64-channel layers' (64×64×36 float32s: 590 KB
			// each, under 2 MiB, in small pages).
			require.Equal(t, made-6*64*64*36*4, advised)
		} else {
			require.Zero(t, advised)
		}
	}
}

// hugePagesChildEnv marks the processes TestHugePagesFromEnv starts.
const hugePagesChildEnv = "TUNETORCH_TEST_HUGE_PAGES_CHILD"

// TUNETORCH_HUGE_PAGES=0 starts a process with huge pages off; a value that
// is not a boolean stops it with a message that names the variable.
func TestHugePagesFromEnv(t *testing.T) {
	if os.Getenv(hugePagesChildEnv) != "" {
		require.False(t, HugePages(), "off from the start")
		return
	}
	run := func(value string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHugePagesFromEnv$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), hugePagesChildEnv+"=1", HugePagesEnv+"="+value)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("0")
	require.NoError(t, err, "the test in a process started with %s=0:\n%s", HugePagesEnv, out)
	require.Contains(t, out, "--- PASS: TestHugePagesFromEnv")
	out, err = run("no")
	require.Error(t, err, out)
	require.Contains(t, out, `torch: TUNETORCH_HUGE_PAGES="no": want 1 or 0`)
}
