package finetune

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// packPlans gives each plan's crop a window of one buffer, in order, as the
// loader does.
func packPlans(plans []transforms.AugmentPlan) []uint8 {
	var packed []uint8
	for _, p := range plans {
		packed = append(packed, p.Crop.Pix...)
	}
	return packed
}

// TestAugmentationOnTheDeviceIsTheGoPipelines: a batch of plans carried out
// by libtorch is the Go pipeline's images to the bit, in batches that mix
// shrinking crops (over 8×: more than 16 taps) with enlarging ones, mirrored
// and not, and every order of the jitter.
func TestAugmentationOnTheDeviceIsTheGoPipelines(t *testing.T) {
	requireDeviceAugmentation(t, torch.CPU)
}

// planned24 returns the chapter's training pipeline at 24 px: its image
// steps (the Go pipeline) and its planner.
func planned24(t *testing.T) (*transforms.Compose, *transforms.AugmentPlanner) {
	t.Helper()
	train := transforms.MustCompose(transforms.NewRandomResizedCrop(24), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, transforms.ToTensor{}, transforms.ImageNetNormalize)
	head, _, _ := train.SplitTensorTail()
	planner, err := transforms.NewAugmentPlanner(train)
	require.NoError(t, err)
	return head, planner
}

// goImageAndPlan returns img through the Go pipeline's image steps (head)
// and plan's plan of it, with the same draws (from seed).
func goImageAndPlan(t *testing.T, head *transforms.Compose, plan func(*transforms.Image, *rand.Rand) (transforms.AugmentPlan, error),
	img *transforms.Image, seed uint64) ([]uint8, transforms.AugmentPlan) {
	t.Helper()
	d, err := head.Apply(transforms.Data{Image: img}, rand.New(rand.NewPCG(seed, 1)))
	require.NoError(t, err)
	p, err := plan(img, rand.New(rand.NewPCG(seed, 1)))
	require.NoError(t, err)
	return d.Image.Pix, p
}

// noiseImage returns a w×h image of random pixels drawn from src.
func noiseImage(src *rand.Rand, w, h int) *transforms.Image {
	img := transforms.NewImage(w, h)
	for j := range img.Pix {
		img.Pix[j] = uint8(src.IntN(256))
	}
	return img
}

// requireDeviceAugmentation compares augmentOnDevice on dev with the Go
// pipeline's images.
func requireDeviceAugmentation(t *testing.T, dev torch.Device) {
	head, planner := planned24(t)
	src := rand.New(rand.NewPCG(3, 4))
	maxK := 0
	for batch := range 6 {
		var plans []transforms.AugmentPlan
		var want []uint8
		for i := range 1 + batch*3 {
			img := noiseImage(src, 10+src.IntN(300), 10+src.IntN(300))
			w, p := goImageAndPlan(t, head, planner.Plan, img, uint64(batch*100+i))
			want, plans = append(want, w...), append(plans, p)
			maxK = max(maxK, p.Horizontal.K, p.Vertical.K)
		}
		// One group, groups of a few plans, a group per plan.
		for _, bound := range []int{maxGroupElements, 200_000, 1} {
			out, err := augmentInGroups(plans, packPlans(plans), dev, bound)
			require.NoError(t, err)
			require.Equal(t, []int64{int64(len(plans)), 24, 24, 3}, out.Shape())
			cpu, err := out.To(torch.CPU)
			require.NoError(t, err)
			got, err := torch.Data[uint8](cpu)
			require.NoError(t, err)
			torch.CloseAll(out, cpu)
			require.Equal(t, want, got, "batch %d, groups under %d elements", batch, bound)
		}
	}
	require.Greater(t, maxK, 16) // crops shrunk over 8×
}

// Plans that do not fit together, or their packed pixels, are refused.
func TestAugmentationOnTheDeviceRefusesMismatchedPlans(t *testing.T) {
	planner, err := transforms.NewAugmentPlanner(transforms.MustCompose(transforms.NewRandomResizedCrop(8), transforms.ToTensor{}))
	require.NoError(t, err)
	other, err := transforms.NewAugmentPlanner(transforms.MustCompose(transforms.NewRandomResizedCrop(6), transforms.ToTensor{}))
	require.NoError(t, err)
	img := transforms.NewImage(20, 20)
	a, err := planner.Plan(img, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	b, err := other.Plan(img, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	_, err = augmentOnDevice([]transforms.AugmentPlan{a, b}, packPlans([]transforms.AugmentPlan{a, b}), torch.CPU)
	require.ErrorContains(t, err, "plan 1 makes 6x6 images, plan 0 8x8")
	_, err = augmentOnDevice([]transforms.AugmentPlan{a}, packPlans([]transforms.AugmentPlan{a})[1:], torch.CPU)
	require.ErrorContains(t, err, "the packed crops")
	_, err = augmentOnDevice(nil, nil, torch.CPU)
	require.ErrorContains(t, err, "no augmentation plans")
}

// planLoader is loader with the augmentation left to the device
// (AugmentOnDevice), through cache when given.
func planLoader(t *testing.T, ds *dataset.Dataset, tr transforms.Transform, bs int, cache *dataset.ImageCache) *dataset.Loader {
	t.Helper()
	l, err := dataset.NewLoader(ds, dataset.LoaderConfig{BatchSize: bs, Shuffle: true, Seed: 5, Transform: tr,
		Workers: 2, AugmentOnDevice: true, Cache: cache})
	require.NoError(t, err)
	return l
}

// TestPlanBatchesGiveTheFloatBatchesInput: the backbone's input made on the
// device from plan batches is the float32 batches' to the bit, with and
// without the image cache, and the features are the same on the plain,
// channels-last and replicated paths (each replica carrying out its share of
// the plans).
func TestPlanBatchesGiveTheFloatBatchesInput(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	cache, err := dataset.NewImageCache(1 << 30)
	require.NoError(t, err)
	floats := epochBatches(t, loader(t, split.Train, trainTransform(), true, 7))
	for _, c := range []*dataset.ImageCache{nil, cache, cache} {
		plans := epochBatches(t, planLoader(t, split.Train, trainTransform(), 7, c))
		require.Len(t, plans, len(floats))
		for i, b := range plans {
			require.NotNil(t, b.Plans)
			want, err := floatInput(floats[i], 0, floats[i].N, torch.CPU, false)
			require.NoError(t, err)
			got, err := planInput(b, 0, b.N, torch.CPU, false, nil)
			require.NoError(t, err)
			require.Equal(t, want.Shape(), got.Shape())
			require.Equal(t, want.Float32s(), got.Float32s(), "batch %d", i)
			torch.CloseAll(want, got)
		}
	}
	plans := epochBatches(t, planLoader(t, split.Train, trainTransform(), 7, nil))
	for _, cl := range []bool{false, true} {
		for _, devs := range [][]torch.Device{nil, {torch.CPU, torch.CPU}} {
			cfg := tinyConfig(3)
			cfg.ChannelsLast, cfg.BackboneDevices = cl, devs
			net := loadTiny(t, cfg)
			n := featurePairs(t, floats, plans, net, net, func(_ *dataset.Batch, w, g []float32) {
				requireAllClose(t, w, g, 1e-5, fmt.Sprintf("channels-last %v, replicas %v", cl, devs))
			})
			require.Equal(t, split.Train.Len(), n)
		}
	}
}
