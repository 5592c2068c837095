package finetune

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/torch"
)

// TestLoaderPrefetchIsOneBatchOnTheCPU: one batch ahead with the model on
// the CPU, the loader's default depth on a GPU.
func TestLoaderPrefetchIsOneBatchOnTheCPU(t *testing.T) {
	require.Equal(t, 1, LoaderPrefetch(torch.CPU))
	require.Equal(t, 2, LoaderPrefetch(torch.CUDA(0)))
	require.Equal(t, 2, LoaderPrefetch(torch.CUDA(3)))
}
