package buildcheck

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// configure runs CMake's configure step on the source tree; extra are
// variables for the environment.
func configure(t *testing.T, tree string, extra ...string) (string, error) {
	t.Helper()
	return run(tree, cleanEnv(extra...), "cmake", "-S", tree, "-B", filepath.Join(tree, "build"))
}

// TestCMakeFindsThirdPartyLibtorch: an archive unpacked in third_party/libtorch
// (what fetch-libtorch.sh does) is used without being named, even where the
// system has a libtorch; its version decides the C++ standard (C++17 up to
// 2.11, C++20 from 2.12, whose headers require it), and one older than 1.13
// is refused.
func TestCMakeFindsThirdPartyLibtorch(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"2.6.0", "C++17"},
		{"2.11.0", "C++17"},
		{"2.12.1", "C++20"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			tree := sourceTree(t)
			writeFakeLibtorch(t, filepath.Join(tree, "third_party", "libtorch"), tc.version)
			out, err := configure(t, tree)
			require.NoError(t, err, out)
			minor := strings.Join(strings.Split(tc.version, ".")[:2], ".")
			require.Contains(t, out, "tunetorch: libtorch "+minor+" from "+filepath.Join(tree, "third_party", "libtorch"))
			require.Contains(t, out, "tunetorch: "+tc.want)
			require.Contains(t, out, "tunetorch: CPU build")
		})
	}
	t.Run("too old", func(t *testing.T) {
		tree := sourceTree(t)
		writeFakeLibtorch(t, filepath.Join(tree, "third_party", "libtorch"), "1.12.1")
		out, err := configure(t, tree)
		require.Error(t, err, out)
		require.Contains(t, out, "libtorch 1.12 is too old: tunetorch needs 1.13 or newer")
	})
}

// TestCMakePrefersLIBTORCHOverThirdParty: the LIBTORCH variable (environment
// or -DLIBTORCH) comes before third_party/libtorch, as CMakeLists.txt says.
func TestCMakePrefersLIBTORCHOverThirdParty(t *testing.T) {
	tree := sourceTree(t)
	writeFakeLibtorch(t, filepath.Join(tree, "third_party", "libtorch"), "2.6.0")
	other := filepath.Join(t.TempDir(), "libtorch")
	writeFakeLibtorch(t, other, "2.7.1")
	out, err := configure(t, tree, "LIBTORCH="+other)
	require.NoError(t, err, out)
	require.Contains(t, out, "tunetorch: libtorch 2.7 from "+other)
}
