package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
	"github.com/tunetorch/tunetorch/torch"
)

// TestRankProcess is one rank of TestTwoRanksAsTorchrunWouldStartThem.
func TestRankProcess(t *testing.T) {
	args := os.Getenv("TT_DOGBREED_ARGS")
	if args == "" {
		t.Skip("runs only as a rank started by TestTwoRanksAsTorchrunWouldStartThem")
	}
	o, err := parseFlags(strings.Fields(args))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), o, &out))
	fmt.Print(out.String())
}

// TestTwoRanksAsTorchrunWouldStartThem starts two ranks with torchrun's
// environment: both train, only rank 0 reports and writes the outputs.
func TestTwoRanksAsTorchrunWouldStartThem(t *testing.T) {
	if !torch.GlooAvailable() {
		t.Skipf("this shim has no Gloo (libtorch %s)", torch.Version())
	}
	data := filepath.Join(t.TempDir(), "data")
	o := runOptions(t, data) // flags for a short run; the ranks parse them again
	args := fmt.Sprintf("--demo --demo-scale 0.03 --data-dir %s --model %s --input-size 48 --epochs 2 --out %s --plot %s --save-head %s",
		data, tinyBackbone, o.out, o.plot, o.saveHead)
	outs, errs := testenv.StartRanks(t, "TestRankProcess", 2, "TT_DOGBREED_ARGS="+args)
	for r := range 2 {
		require.NoError(t, errs[r], "rank %d:\n%s", r, outs[r])
	}
	require.Contains(t, outs[0], "distributed: 2 processes (c10d, gloo)", "auto picks Gloo on the CPU")
	require.Contains(t, outs[0], "wrote "+o.out)
	require.NotContains(t, outs[1], "train loss", "rank 1 does not report")
	require.NotContains(t, outs[1], "wrote ")
	for _, f := range []string{o.out, o.plot, o.saveHead} {
		_, err := os.Stat(f)
		require.NoError(t, err, f)
	}
}

func TestDistBackendFlag(t *testing.T) {
	for _, c := range []struct {
		flag string
		dev  torch.Device
		want string
	}{{"auto", torch.CPU, "gloo"}, {"gloo", torch.CPU, "gloo"}, {"nccl", torch.CPU, "nccl"}} {
		got, err := distBackend(c.flag, c.dev)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "--dist-backend %s on %s", c.flag, c.dev)
	}
	_, err := distBackend("mpi", torch.CPU)
	require.ErrorContains(t, err, `--dist-backend "mpi": want auto, gloo or nccl`)
	if torch.CUDAAvailable() {
		want := map[bool]string{true: "nccl", false: "gloo"}[torch.NCCLAvailable()]
		got, err := distBackend("auto", torch.CUDA(0))
		require.NoError(t, err)
		require.Equal(t, want, got, "auto on a GPU")
	}
}

// Under torchrun, --device cuda means each rank's own GPU; other values stay.
func TestRankDevice(t *testing.T) {
	dist := torch.DistributedConfig{WorldSize: 2, Rank: 1, LocalRank: 1}
	for _, d := range []string{"cpu", "cuda:0", "all", "cuda:0,cuda:1"} {
		require.Equal(t, d, rankDevice(d, dist))
	}
	want := "cuda" // no GPU: kept, and pickDevice reports it
	if n := torch.CUDADeviceCount(); n > 0 {
		want = torch.CUDA(1 % n).String()
	}
	require.Equal(t, want, rankDevice("cuda", dist))
}
