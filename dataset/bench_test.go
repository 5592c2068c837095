package dataset

import (
	"context"
	"testing"
)

// BenchmarkLoaderTrainAugmentation measures the loader with the chapter's
// training augmentation (scaled to 24×24 crops of small images): decode,
// crop, flip, jitter and normalise, batched, on GOMAXPROCS workers.
func BenchmarkLoaderTrainAugmentation(b *testing.B) { benchLoader(b, nil) }

// BenchmarkLoaderTrainAugmentationCached is the same with the decoded
// images cached (ImageCache), filled by an epoch before the timing starts.
func BenchmarkLoaderTrainAugmentationCached(b *testing.B) {
	cache, err := NewImageCache(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	benchLoader(b, cache)
}

// BenchmarkLoaderPlansCached is the loader's share of the augmentation
// left to the device (AugmentOnDevice) from cached images, on one
// goroutine: the crops' draws and taps, and the crops packed for one copy.
func BenchmarkLoaderPlansCached(b *testing.B) {
	cache, err := NewImageCache(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	benchLoader(b, cache, func(c *LoaderConfig) { c.AugmentOnDevice, c.Workers = true, 1 })
}

func benchLoader(b *testing.B, cache *ImageCache, options ...func(*LoaderConfig)) {
	ds := jpegFolder(b, 64)
	cfg := LoaderConfig{BatchSize: 16, Shuffle: true, Transform: trainTransform(), Cache: cache}
	for _, o := range options {
		o(&cfg)
	}
	l, err := NewLoader(ds, cfg)
	if err != nil {
		b.Fatal(err)
	}
	epoch := func(e int) int {
		n := 0
		for batch, err := range l.Batches(context.Background(), e) {
			if err != nil {
				b.Fatal(err)
			}
			n += batch.N
		}
		return n
	}
	if cache != nil {
		epoch(-1)
	}
	images := 0
	for e := 0; b.Loop(); e++ {
		images += epoch(e)
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
}
