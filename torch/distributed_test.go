package torch

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

// The distributed tests start this test binary again as ranks (the helper
// below), joined over Gloo on 127.0.0.1, the way torchrun starts processes.

// requireGloo skips a test that needs Gloo process groups on a shim built
// without gloo's headers (against a pip wheel, which ships none), saying so.
func requireGloo(t *testing.T) {
	t.Helper()
	if !GlooAvailable() {
		t.Skipf("this shim has no Gloo (built against libtorch %s without gloo's headers)", Version())
	}
}

// With Debian's libtorch and gloo's headers installed (libgloo-dev, which
// make deps installs, so in CI), the shim must have been built with Gloo: the
// Gloo tests must not skip there.
func TestGlooIsBuiltWhereItsHeadersAre(t *testing.T) {
	if _, err := os.Stat("/usr/include/gloo/algorithm.h"); err != nil {
		t.Skip("gloo's headers are not installed here")
	}
	maps, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	if !strings.Contains(string(maps), " /usr/lib/") || !strings.Contains(string(maps), "-linux-gnu/libtorch_cpu.so") {
		t.Skip("the loaded libtorch is not Debian's: the system's gloo headers are not its gloo's")
	}
	require.True(t, GlooAvailable(), "Debian's libtorch and gloo's headers are installed, but the shim was built without Gloo")
}

// startRanks runs the helper in mode as world ranks and returns their outputs.
func startRanks(t *testing.T, mode string, world int, timeout time.Duration) ([]string, []error) {
	t.Helper()
	requireGloo(t)
	return testenv.StartRanks(t, "TestDistributedHelper", world, "TT_DIST_HELPER="+mode,
		fmt.Sprintf("TT_DIST_TIMEOUT_MS=%d", timeout.Milliseconds()))
}

func TestDistributedHelper(t *testing.T) {
	mode := os.Getenv("TT_DIST_HELPER")
	if mode == "" {
		t.Skip("runs only as a rank started by the distributed tests")
	}
	cfg, ok, err := DistributedFromEnv()
	require.NoError(t, err)
	require.True(t, ok)
	ms, _ := strconv.Atoi(os.Getenv("TT_DIST_TIMEOUT_MS"))
	cfg.Timeout = time.Duration(ms) * time.Millisecond
	cfg.Backend = os.Getenv("TT_DIST_BACKEND")
	g, err := NewProcessGroup(cfg)
	require.NoError(t, err)
	defer g.Close()
	r := float32(g.Rank())
	switch mode {
	case "collectives":
		x := MustFromSlice([]float32{r + 1, 10 * (r + 1)}, 2)
		y := MustFromSlice([]float32{r + 1, 10 * (r + 1)}, 2)
		b := MustFromSlice([]float32{r, r, r}, 3)
		if cfg.Backend == "nccl" { // CUDA tensors through NCCL, each rank on its GPU; a CPU one through Gloo
			x, y, b = onGPU(t, x, cfg.LocalRank), onGPU(t, y, cfg.LocalRank), onGPU(t, b, cfg.LocalRank)
			c := MustFromSlice([]float32{r + 1}, 1)
			require.NoError(t, g.AllReduce(false, c))
			fmt.Printf("RESULT cpu=%v\n", c.Float32s())
		}
		require.NoError(t, g.AllReduce(false, x))
		require.NoError(t, g.AllReduce(true, y))
		require.NoError(t, g.Broadcast(b, 1))
		require.NoError(t, g.Barrier())
		fmt.Printf("RESULT sum=%v avg=%v bcast=%v\n", x.Float32s(), y.Float32s(), b.Float32s())
	case "sigpipe":
		// Standard output made a pipe whose reader has gone: without SIGPIPE
		// handled, a write there kills a Go program, as one from C++ to a
		// dead peer's socket does (the Go runtime spares only its own writes
		// to other descriptors). The result goes to standard error.
		r, w, err := os.Pipe()
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.NoError(t, syscall.Dup3(int(w.Fd()), 1, 0))
		_, err = os.Stdout.Write([]byte("x"))
		fmt.Fprintf(os.Stderr, "RESULT %v\n", err)
	case "die", "stall":
		if g.Rank() == 1 {
			if mode == "stall" {
				time.Sleep(6 * time.Second) // alive but not joining the collective in time
			}
			os.Exit(3) // a rank that dies before the collective
		}
		start := time.Now()
		x := MustFromSlice([]float32{1}, 1)
		err := g.AllReduce(false, x)
		fmt.Printf("RESULT after %.1fs: %v\n", time.Since(start).Seconds(), err)
		require.Error(t, err)
	}
}

func TestProcessGroupCollectivesOverGloo(t *testing.T) {
	outs, errs := startRanks(t, "collectives", 2, 30*time.Second)
	for r := range 2 {
		require.NoError(t, errs[r], "rank %d:\n%s", r, outs[r])
		require.Contains(t, outs[r], "RESULT sum=[3 30] avg=[1.5 15] bcast=[1 1 1]", "rank %d", r)
	}
}

// onGPU moves x to cuda:i (the helper's ranks use their LOCAL_RANK's GPU).
func onGPU(t *testing.T, x *Tensor, i int) *Tensor {
	t.Helper()
	g, err := x.To(CUDA(i))
	require.NoError(t, err)
	return g
}

// NCCL needs one GPU per rank; this runs where two exist and the shim has NCCL.
func TestProcessGroupCollectivesOverNCCL(t *testing.T) {
	if !NCCLAvailable() {
		t.Skipf("this shim has no NCCL: libtorch %s", Version())
	}
	if n := CUDADeviceCount(); n < 2 {
		t.Skipf("NCCL needs a GPU per rank: 2 ranks, %d GPU(s)", n)
	}
	outs, errs := testenv.StartRanks(t, "TestDistributedHelper", 2, "TT_DIST_HELPER=collectives",
		"TT_DIST_TIMEOUT_MS=60000", "TT_DIST_BACKEND=nccl")
	for r := range 2 {
		require.NoError(t, errs[r], "rank %d:\n%s", r, outs[r])
		require.Contains(t, outs[r], "RESULT cpu=[3]", "rank %d: the CPU tensor through Gloo (or, without Gloo, the GPU)", r)
		require.Contains(t, outs[r], "RESULT sum=[3 30] avg=[1.5 15] bcast=[1 1 1]", "rank %d", r)
	}
}

// A one-rank NCCL group on one GPU: the same dispatch (CUDA tensors to NCCL,
// CPU tensors and barriers to Gloo, or, on a shim without Gloo, through the
// GPU and NCCL's barrier) where a single GPU exists.
func TestOneRankNCCLGroupOnOneGPU(t *testing.T) {
	if !NCCLAvailable() {
		t.Skipf("this shim has no NCCL: libtorch %s", Version())
	}
	dev := requireCUDA(t)
	g, err := NewProcessGroup(DistributedConfig{MasterAddr: "127.0.0.1", MasterPort: testenv.FreePort(t), WorldSize: 1,
		Timeout: time.Minute, Backend: "nccl"})
	require.NoError(t, err)
	defer g.Close()
	x := onGPU(t, MustFromSlice([]float32{1, 2}, 2), dev.Index)
	c := MustFromSlice([]float32{3}, 1)
	require.NoError(t, g.AllReduce(true, x, c))
	require.NoError(t, g.Broadcast(x, 0))
	require.NoError(t, g.Barrier())
	require.Equal(t, []float32{1, 2}, x.Float32s())
	require.Equal(t, []float32{3}, c.Float32s())
}

func TestProcessGroupBackendErrors(t *testing.T) {
	if !GlooAvailable() && !NCCLAvailable() {
		t.Skipf("this shim has no c10d process groups (libtorch %s)", Version())
	}
	if !GlooAvailable() {
		_, err := NewProcessGroup(DistributedConfig{MasterAddr: "127.0.0.1", MasterPort: 1, WorldSize: 1, Backend: "gloo"})
		require.ErrorContains(t, err, "the gloo backend needs gloo's headers")
		require.ErrorContains(t, err, "use the nccl backend")
	}
	_, err := NewProcessGroup(DistributedConfig{MasterAddr: "127.0.0.1", MasterPort: 1, WorldSize: 1, Backend: "mpi"})
	require.ErrorContains(t, err, `unknown process-group backend "mpi" (want gloo or nccl)`)
	require.ErrorContains(t, err, "join process group (mpi, rank 0 of 1")
	if NCCLAvailable() {
		return // the NCCL tests above cover this build
	}
	_, err = NewProcessGroup(DistributedConfig{MasterAddr: "127.0.0.1", MasterPort: 1, WorldSize: 1, Backend: "nccl"})
	require.ErrorContains(t, err, "without NCCL")
	require.ErrorContains(t, err, Version(), "the error names the loaded build")
}

// A rank's writes to a peer that has gone (Gloo's and the TCPStore's, from
// C++) must fail with EPIPE, not kill it with SIGPIPE, once it has joined a
// group: the rank then reports the failed collective (and dogbreed keeps
// its checkpoint) instead of vanishing. Standard output stands in for the
// socket (see the helper's "sigpipe").
func TestAProcessGroupKeepsSIGPIPEFromKillingTheRank(t *testing.T) {
	outs, errs := startRanks(t, "sigpipe", 1, 10*time.Second)
	require.NoError(t, errs[0], "the rank must survive a write to a broken pipe:\n%s", outs[0])
	require.Contains(t, outs[0], "RESULT write /dev/stdout: broken pipe")
}

func TestDeadRankMakesTheOthersFailWithinTheTimeout(t *testing.T) {
	start := time.Now()
	outs, errs := startRanks(t, "die", 2, 5*time.Second)
	require.Error(t, errs[1], "rank 1 exits with status 3")
	require.NoError(t, errs[0], "rank 0 must report an error, not hang or crash:\n%s", outs[0])
	require.Contains(t, outs[0], "RESULT after")
	require.Contains(t, outs[0], "all_reduce")
	require.Less(t, time.Since(start), 60*time.Second)
	t.Logf("rank 0: %s", strings.TrimSpace(outs[0][strings.Index(outs[0], "RESULT"):]))
}

func TestStuckRankMakesTheOthersFailAfterTheTimeout(t *testing.T) {
	start := time.Now()
	outs, errs := startRanks(t, "stall", 2, 3*time.Second)
	require.NoError(t, errs[0], "rank 0 must report an error, not hang:\n%s", outs[0])
	require.Contains(t, outs[0], "RESULT after")
	require.Less(t, time.Since(start), 60*time.Second)
	t.Logf("rank 0: %s", strings.TrimSpace(outs[0][strings.Index(outs[0], "RESULT"):]))
	_ = errs[1]
}

func TestDistributedFromEnv(t *testing.T) {
	t.Setenv("WORLD_SIZE", "")
	os.Unsetenv("WORLD_SIZE")
	_, ok, err := DistributedFromEnv()
	require.NoError(t, err)
	require.False(t, ok)
	t.Setenv("WORLD_SIZE", "4")
	t.Setenv("RANK", "2")
	t.Setenv("MASTER_ADDR", "10.1.2.3")
	t.Setenv("MASTER_PORT", "1234")
	t.Setenv("LOCAL_RANK", "0")
	cfg, ok, err := DistributedFromEnv()
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, DistributedConfig{MasterAddr: "10.1.2.3", MasterPort: 1234, Rank: 2, WorldSize: 4, Timeout: 5 * time.Minute}, cfg)
	t.Setenv("TORCHELASTIC_USE_AGENT_STORE", "True")
	t.Setenv("TORCHELASTIC_RESTART_COUNT", "2")
	cfg, _, err = DistributedFromEnv()
	require.NoError(t, err)
	require.True(t, cfg.AgentStore)
	require.Equal(t, 2, cfg.RestartCount)
	t.Setenv("RANK", "two")
	_, _, err = DistributedFromEnv()
	require.ErrorContains(t, err, `RANK="two"`)
	if GlooAvailable() {
		_, err = NewProcessGroup(DistributedConfig{MasterAddr: "127.0.0.1", MasterPort: 1, Rank: 3, WorldSize: 2})
		require.ErrorContains(t, err, "rank 3 is not in a world of 2")
	}
}
