package memtune

import (
	"math"
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

func TestLimitForCacheUnlessGOMEMLIMITIsSet(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	t.Setenv("GOMEMLIMIT", "")
	require.Equal(t, int64(5<<30+CacheHeadroom), LimitForCache(5<<30))
	require.Equal(t, int64(5<<30+CacheHeadroom), debug.SetMemoryLimit(-1), "the runtime's limit")
	require.Equal(t, int64(math.MaxInt64), LimitForCache(math.MaxInt64-1), "no overflow")

	t.Setenv("GOMEMLIMIT", "3GiB") // the runtime read it at start; a user's setting wins
	debug.SetMemoryLimit(3 << 30)
	require.Equal(t, int64(3<<30), LimitForCache(5<<30))
	require.Equal(t, int64(3<<30), debug.SetMemoryLimit(-1))
}
