//go:build linux

package atomicfile

import (
	"bytes"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

func TestDiskFullMidWriteKeepsThePreviousFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "submission.csv")
	require.NoError(t, WriteBytes(path, 0o644, []byte("previous")))
	var err error
	testenv.WithFileSizeLimit(t, 4096, func() {
		err = WriteBytes(path, 0o644, bytes.Repeat([]byte("x"), 1<<20))
	})
	require.Error(t, err)
	require.ErrorIs(t, err, syscall.EFBIG)
	require.Contains(t, err.Error(), path)
	requireOnlyFile(t, path, "previous")
}
