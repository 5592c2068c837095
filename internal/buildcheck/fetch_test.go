package buildcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fetch runs the source tree's copy of fetch-libtorch.sh against a mirror
// folder (LIBTORCH_MIRROR=file://…), as a user with archives already
// downloaded, or behind a mirror, would.
func fetch(t *testing.T, tree, mirror string, args ...string) (string, error) {
	t.Helper()
	return run(tree, cleanEnv("LIBTORCH_MIRROR=file://"+mirror), filepath.Join(tree, "third_party", "fetch-libtorch.sh"), args...)
}

// TestFetchLibtorchUnpacksWhatCMakeFinds: the archive names of up to 2.6
// (cxx11-abi) and of 2.7 on (one ABI), each unpacked into
// third_party/libtorch, where the shim's CMake configuration finds it with
// its version: the path Dockerfile.cuda takes, with a local mirror in place
// of download.pytorch.org.
func TestFetchLibtorchUnpacksWhatCMakeFinds(t *testing.T) {
	for _, tc := range []struct{ version, variant, archive string }{
		{"2.6.0", "cu124", "libtorch-cxx11-abi-shared-with-deps-2.6.0+cu124.zip"},
		{"2.7.1", "cpu", "libtorch-shared-with-deps-2.7.1+cpu.zip"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			tree, mirror := sourceTree(t), t.TempDir()
			writeFakeArchive(t, filepath.Join(mirror, tc.variant, tc.archive), tc.version)
			out, err := fetch(t, tree, mirror, tc.version, tc.variant)
			require.NoError(t, err, out)
			dest := filepath.Join(tree, "third_party", "libtorch")
			require.Contains(t, out, "libtorch "+tc.version+" ("+tc.variant+") is in "+dest)
			require.FileExists(t, filepath.Join(dest, "share", "cmake", "Torch", "TorchConfig.cmake"))
			leftovers, _ := filepath.Glob(filepath.Join(tree, "third_party", ".fetch-libtorch.*"))
			require.Empty(t, leftovers, "the download folder is removed")

			out, err = configure(t, tree)
			require.NoError(t, err, out)
			require.Contains(t, out, "tunetorch: libtorch "+tc.version[:3]+" from "+dest)
		})
	}
}

// TestFetchLibtorchKeepsTheOldOneOnFailure: a version the mirror lacks, a
// corrupt download, and an archive without libtorch's CMake files each stop
// the script with an error naming the problem, and leave an existing
// third_party/libtorch as it was; a variant that is not cpu/cuNNN is refused
// before anything is downloaded.
func TestFetchLibtorchKeepsTheOldOneOnFailure(t *testing.T) {
	tree, mirror := sourceTree(t), t.TempDir()
	dest := filepath.Join(tree, "third_party", "libtorch")
	writeFakeLibtorch(t, dest, "2.5.1")
	marker := filepath.Join(dest, "share", "cmake", "Torch", "TorchConfigVersion.cmake")
	before, err := os.ReadFile(marker)
	require.NoError(t, err)

	out, err := fetch(t, tree, mirror, "9.9.9", "cpu")
	require.Error(t, err)
	require.Contains(t, out, "no archive for libtorch 9.9.9 (cpu)")

	corrupt := filepath.Join(mirror, "cpu", "libtorch-cxx11-abi-shared-with-deps-2.6.0+cpu.zip")
	require.NoError(t, os.MkdirAll(filepath.Dir(corrupt), 0o755))
	require.NoError(t, os.WriteFile(corrupt, []byte("not a zip"), 0o644))
	out, err = fetch(t, tree, mirror, "2.6.0", "cpu")
	require.Error(t, err)
	require.Contains(t, out, "is not a readable zip archive")

	other := filepath.Join(mirror, "cpu", "libtorch-shared-with-deps-2.8.0+cpu.zip")
	writeOtherArchive(t, other)
	out, err = fetch(t, tree, mirror, "2.8.0", "cpu")
	require.Error(t, err)
	require.Contains(t, out, "has no libtorch/share/cmake/Torch: not a libtorch archive")

	out, err = fetch(t, tree, mirror, "2.6.0", "rocm6.2")
	require.Error(t, err)
	require.Contains(t, out, "unknown variant 'rocm6.2'")

	after, err := os.ReadFile(marker)
	require.NoError(t, err, "the existing libtorch is still there")
	require.Equal(t, string(before), string(after))
	leftovers, _ := filepath.Glob(filepath.Join(tree, "third_party", ".fetch-libtorch.*"))
	require.Empty(t, leftovers)
}
