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
	outs, errs := testenv.StartRanks(t, "TestRankProcess", 2, "TT_DOGBREED_ARGS="+args)
	for r := range 2 {
		require.NoError(t, errs[r], "rank %d:\n%s", r, outs[r])
	}
	require.Contains(t, outs[0], "distributed: 2 processes")
	require.Contains(t, outs[0], "wrote "+o.out)
	require.NotContains(t, outs[1], "train loss", "rank 1 does not report")
	require.NotContains(t, outs[1], "wrote ")
	for _, f := range []string{o.out, o.plot, o.saveHead} {
		_, err := os.Stat(f)
		require.NoError(t, err, f)
	}
}
