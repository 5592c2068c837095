package atomicfile

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

func TestReadOnlyFolderKeepsThePreviousFile(t *testing.T) {
	if !testenv.Unprivileged(t) {
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "submission.csv")
	require.NoError(t, WriteBytes(path, 0o644, []byte("previous")))
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })

	err := WriteBytes(path, 0o644, []byte("new"))
	require.ErrorIs(t, err, fs.ErrPermission)
	require.Contains(t, err.Error(), path)
	requireOnlyFile(t, path, "previous")
}

func TestReadOnlyFileInAWritableFolderIsReplacedWhole(t *testing.T) {
	if !testenv.Unprivileged(t) {
		return
	}
	// A read-only file is replaced by rename, as a new file is: the folder's
	// permission decides, as for `mv`. The new file gets the requested mode.
	path := filepath.Join(t.TempDir(), "submission.csv")
	require.NoError(t, WriteBytes(path, 0o444, []byte("previous")))
	require.NoError(t, WriteBytes(path, 0o644, []byte("new")))
	requireOnlyFile(t, path, "new")
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o644), info.Mode().Perm())
}
