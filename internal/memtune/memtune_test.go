package memtune

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestApplySetsTheGCTargetUnlessGOGCIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	require.Equal(t, GCPercent, Apply(false))
	require.Equal(t, GCPercent, debug.SetGCPercent(100), "the runtime's target")
	require.Equal(t, GPUGCPercent, Apply(true))
	require.Equal(t, GPUGCPercent, debug.SetGCPercent(100), "the runtime's target with the model on a GPU")

	t.Setenv("GOGC", "75") // the runtime read GOGC at start; a user's setting wins over Apply
	debug.SetGCPercent(75)
	require.Equal(t, 75, Apply(false))
	require.Equal(t, 75, Apply(true))
	require.Equal(t, 75, debug.SetGCPercent(75))
}
