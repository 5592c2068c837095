package memtune

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestApplyLowersTheGCTargetUnlessGOGCIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	require.Equal(t, GCPercent, Apply())
	require.Equal(t, GCPercent, debug.SetGCPercent(100), "the runtime's target")

	t.Setenv("GOGC", "200") // the runtime read GOGC at start; a user's setting wins over Apply
	debug.SetGCPercent(200)
	require.Equal(t, 200, Apply())
	require.Equal(t, 200, debug.SetGCPercent(200))
}
