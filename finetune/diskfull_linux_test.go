package finetune

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

func TestDiskFullWhileCheckpointingKeepsThePreviousCheckpoint(t *testing.T) {
	split, cfg, before := trainedCheckpoint(t)
	ckpt := cfg.Checkpoint
	cfg.Epochs, cfg.Resume = 2, true
	var err error
	testenv.WithFileSizeLimit(t, 4096, func() { // the checkpoint is ~30 KiB: the disk "fills" mid-write
		_, err = Train(context.Background(), tinyNet(t, 3), loader(t, split.Train, evalTransform(), false, 4), nil, cfg)
	})
	require.Error(t, err)
	require.ErrorIs(t, err, syscall.EFBIG)
	require.Contains(t, err.Error(), ckpt)
	after, err := os.ReadFile(ckpt)
	require.NoError(t, err)
	require.Equal(t, before, after, "the previous checkpoint is intact and resumable")
	entries, err := os.ReadDir(filepath.Dir(ckpt))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")
}
