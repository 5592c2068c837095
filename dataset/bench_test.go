package dataset

import (
	"context"
	"testing"
)

// BenchmarkLoaderTrainAugmentation measures the loader with the chapter's
// training augmentation (scaled to 24×24 crops of small images): decode,
// crop, flip, jitter and normalise, batched, on GOMAXPROCS workers.
func BenchmarkLoaderTrainAugmentation(b *testing.B) {
	ds := jpegFolder(b, 64)
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 16, Shuffle: true, Transform: trainTransform()})
	if err != nil {
		b.Fatal(err)
	}
	images := 0
	for epoch := 0; b.Loop(); epoch++ {
		for batch, err := range l.Batches(context.Background(), epoch) {
			if err != nil {
				b.Fatal(err)
			}
			images += batch.N
		}
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
}
