package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteReplacesWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	require.NoError(t, WriteBytes(path, 0o644, []byte("first")))
	require.NoError(t, WriteBytes(path, 0o644, []byte("second")))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "second", string(got))
}

func TestFailedWriteKeepsPreviousFileAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	require.NoError(t, WriteBytes(path, 0o644, []byte("previous")))
	boom := errors.New("boom")
	err := Write(path, 0o644, func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Contains(t, err.Error(), path)
	requireOnlyFile(t, path, "previous")
}

// requireOnlyFile asserts path still holds want and is the only file in its
// folder (no temporary file left behind).
func requireOnlyFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary file left behind")
}

func TestWriteIntoMissingFolderNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "out.csv")
	err := WriteBytes(path, 0o644, []byte("x"))
	require.Error(t, err)
	require.Contains(t, err.Error(), path)
}
