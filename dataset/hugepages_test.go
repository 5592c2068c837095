package dataset

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/envswitch"
)

// TUNETORCH_HUGE_PAGES=0 (or another false value) starts a process with
// the advice off; unset, true, or not a boolean leaves it on.
func TestHugePagesFromEnv(t *testing.T) {
	for v, want := range map[string]bool{"": true, "1": true, "true": true, "0": false, "false": false, "no": true} {
		require.Equal(t, want, hugePagesFrom(v, true), "%s=%q", envswitch.HugePages, v)
	}
}
