package torch

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// blasCoreHelperEnv makes the test binary print BLASCore's two names and
// exit (TestBLASCoreFromEnvironment runs it with OPENBLAS_CORETYPE set).
const blasCoreHelperEnv = "TUNETORCH_TEST_PRINT_BLAS_CORE"

// Where OpenBLAS runs the Prescott kernels unasked, the package has it run
// the CPU's newest (simulated here by asking for Prescott first); a choice
// made through OPENBLAS_CORETYPE is kept; the products agree on either set.
func TestBLASCoreReplacesThePrescottFallback(t *testing.T) {
	if !openBLASLoaded(t) {
		core, replaced := BLASCore()
		require.Empty(t, core, "no OpenBLAS is mapped, yet a kernel set was named")
		require.Empty(t, replaced)
		require.False(t, setBLASCore("Haswell"))
		return
	}
	start, _ := BLASCore()
	require.NotEmpty(t, start)
	if !setBLASCore(start) {
		t.Logf("this OpenBLAS (%s) is not a DYNAMIC_ARCH build: its kernels are fixed", start)
		require.Empty(t, replaceBLASFallback(false))
		return
	}
	t.Cleanup(func() { setBLASCore(start) })
	want := blasCoreForCPU()
	if want == "" {
		t.Skip("this CPU has no AVX: Prescott is the kernel set for it")
	}

	a, b := randnMatrices(t, 150, 300, 200)
	before := a.MatMul(b)
	defer before.Close()

	require.True(t, setBLASCore("Prescott"), "every DYNAMIC_ARCH build has the Prescott kernels")
	core, _ := BLASCore()
	require.Equal(t, "Prescott", core)
	require.Empty(t, replaceBLASFallback(true), "OPENBLAS_CORETYPE chose the kernels: kept")
	core, _ = BLASCore()
	require.Equal(t, "Prescott", core)
	prescott := a.MatMul(b)
	defer prescott.Close()

	require.Equal(t, "Prescott", replaceBLASFallback(false))
	core, _ = BLASCore()
	require.Equal(t, want, core)
	after := a.MatMul(b)
	defer after.Close()
	require.InDeltaSlice(t, prescott.Float32s(), after.Float32s(), 1e-3)
	require.InDeltaSlice(t, before.Float32s(), after.Float32s(), 1e-3)
	require.Empty(t, replaceBLASFallback(false), "not Prescott: nothing to replace")

	// OpenBLAS itself falls back to a set of its choosing for an unknown
	// name; from Prescott that is not Prescott on a CPU with AVX.
	require.True(t, setBLASCore("Prescott"))
	require.False(t, setBLASCore("NoSuchCore"), "an unknown set must be refused")
	core, _ = BLASCore()
	require.Equal(t, "Prescott", core, "a refused set leaves the kernels as they were")
}

// At start-up the package keeps what OPENBLAS_CORETYPE chose, and otherwise
// does not leave OpenBLAS on its Prescott fallback on a CPU with AVX.
func TestBLASCoreFromEnvironment(t *testing.T) {
	if !openBLASLoaded(t) {
		core, _ := BLASCore()
		require.Empty(t, core)
		return
	}
	want := blasCoreForCPU()
	for _, c := range []struct{ env, core, replaced string }{
		{"OPENBLAS_CORETYPE=Prescott", "Prescott", ""},
		{"OPENBLAS_CORETYPE=" + want, want, ""},
		{"", "", ""},
	} {
		if want == "" && c.env != "" {
			continue
		}
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(withoutEnv(os.Environ(), "OPENBLAS_CORETYPE"), blasCoreHelperEnv+"=1")
		if c.env != "" {
			cmd.Env = append(cmd.Env, c.env)
		}
		out, err := cmd.Output()
		require.NoError(t, err, c.env)
		core, replaced, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
		if c.env != "" {
			require.Equal(t, c.core, core, c.env)
			require.Equal(t, c.replaced, replaced, c.env)
			continue
		}
		// Unset: OpenBLAS's own choice, or the CPU's newest in place of Prescott.
		if want != "" {
			require.NotEqual(t, "Prescott", core, "the fallback was kept on a CPU with AVX")
		}
		if replaced != "" {
			require.Equal(t, "Prescott", replaced)
			require.Equal(t, want, core)
		}
		t.Logf("OpenBLAS's kernels here: %s (replaced: %q)", core, replaced)
	}
}

// The kernel set chosen for the CPU follows its instruction sets as Linux
// lists them (/proc/cpuinfo's flags), a second source beside CPUID.
func TestBLASCoreForCPUFollowsTheFlags(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo to compare with: %v", err)
	}
	flags := map[string]bool{}
	for _, l := range strings.Split(string(info), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "flags" {
			for _, f := range strings.Fields(v) {
				flags[f] = true
			}
			break
		}
	}
	want := ""
	switch {
	case flags["avx512f"] && flags["avx512cd"] && flags["avx512bw"] && flags["avx512dq"] && flags["avx512vl"]:
		want = "SkylakeX"
	case flags["avx2"] && flags["fma"]:
		want = "Haswell"
	case flags["avx"]:
		want = "Sandybridge"
	}
	require.Equal(t, want, blasCoreForCPU())
}
