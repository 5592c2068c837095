package main

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/torch"
)

// --winograd-kernel picks whose kernels run the Winograd convolutions:
// tunetorch's (where they run) say so in the backbone's line, and train;
// asked for where they do not run, or with Winograd off, it is an error
// that says why; a name it does not know is refused as it is parsed.
func TestWinogradKernelFlag(t *testing.T) {
	_, err := parseFlags([]string{"--winograd-kernel", "avx2"})
	require.EqualError(t, err, `--winograd-kernel: torch: Winograd kernel "avx2": want auto, onednn or tunetorch`)
	o, err := parseFlags(nil)
	require.NoError(t, err)
	require.Equal(t, torch.WinogradAuto, o.winogradKernel)

	runLog := resnetRun(t)
	_, err = runLog("--winograd=false", "--winograd-kernel", "tunetorch")
	require.EqualError(t, err, "--winograd-kernel tunetorch: the Winograd convolutions are off here (--winograd=false)")
	if why := torch.WinogradKernelAvailable(torch.WinogradTunetorch); why != nil {
		_, err := runLog("--winograd-kernel", "tunetorch")
		require.ErrorContains(t, err, why.Error())
		return
	}
	log, err := runLog("--winograd-kernel", "tunetorch")
	require.NoError(t, err)
	require.Contains(t, log, "29 Winograd convolutions, 29 of them without their direct weights, on tunetorch's Winograd kernels): ")
	require.NotEmpty(t, lossLines(log))
}
