package envswitch

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Unset or empty is on, a boolean is itself, anything else names the
// variable and its value.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		v       string
		set, on bool
	}{{"", false, true}, {"", true, true}, {"1", true, true}, {"true", true, true}, {"0", true, false}, {"false", true, false}} {
		on, err := Parse("X", c.v, c.set)
		require.NoError(t, err, c.v)
		require.Equal(t, c.on, on, c.v)
	}
	_, err := Parse("X", "no", true)
	require.EqualError(t, err, `X="no": want 1 or 0 (true or false)`)
	t.Setenv("X", "0")
	on, err := FromEnv("X")
	require.NoError(t, err)
	require.False(t, on)
}
