package finetune

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tunetorch/tunetorch/torch"
)

// TestCUDATrainingMatchesCPU: training with the backbone and head on the GPU
// ends where training on the CPU ends, on the same batches; so does training
// with the backbone laid out channels-last, and with the backbone replicated (on every GPU where there are several, else
// twice on the one: the multi-GPU code path of chunks, replicas and
// gathering). It runs where libtorch sees a GPU and says why it skips
// elsewhere; TF32 is off while it runs, to compare to 1e-4.
func TestCUDATrainingMatchesCPU(t *testing.T) {
	needCUDAWithoutTF32(t)
	_, split := smallKaggle(t, 3, 0.1)
	train := func(cfg NetConfig) [][]float32 {
		n := loadTiny(t, cfg)
		_, err := Train(context.Background(), n, loader(t, split.Train, evalTransform(), true, 4),
			loader(t, split.Valid, evalTransform(), false, 4), chapterConfig(2))
		require.NoError(t, err)
		return headValues(n)
	}
	want := train(tinyConfig(3))
	gpu := tinyConfig(3)
	gpu.Device = torch.CUDA(0)
	replicated := gpu
	replicated.BackboneDevices = []torch.Device{torch.CUDA(0), torch.CUDA(0)}
	if n := torch.CUDADeviceCount(); n > 1 {
		replicated.BackboneDevices = nil
		for i := range n {
			replicated.BackboneDevices = append(replicated.BackboneDevices, torch.CUDA(i))
		}
	}
	nhwc := gpu
	nhwc.ChannelsLast = true
	for name, cfg := range map[string]NetConfig{"one GPU": gpu, "replicas": replicated, "channels-last": nhwc} {
		got := train(cfg)
		require.Len(t, got, len(want), name)
		for i := range want {
			requireAllClose(t, want[i], got[i], 1e-4, name+": head parameters")
		}
	}
}

// TestCUDAChannelsLastAutocastFeatures: the backbone under bf16 and fp16
// autocast, laid out channels-last on the GPU (the fast combination there),
// gives features close to float32 on the CPU: within 5% of their scale, and
// not identical (the low precision really applied).
func TestCUDAChannelsLastAutocastFeatures(t *testing.T) {
	if !torch.CUDAAvailable() {
		t.Skipf("no CUDA device: libtorch %s sees %d GPU(s)", torch.Version(), torch.CUDADeviceCount())
	}
	_, split := smallKaggle(t, 3, 0.1)
	l := loader(t, split.Valid, evalTransform(), false, 8)
	want, err := ExtractFeatures(context.Background(), tinyNet(t, 3), l)
	require.NoError(t, err)
	defer want.Close()
	for _, dtype := range []torch.Dtype{torch.BFloat16, torch.Float16} {
		cfg := tinyConfig(3)
		cfg.Device, cfg.ChannelsLast, cfg.BackboneDtype = torch.CUDA(0), true, dtype
		got, err := ExtractFeatures(context.Background(), loadTiny(t, cfg), l)
		require.NoError(t, err)
		y := got.X.Float32s()
		got.Close()
		require.Len(t, y, int(want.X.Numel()))
		worst, scale := worstDifference(want.X.Float32s(), y)
		require.Positive(t, worst, "%s: the features equal float32's exactly", dtype)
		require.Less(t, worst, 0.05*scale, "%s", dtype)
	}
}

// TestCUDAPixelBatchesGiveTheFloatBatchesFeatures: byte batches converted on
// the GPU (a quarter of the host-to-device copy) give the float32 batches'
// features there, plain, channels-last and replicated. TF32 is off while it
// runs.
func TestCUDAPixelBatchesGiveTheFloatBatchesFeatures(t *testing.T) {
	needCUDAWithoutTF32(t)
	requirePixelFeatures(t, torch.CUDA(0))
}

// needCUDAWithoutTF32 skips the test, saying why, where libtorch sees no
// GPU; elsewhere it turns TensorFloat-32 off until the test ends, so that
// float32 on the GPU compares with the CPU to 1e-4.
func needCUDAWithoutTF32(t *testing.T) {
	t.Helper()
	if !torch.CUDAAvailable() {
		t.Skipf("no CUDA device: libtorch %s sees %d GPU(s)", torch.Version(), torch.CUDADeviceCount())
	}
	prev := torch.AllowTF32()
	torch.SetAllowTF32(false)
	t.Cleanup(func() { torch.SetAllowTF32(prev) })
}

// TestCUDAAugmentationOnTheDeviceIsTheGoPipelines: the augmentation plans
// carried out on the GPU give the Go pipeline's images to the bit (integer
// and float32 operations only; TF32 plays no part).
func TestCUDAAugmentationOnTheDeviceIsTheGoPipelines(t *testing.T) {
	needCUDAWithoutTF32(t)
	requireDeviceAugmentation(t, torch.CUDA(0))
}

// TestCUDAImagesKeptOnTheGPUGiveTheGoPipelinesImages: crops read from
// images kept on the GPU (NetConfig.DeviceImageBytes) give the Go
// pipeline's images to the bit, the store growing as images come.
func TestCUDAImagesKeptOnTheGPUGiveTheGoPipelinesImages(t *testing.T) {
	needCUDAWithoutTF32(t)
	requireImagesKeptOn(t, torch.CUDA(0))
}

// TestCUDAPrefetchedInputsTrainAsTheTrainingThreadDoes: on the GPU, inputs
// made ahead on one or two threads of their own (the augmentation on the
// device included) train to the same loss at every step and the same head
// as inputs made on the training thread.
func TestCUDAPrefetchedInputsTrainAsTheTrainingThreadDoes(t *testing.T) {
	needCUDAWithoutTF32(t)
	requirePrefetchedTraining(t, torch.CUDA(0), 1, 2)
}
