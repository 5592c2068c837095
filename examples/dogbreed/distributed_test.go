package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
	data := filepath.Join(t.TempDir(), "data")
	o := runOptions(t, data) // flags for a short run; the ranks parse them again
	args := fmt.Sprintf("--demo --demo-scale 0.03 --data-dir %s --model %s --input-size 48 --epochs 2 --out %s --plot %s --save-head %s",
		data, tinyBackbone, o.out, o.plot, o.saveHead)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for r := range 2 {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRankProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "TT_DOGBREED_ARGS="+args, "MASTER_ADDR=127.0.0.1", fmt.Sprintf("MASTER_PORT=%d", port),
			fmt.Sprintf("RANK=%d", r), fmt.Sprintf("LOCAL_RANK=%d", r), "WORLD_SIZE=2", "OMP_NUM_THREADS=1")
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for r, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "rank %d:\n%s", r, outs[r])
	}
	require.Contains(t, outs[0].String(), "distributed: 2 processes")
	require.Contains(t, outs[0].String(), "wrote "+o.out)
	require.NotContains(t, outs[1].String(), "train loss", "rank 1 does not report")
	require.NotContains(t, outs[1].String(), "wrote ")
	for _, f := range []string{o.out, o.plot, o.saveHead} {
		_, err := os.Stat(f)
		require.NoError(t, err, f)
	}
}
