package finetune

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// TestImagesKeptOnTheDeviceGiveTheGoPipelinesImages: plans whose crops are
// regions of images kept on the device (each image copied once, the store
// growing from a tiny capacity as they come) are carried out as the Go
// pipeline would, to the bit, in groups or not; and planInput gives the
// input of the crops copied from the host for batches that mix such plans
// with a plan whose crop was packed by the loader, with every image in the
// store, with a store whose budget holds some of them (the others' crops
// copied from the host), and without a store.
func TestImagesKeptOnTheDeviceGiveTheGoPipelinesImages(t *testing.T) {
	requireImagesKeptOn(t, torch.CPU)
}

// requireImagesKeptOn checks an image store on dev against the Go pipeline
// and against crops copied from the host.
func requireImagesKeptOn(t *testing.T, dev torch.Device) {
	head, planner := planned24(t)
	src := rand.New(rand.NewPCG(5, 6))
	images := make([]*transforms.Image, 7)
	pixels := int64(0)
	for i := range images {
		images[i] = noiseImage(src, 10+src.IntN(200), 10+src.IntN(200))
		pixels += int64(images[i].W * images[i].H)
	}
	store := newImageStore(dev, 1<<30)
	defer store.close()
	store.first = 100 // grows many times, keeping what it holds
	small := newImageStore(dev, 3*int64(images[0].W*images[0].H+images[1].W*images[1].H))
	defer small.close()

	partial := 0
	for batch := range 4 { // the first two batches bring every image, the last two find them
		var plans []transforms.AugmentPlan
		var want []uint8
		for i := range 2 + batch {
			w, p := goImageAndPlan(t, head, planner.PlanRegion, images[(batch*3+i)%len(images)], uint64(batch*100+i))
			want, plans = append(want, w...), append(plans, p)
		}
		stored, held, err := store.locate(plans)
		require.NoError(t, err)
		require.Len(t, held, len(plans), "batch %d", batch)
		for _, bound := range []int{maxGroupElements, 1} {
			out, err := augmentStored(plans, stored, dev, bound)
			require.NoError(t, err)
			require.Equal(t, want, bytesOf(t, out), "batch %d, groups under %d elements", batch, bound)
		}
		stored.pixels.Close()

		// The batch as a loader with RegionPlans gives it when its cache
		// has no room for an image: that plan's crop packed in Crops.
		own := copiedCrops(plans[:1])[0]
		b := &dataset.Batch{N: len(plans) + 1, C: 3, H: 24, W: 24, Plans: append(slices.Clone(plans), own),
			Crops: slices.Clone(own.Crop.Pix)}
		packed := *b
		packed.Plans = copiedCrops(b.Plans)
		packed.Crops = packPlans(packed.Plans)
		copied, err := planInput(&packed, 0, b.N, dev, false, nil)
		require.NoError(t, err)
		if c, held, err := small.locate(plans); err == nil && len(held) > 0 && len(held) < len(plans) {
			partial++
			c.pixels.Close()
		}
		for _, s := range []*imageStore{store, small, nil} {
			x, err := planInput(b, 0, b.N, dev, false, s)
			require.NoError(t, err)
			require.Equal(t, copied.Float32s(), x.Float32s(), "batch %d", batch) // Float32s copies to the host
			x.Close()
		}
		copied.Close()
	}
	n, bytes, stopped := store.stats()
	require.Equal(t, len(images), n)
	require.Equal(t, 3*pixels, bytes)
	require.NoError(t, stopped)
	n, _, stopped = small.stats()
	require.NoError(t, stopped, "a spent budget is no failure")
	require.Positive(t, n)
	require.Less(t, n, len(images))
	require.Positive(t, partial, "a batch with some of its images in the small store")
}

// copiedCrops returns plans with each crop copied out of its Source, as
// the loader packs them without RegionPlans.
func copiedCrops(plans []transforms.AugmentPlan) []transforms.AugmentPlan {
	out := make([]transforms.AugmentPlan, len(plans))
	for i, p := range plans {
		w, h := p.CropSize()
		p.Crop, p.Source = &transforms.Image{W: w, H: h, Pix: p.AppendCrop(nil)}, nil
		out[i] = p
	}
	return out
}

// bytesOf copies t (uint8) to the host and closes it.
func bytesOf(t *testing.T, x *torch.Tensor) []uint8 {
	t.Helper()
	cpu, err := x.To(torch.CPU)
	require.NoError(t, err)
	got, err := torch.Data[uint8](cpu)
	require.NoError(t, err)
	torch.CloseAll(x, cpu)
	return got
}

// TestRegionPlanBatchesGiveTheFloatBatchesFeatures: a net keeping the
// images on its devices (NetConfig.DeviceImageBytes), fed plans whose
// crops are regions of cached images (dataset.LoaderConfig.RegionPlans),
// computes the float32 batches' features over two epochs (the second reads
// every crop from the kept images), plain and on replicas.
func TestRegionPlanBatchesGiveTheFloatBatchesFeatures(t *testing.T) {
	_, split := smallKaggle(t, 3, 0.1)
	floats := loader(t, split.Train, trainTransform(), true, 7)
	for _, devs := range [][]torch.Device{nil, {torch.CPU, torch.CPU}} {
		cache, err := dataset.NewImageCache(1 << 30)
		require.NoError(t, err)
		regions, err := dataset.NewLoader(split.Train, dataset.LoaderConfig{BatchSize: 7, Shuffle: true, Seed: 5,
			Transform: trainTransform(), Workers: 2, AugmentOnDevice: true, Cache: cache, RegionPlans: true})
		require.NoError(t, err)
		cfg := tinyConfig(3)
		cfg.BackboneDevices = devs
		plain := loadTiny(t, cfg)
		cfg.DeviceImageBytes = 1 << 30
		net := loadTiny(t, cfg)
		for epoch := range 2 {
			n := featurePairs(t, epochBatchesOf(t, floats, epoch), epochBatchesOf(t, regions, epoch), plain, net,
				func(b *dataset.Batch, w, g []float32) {
					require.Empty(t, b.Crops, "every image cached")
					requireAllClose(t, w, g, 1e-5, fmt.Sprintf("epoch %d, replicas %v", epoch, devs))
				})
			require.Equal(t, split.Train.Len(), n)
		}
		images, _, stopped := net.DeviceImages()
		require.Equal(t, split.Train.Len(), images)
		require.NoError(t, stopped)
	}
}

// TestAStoreThatCannotGrowLeavesTheCropsToTheHost: when the device has no
// memory for the store to grow, training goes on: the store keeps the
// images it holds and takes no more, says why, and the batches' other
// crops are copied from the host, with the same inputs; it does not try
// to grow again.
func TestAStoreThatCannotGrowLeavesTheCropsToTheHost(t *testing.T) {
	head, planner := planned24(t)
	src := rand.New(rand.NewPCG(7, 8))
	store := newImageStore(torch.CPU, 1<<30)
	defer store.close()
	first, calls := int64(0), 0
	store.zeros = func(pixels int64) (*torch.Tensor, error) {
		calls++
		if first > 0 {
			return nil, errors.New("out of memory (a test's)")
		}
		first = pixels
		return torch.Zeros([]int64{pixels, 3}, torch.Uint8, torch.CPU)
	}
	store.first = 60 * 60 // room for one image at most
	var plans []transforms.AugmentPlan
	for i := range 6 { // batches of 1 to 6 images, each a new one
		_, p := goImageAndPlan(t, head, planner.PlanRegion, noiseImage(src, 40+src.IntN(20), 40+src.IntN(20)), uint64(i))
		plans = append(plans, p)
		b := &dataset.Batch{N: len(plans), C: 3, H: 24, W: 24, Plans: plans}
		packed := *b
		packed.Plans = copiedCrops(plans)
		packed.Crops = packPlans(packed.Plans)
		want, err := planInput(&packed, 0, b.N, torch.CPU, false, nil)
		require.NoError(t, err)
		got, err := planInput(b, 0, b.N, torch.CPU, false, store)
		require.NoError(t, err, "batch %d", i)
		require.Equal(t, want.Float32s(), got.Float32s(), "batch %d", i)
		torch.CloseAll(want, got)
	}
	n, bytes, stopped := store.stats()
	require.Equal(t, 1, n)
	require.Positive(t, bytes)
	require.ErrorContains(t, stopped, "out of memory (a test's)")
	require.Equal(t, 2, calls, "no second try after the device ran out")
}
