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

	a, err := Randn([]int64{150, 300}, Float32, CPU)
	require.NoError(t, err)
	b, err := Randn([]int64{300, 200}, Float32, CPU)
	require.NoError(t, err)
	defer CloseAll(a, b)
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
