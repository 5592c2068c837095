package torch

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// The TF32 switch is libtorch's global context flag, present in CPU builds
// too: it must read back what was set, and start as PyTorch starts (on).
func TestAllowTF32IsASwitch(t *testing.T) {
	prev := AllowTF32()
	t.Cleanup(func() { SetAllowTF32(prev) })
	require.True(t, prev, "libtorch starts with TF32 convolutions allowed, as PyTorch does")
	SetAllowTF32(false)
	require.False(t, AllowTF32())
	SetAllowTF32(true)
	require.True(t, AllowTF32())
}

func TestAThreadsOwnCountLeavesTheOtherThreadsAlone(t *testing.T) {
	old := NumThreads()
	require.NoError(t, SetNumThreads(2))
	defer SetNumThreads(old)
	own, other := make(chan struct{}), make(chan struct{})
	seen := make(chan int, 8)
	go func() { // the thread with a count of its own
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if SetNumThreadsOnThisThread(1) != nil {
			seen <- -1
		}
		seen <- NumThreads()
		seen <- OwnNumThreadsOnThisThread()
		seen <- ProcessNumThreads()
		close(own)
		<-other
		if SetNumThreadsOnThisThread(0) != nil {
			seen <- -1
		}
		seen <- NumThreads()
		seen <- OwnNumThreadsOnThisThread()
	}()
	go func() { // another thread meanwhile
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		<-own
		seen <- NumThreads()
		close(other)
	}()
	require.Equal(t, 1, <-seen, "its own count")
	require.Equal(t, 1, <-seen, "its own count, as OwnNumThreadsOnThisThread says")
	require.Equal(t, 2, <-seen, "the process's count, asked on the thread with its own")
	require.Equal(t, 2, <-seen, "the process's count on another thread")
	require.Equal(t, 2, <-seen, "the process's count again after 0")
	require.Equal(t, 0, <-seen, "no count of its own after 0")
	require.ErrorContains(t, SetNumThreadsOnThisThread(-1), "must be positive")
}
