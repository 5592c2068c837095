package main

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCPUSharesFollowGOMAXPROCS: the defaults split the CPUs the process may
// use (GOMAXPROCS, which follows a container's CPU limit), not the machine's.
func TestCPUSharesFollowGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	for _, c := range []struct {
		procs, threads, workers int
		gpu                     bool
		wantThreads, wantWorker int
	}{
		{16, 0, 0, false, 16, 1},
		{16, 0, 0, true, 2, 14},
		{4, 0, 0, true, 2, 2},
		{1, 0, 0, true, 1, 1},
		{4, 3, 0, false, 3, 1},
		{4, 0, 5, true, 2, 5},
	} {
		runtime.GOMAXPROCS(c.procs)
		threads, workers := cpuShares(c.threads, c.workers, c.gpu)
		require.Equal(t, [2]int{c.wantThreads, c.wantWorker}, [2]int{threads, workers}, "%+v", c)
	}
}
