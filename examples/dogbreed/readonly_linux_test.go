package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

// TestReadOnlyOutputFolderKeepsThePreviousOutputs runs the program twice
// into one folder, the second time after the folder became read-only: the
// second run fails naming the file it could not write, and the first run's
// checkpoint and submission are left whole (the checkpoint still resumes).
func TestReadOnlyOutputFolderKeepsThePreviousOutputs(t *testing.T) {
	testenv.NeedRepositoryReachable(t)
	if !testenv.Unprivileged(t) {
		return
	}
	o := demoOptions(t, "--epochs", "1")
	out := filepath.Dir(o.out)
	o.checkpoint = filepath.Join(out, "ckpt.pt")
	require.NoError(t, run(context.Background(), o, &bytes.Buffer{}))
	before := map[string][]byte{}
	for _, f := range []string{o.out, o.checkpoint, o.plot, o.saveHead} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		before[f] = b
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)

	require.NoError(t, os.Chmod(out, 0o555))
	t.Cleanup(func() { os.Chmod(out, 0o755) })
	o.epochs, o.resume = 2, true
	err = run(context.Background(), o, &bytes.Buffer{})
	require.ErrorIs(t, err, fs.ErrPermission)
	require.ErrorContains(t, err, o.checkpoint, "the first file due is the checkpoint after epoch 2")

	for f, b := range before {
		got, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Equal(t, b, got, "%s is as the first run left it", f)
	}
	after, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Equal(t, len(entries), len(after), "no temporary file left")

	require.NoError(t, os.Chmod(out, 0o755))
	require.NoError(t, run(context.Background(), o, &bytes.Buffer{}), "the checkpoint still resumes")
}
