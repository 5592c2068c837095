package torch

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// openBLASLoaded reports whether an OpenBLAS library is mapped into this
// process (Debian's libtorch calls one; an official libtorch uses MKL).
func openBLASLoaded(t *testing.T) bool {
	maps, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	return strings.Contains(string(maps), "libopenblas")
}

// Where libtorch calls OpenBLAS, the package starts it on one thread and
// SetBLASThreads changes the count; elsewhere both report no OpenBLAS.
func TestBLASThreads(t *testing.T) {
	if !openBLASLoaded(t) {
		require.Zero(t, BLASThreads(), "no OpenBLAS is mapped, yet a count was read")
		require.False(t, SetBLASThreads(2))
		return
	}
	if blasThreadsFromEnv() {
		t.Logf("OpenBLAS's count comes from the environment: %d", BLASThreads())
	} else {
		require.Equal(t, 1, BLASThreads(), "the package starts OpenBLAS on one thread")
	}
	prev := BLASThreads()
	t.Cleanup(func() { SetBLASThreads(prev) })
	require.True(t, SetBLASThreads(2))
	require.Equal(t, 2, BLASThreads())
	require.False(t, SetBLASThreads(0), "a count of 0 must be refused")
	require.Equal(t, 2, BLASThreads())

	// The products are the same on 1 and 2 threads (to rounding: OpenBLAS
	// may split the sums differently).
	a, b := randnMatrices(t, 96, 300, 80)
	two := a.MatMul(b)
	defer two.Close()
	require.True(t, SetBLASThreads(1))
	one := a.MatMul(b)
	defer one.Close()
	require.InDeltaSlice(t, one.Float32s(), two.Float32s(), 1e-4)
}

// randnMatrices returns normal float32 matrices of m×k and k×n on the CPU,
// closed when tb ends.
func randnMatrices(tb testing.TB, m, k, n int64) (a, b *Tensor) {
	a, err := Randn([]int64{m, k}, Float32, CPU)
	require.NoError(tb, err)
	b, err = Randn([]int64{k, n}, Float32, CPU)
	require.NoError(tb, err)
	tb.Cleanup(func() { CloseAll(a, b) })
	return a, b
}

// blasHelperEnv makes the test binary print BLASThreads and exit
// (TestBLASThreadsFromEnvironment runs it with OpenBLAS's variables set).
const blasHelperEnv = "TUNETORCH_TEST_PRINT_BLAS_THREADS"

func TestMain(m *testing.M) {
	if os.Getenv(blasHelperEnv) != "" {
		os.Stdout.WriteString(strconv.Itoa(BLASThreads()) + "\n")
		os.Exit(0)
	}
	if os.Getenv(blasCoreHelperEnv) != "" {
		core, replaced := BLASCore()
		os.Stdout.WriteString(core + " " + replaced + "\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// OPENBLAS_NUM_THREADS and GOTO_NUM_THREADS, read by OpenBLAS at start-up,
// are left in force; OMP_NUM_THREADS, meant for libtorch, is not one of them.
func TestBLASThreadsFromEnvironment(t *testing.T) {
	if !openBLASLoaded(t) {
		require.Zero(t, BLASThreads())
		return
	}
	for _, c := range []struct {
		env  string
		want int
	}{{"OPENBLAS_NUM_THREADS=2", 2}, {"GOTO_NUM_THREADS=2", 2}, {"OMP_NUM_THREADS=2", 1}} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(withoutBLASEnv(os.Environ()), blasHelperEnv+"=1", c.env)
		out, err := cmd.Output()
		require.NoError(t, err, c.env)
		require.Equal(t, strconv.Itoa(c.want), strings.TrimSpace(string(out)), c.env)
	}
}

// withoutBLASEnv drops the thread-count variables OpenBLAS reads.
func withoutBLASEnv(env []string) []string {
	return withoutEnv(env, append(slices.Clone(blasThreadsEnv), "OMP_NUM_THREADS")...)
}

// withoutEnv drops the named variables from env.
func withoutEnv(env []string, names ...string) []string {
	return slices.DeleteFunc(env, func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, name)
	})
}
