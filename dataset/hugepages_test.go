package dataset

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TUNETORCH_HUGE_PAGES=0 (or another false value) starts a process with
// the advice off; unset, true, or not a boolean leaves it on.
func TestHugePagesFromEnv(t *testing.T) {
	for v, want := range map[string]bool{"": true, "1": true, "true": true, "0": false, "false": false, "no": true} {
		require.Equal(t, want, hugePagesFrom(v), "%s=%q", hugePagesEnv, v)
	}
}
