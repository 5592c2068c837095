package torch

import (
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
