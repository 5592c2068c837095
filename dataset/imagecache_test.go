package dataset

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/transforms"
)

// notCompose hides a Compose from the loader, which then decodes the whole
// image and calls Apply, as for any other Transform.
type notCompose struct{ *transforms.Compose }

func (n notCompose) Apply(d transforms.Data, rng *rand.Rand) (transforms.Data, error) {
	return n.Compose.Apply(d, rng)
}

// pixelBytes is what the cache holds for every image of ds.
func pixelBytes(t *testing.T, ds *Dataset) []int64 {
	t.Helper()
	var sizes []int64
	for _, s := range ds.Samples {
		img, err := transforms.DecodeFile(s.Path, transforms.DecodeOptions{})
		require.NoError(t, err)
		sizes = append(sizes, int64(len(img.Pix)))
	}
	return sizes
}

func TestImageCacheGivesTheSameBatches(t *testing.T) {
	ds := jpegFolder(t, 23)
	var all int64
	for _, n := range pixelBytes(t, ds) {
		all += n
	}
	pipelines := map[string]transforms.Transform{
		"RandomResizedCrop first (region decoding without the cache)": trainTransform(),
		"Resize then CenterCrop (region decoding without the cache)": transforms.MustCompose(transforms.ResizeShorter(32),
			transforms.CenterCropSquare(24), transforms.ToTensor{}, transforms.ImageNetNormalize),
		"not a Compose": notCompose{trainTransform().(*transforms.Compose)},
	}
	for name, tr := range pipelines {
		t.Run(name, func(t *testing.T) {
			cfg := LoaderConfig{BatchSize: 5, Shuffle: true, Seed: 77, Transform: tr, Workers: 3}
			plain, err := NewLoader(ds, cfg)
			require.NoError(t, err)
			cache, err := NewImageCache(1 << 30)
			require.NoError(t, err)
			cfg.Cache = cache
			cached, err := NewLoader(ds, cfg)
			require.NoError(t, err)
			for epoch := range 3 {
				require.Equal(t, collect(t, plain, epoch), collect(t, cached, epoch), "epoch %d", epoch)
			}
			require.Equal(t, ImageCacheStats{Images: 23, Bytes: all, Budget: 1 << 30, Hits: 2 * 23, Misses: 23}, cache.Stats())
		})
	}
}

func TestImageCacheServesLaterEpochsWithoutReadingTheFiles(t *testing.T) {
	ds := jpegFolder(t, 12)
	cfg := LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 5, Transform: trainTransform()}
	want := collect(t, mustLoader(t, ds, cfg), 1)
	cfg.Seed = 6
	wantOther := collect(t, mustLoader(t, ds, cfg), 0)

	cache, err := NewImageCache(1 << 30)
	require.NoError(t, err)
	cfg.Seed, cfg.Cache = 5, cache
	cached := mustLoader(t, ds, cfg)
	collect(t, cached, 0)
	// Garbage of the same size and time in each file: only a cache that
	// does not read them gives the epoch.
	for _, s := range ds.Samples {
		fi, err := os.Stat(s.Path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(s.Path, make([]byte, fi.Size()), 0o644))
		require.NoError(t, os.Chtimes(s.Path, fi.ModTime(), fi.ModTime()))
	}
	require.Equal(t, want, collect(t, cached, 1), "epoch 1 from the cache alone")

	// Hard links to the same files (as ReorgKaggle's train/ and
	// train_valid/) find the same images, through another loader.
	links := *ds
	links.Samples = nil
	dir := t.TempDir()
	for i, s := range ds.Samples {
		link := filepath.Join(dir, fmt.Sprintf("%02d.jpg", i))
		require.NoError(t, os.Link(s.Path, link))
		s.Path = link
		links.Samples = append(links.Samples, s)
	}
	cfg.Seed = 6
	require.Equal(t, wantOther, collect(t, mustLoader(t, &links, cfg), 0))
	st := cache.Stats()
	require.Equal(t, [3]int64{12, 24, 12}, [3]int64{int64(st.Images), st.Hits, st.Misses})
}

func TestImageCacheDecodesAChangedFileAgain(t *testing.T) {
	ds := jpegFolder(t, 6)
	other := jpegFolder(t, 7) // its last image differs from all of ds's
	cache, err := NewImageCache(1 << 30)
	require.NoError(t, err)
	cfg := LoaderConfig{BatchSize: 3, Seed: 2, Transform: trainTransform(), Cache: cache}
	cached := mustLoader(t, ds, cfg)
	collect(t, cached, 0)
	data, err := os.ReadFile(other.Samples[6].Path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(ds.Samples[2].Path, data, 0o644))
	cfg.Cache = nil
	require.Equal(t, collect(t, mustLoader(t, ds, cfg), 1), collect(t, cached, 1))
	st := cache.Stats()
	require.Equal(t, [3]int64{6, 5, 7}, [3]int64{int64(st.Images), st.Hits, st.Misses})
	var all int64
	for _, n := range pixelBytes(t, ds) {
		all += n
	}
	require.Equal(t, all, st.Bytes, "the old version's pixels are no longer counted")

	// A file gone since is reported as without a cache.
	require.NoError(t, os.Remove(ds.Samples[4].Path))
	var got error
	for _, err := range cached.Batches(context.Background(), 2) {
		if err != nil {
			got = err
			break
		}
	}
	require.ErrorContains(t, got, ds.Samples[4].Path)
	require.ErrorIs(t, got, os.ErrNotExist)
}

func TestImageCacheKeepsToItsBudget(t *testing.T) {
	ds := jpegFolder(t, 15)
	sizes := pixelBytes(t, ds)
	var budget int64
	for _, n := range sizes[:5] {
		budget += n
	}
	cfg := LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 3, Transform: trainTransform(), Workers: 1}
	plain := mustLoader(t, ds, cfg)
	cache, err := NewImageCache(budget)
	require.NoError(t, err)
	cfg.Cache = cache
	cached := mustLoader(t, ds, cfg)
	for epoch := range 2 {
		require.Equal(t, collect(t, plain, epoch), collect(t, cached, epoch), "epoch %d", epoch)
	}
	st := cache.Stats()
	require.LessOrEqual(t, st.Bytes, budget)
	require.Greater(t, st.Images, 0)
	require.Less(t, st.Images, 15, "the budget holds some of the images, not all")
	require.Equal(t, int64(st.Images), st.Hits, "the second epoch found each cached image")
	require.Equal(t, int64(15+15-st.Images), st.Misses)
}

func TestImageCacheBudgetMustBePositive(t *testing.T) {
	for _, b := range []int64{0, -1} {
		_, err := NewImageCache(b)
		require.ErrorContains(t, err, "budget")
	}
}

func mustLoader(t *testing.T, ds *Dataset, cfg LoaderConfig) *Loader {
	t.Helper()
	l, err := NewLoader(ds, cfg)
	require.NoError(t, err)
	return l
}
