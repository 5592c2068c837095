package dataset

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/transforms"
)

// jpegFolder writes n small JPEGs of varied sizes into an ImageFolder tree
// with 3 classes and returns the dataset.
func jpegFolder(t testing.TB, n int) *Dataset {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < n; i++ {
		w, h := 40+rng.IntN(60), 40+rng.IntN(60)
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), uint8(i * 7), 255})
			}
		}
		p := filepath.Join(dir, []string{"cat", "dog", "emu"}[i%3], "img"+string(rune('a'+i/26))+string(rune('a'+i%26))+".jpg")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		f, err := os.Create(p)
		require.NoError(t, err)
		require.NoError(t, jpeg.Encode(f, m, &jpeg.Options{Quality: 90}))
		require.NoError(t, f.Close())
	}
	ds, err := ImageFolder(dir)
	require.NoError(t, err)
	return ds
}

func trainTransform() transforms.Transform {
	return transforms.MustCompose(transforms.NewRandomResizedCrop(24), transforms.RandomHorizontalFlip{P: 0.5},
		transforms.ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, transforms.ToTensor{}, transforms.ImageNetNormalize)
}

func collect(t *testing.T, l *Loader, epoch int) []*Batch {
	t.Helper()
	var out []*Batch
	for b, err := range l.Batches(context.Background(), epoch) {
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

func TestLoaderOutputDoesNotDependOnWorkers(t *testing.T) {
	ds := jpegFolder(t, 23)
	cfg := LoaderConfig{BatchSize: 5, Shuffle: true, Seed: 77, Transform: trainTransform(), Workers: 1, Prefetch: 1}
	one, err := NewLoader(ds, cfg)
	require.NoError(t, err)
	cfg.Workers, cfg.Prefetch = 8, 4
	eight, err := NewLoader(ds, cfg)
	require.NoError(t, err)
	for epoch := 0; epoch < 2; epoch++ {
		a, b := collect(t, one, epoch), collect(t, eight, epoch)
		require.Equal(t, a, b, "epoch %d", epoch)
		require.Len(t, a, 5)
		require.Equal(t, 3, a[4].N, "the last partial batch is kept")
		require.Equal(t, [3]int{3, 24, 24}, [3]int{a[0].C, a[0].H, a[0].W})
	}
	// Resuming at batch 2 yields exactly the rest of the epoch.
	var rest []*Batch
	for b, err := range one.BatchesFrom(context.Background(), 1, 2) {
		require.NoError(t, err)
		rest = append(rest, b)
	}
	require.Equal(t, collect(t, one, 1)[2:], rest)
	// Epochs differ (new order, new augmentation); the same epoch repeats exactly.
	e0, e1 := collect(t, one, 0), collect(t, one, 1)
	require.NotEqual(t, e0[0].Indices, e1[0].Indices)
	require.Equal(t, e0, collect(t, one, 0))
}

func TestLoaderCoversEverySampleOnceAndLabelsMatch(t *testing.T) {
	ds := jpegFolder(t, 17)
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 1,
		Transform: transforms.MustCompose(transforms.ResizeShorter(16), transforms.CenterCropSquare(16), transforms.ToTensor{})})
	require.NoError(t, err)
	seen := map[int]bool{}
	for _, b := range collect(t, l, 3) {
		for i, idx := range b.Indices {
			require.False(t, seen[idx])
			seen[idx] = true
			require.Equal(t, int64(ds.Samples[idx].Label), b.Labels[i])
			require.Equal(t, ds.Samples[idx].ID, b.IDs[i])
		}
	}
	require.Len(t, seen, 17)
	require.Equal(t, 5, l.NumBatches())

	l, err = NewLoader(ds, LoaderConfig{BatchSize: 4, DropLast: true, Transform: l.Config().Transform})
	require.NoError(t, err)
	require.Len(t, collect(t, l, 0), 4)
	require.Equal(t, 16, l.NumSamples())
}

func TestLoaderReportsTheBadFileAndStops(t *testing.T) {
	ds := jpegFolder(t, 12)
	bad := ds.Samples[7].Path
	require.NoError(t, os.WriteFile(bad, []byte("not a jpeg"), 0o644))
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 3, Workers: 4, Transform: trainTransform()})
	require.NoError(t, err)
	var gotErr error
	batches := 0
	for b, err := range l.Batches(context.Background(), 0) {
		if err != nil {
			gotErr = err
			break
		}
		require.NotNil(t, b)
		batches++
	}
	require.Error(t, gotErr)
	require.Contains(t, gotErr.Error(), bad)
	require.Less(t, batches, 4)
}

func TestLoaderCancellationAndEarlyBreak(t *testing.T) {
	ds := jpegFolder(t, 30)
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 2, Workers: 3, Transform: trainTransform()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var gotErr error
	for _, err := range l.Batches(ctx, 0) {
		if err != nil {
			gotErr = err
			break
		}
		n++
		if n == 2 {
			cancel()
		}
	}
	require.True(t, errors.Is(gotErr, context.Canceled), "got %v", gotErr)
	// Breaking out early stops cleanly too (the iterator waits for its goroutines).
	for range l.Batches(context.Background(), 1) {
		break
	}
}

func TestBatchesFromOutsideTheEpochIsAnError(t *testing.T) {
	l, err := NewLoader(jpegFolder(t, 6), LoaderConfig{BatchSize: 2, Transform: trainTransform()})
	require.NoError(t, err)
	for _, first := range []int{-1, 4} {
		var errs []error
		for b, err := range l.BatchesFrom(context.Background(), 0, first) {
			require.Nil(t, b)
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		require.EqualError(t, errs[0], fmt.Sprintf("dataset: batch %d is outside an epoch of 3 batches", first))
	}
	for range l.BatchesFrom(context.Background(), 0, 3) {
		t.Fatal("a batch after the epoch's last")
	}
}

func TestLoaderConfigErrors(t *testing.T) {
	ds := jpegFolder(t, 3)
	_, err := NewLoader(ds, LoaderConfig{BatchSize: -1, Transform: trainTransform()})
	require.ErrorContains(t, err, "batch size -1")
	_, err = NewLoader(ds, LoaderConfig{})
	require.ErrorContains(t, err, "needs a Transform")
	_, err = NewLoader(ds, LoaderConfig{Transform: transforms.MustCompose(transforms.ResizeShorter(8))})
	require.ErrorContains(t, err, "add ToTensor")
	_, err = NewLoader(&Dataset{}, LoaderConfig{Transform: trainTransform()})
	require.ErrorContains(t, err, "empty")
	// Images of different sizes without a crop: an error naming a file.
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 3, Transform: transforms.MustCompose(transforms.ToTensor{})})
	require.NoError(t, err)
	for _, err := range l.Batches(context.Background(), 0) {
		require.ErrorContains(t, err, "fixed-size crop")
		break
	}
}

func TestLoaderSkipsBadImagesWhenAsked(t *testing.T) {
	ds := jpegFolder(t, 12)
	bad := map[string]bool{ds.Samples[2].Path: true, ds.Samples[7].Path: true}
	for p := range bad {
		require.NoError(t, os.WriteFile(p, []byte("garbage"), 0o644))
	}
	var mu sync.Mutex
	skipped := map[string]string{}
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Workers: 3, Transform: trainTransform(), SkipBadImages: true,
		OnSkip: func(path string, err error) { mu.Lock(); skipped[path] = err.Error(); mu.Unlock() }})
	require.NoError(t, err)
	n := 0
	for _, b := range collect(t, l, 0) {
		n += b.N
		require.Len(t, b.Labels, b.N)
		require.Len(t, b.Images, b.N*3*24*24)
		for i, idx := range b.Indices {
			require.False(t, bad[ds.Samples[idx].Path])
			require.Equal(t, ds.Samples[idx].ID, b.IDs[i])
		}
	}
	require.Equal(t, 10, n)
	require.Len(t, skipped, 2)
	for p, msg := range skipped {
		require.True(t, bad[p])
		require.Contains(t, msg, p)
	}
}

func TestLoaderNamesAFileThatDisappeared(t *testing.T) {
	ds := jpegFolder(t, 6)
	gone := ds.Samples[4].Path
	require.NoError(t, os.Remove(gone))
	l, err := NewLoader(ds, LoaderConfig{BatchSize: 3, Transform: trainTransform()})
	require.NoError(t, err)
	var got error
	for _, err := range l.Batches(context.Background(), 0) {
		if err != nil {
			got = err
			break
		}
	}
	require.ErrorContains(t, got, gone)
	require.ErrorIs(t, got, os.ErrNotExist)
}

func TestShardsFollowDistributedSampler(t *testing.T) {
	ds := jpegFolder(t, 11)
	full, err := NewLoader(ds, LoaderConfig{BatchSize: 2, Shuffle: true, Seed: 3, Transform: trainTransform()})
	require.NoError(t, err)
	perm := full.Order(4)
	var shards [][]int
	for r := range 3 {
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 2, Shuffle: true, Seed: 3, Transform: trainTransform(), Rank: r, WorldSize: 3, EvenShards: true})
		require.NoError(t, err)
		shards = append(shards, l.Order(4))
		require.Equal(t, 4, l.NumSamples())
		require.Equal(t, 2, l.NumBatches())
	}
	// Padded to 12 with the permutation's first index; rank r takes r, r+3, ...
	padded := append(append([]int(nil), perm...), perm[0])
	for r, s := range shards {
		for j, idx := range s {
			require.Equal(t, padded[r+3*j], idx)
		}
	}
	// Without EvenShards every sample appears exactly once over the ranks.
	seen := map[int]int{}
	for r := range 3 {
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 2, Transform: trainTransform(), Rank: r, WorldSize: 3})
		require.NoError(t, err)
		for _, i := range l.Order(0) {
			seen[i]++
		}
	}
	require.Len(t, seen, 11)
	_, err = NewLoader(ds, LoaderConfig{Transform: trainTransform(), Rank: 3, WorldSize: 3})
	require.ErrorContains(t, err, "rank 3 is not in a world of 3")
}

// sharedTensor is a transform that returns the same tensor for every image,
// as one that caches its results would.
type sharedTensor struct{ t *transforms.Tensor }

func (s sharedTensor) Apply(transforms.Data, *rand.Rand) (transforms.Data, error) {
	return transforms.Data{Tensor: s.t}, nil
}
func (sharedTensor) Kinds() (transforms.Kind, transforms.Kind) {
	return transforms.KindImage, transforms.KindTensor
}
func (sharedTensor) String() string { return "sharedTensor()" }

// TestLoaderReleasesOnlyTensorsItOwns: the loader gives a sample's tensor
// storage back for reuse only where the pipeline made it new (a Compose
// ending with ToTensor); a tensor a transform keeps stays intact.
func TestLoaderReleasesOnlyTensorsItOwns(t *testing.T) {
	ds := jpegFolder(t, 9)
	shared := &transforms.Tensor{C: 3, H: 2, W: 2, Data: make([]float32, 12)}
	for i := range shared.Data {
		shared.Data[i] = float32(i)
	}
	for _, tr := range []transforms.Transform{sharedTensor{shared}, transforms.MustCompose(sharedTensor{shared})} {
		l, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Transform: tr, Workers: 2})
		require.NoError(t, err)
		for _, b := range collect(t, l, 0) {
			require.Equal(t, shared.Data, b.Images[:12])
		}
		require.Len(t, shared.Data, 12, "%s: the loader released a tensor it does not own", tr)
	}
	// The chapter's pipeline: released and reused, the batches stay those of a fresh loader.
	a, err := NewLoader(ds, LoaderConfig{BatchSize: 4, Transform: trainTransform(), Workers: 2})
	require.NoError(t, err)
	first := collect(t, a, 3)
	again := collect(t, a, 3)
	require.Equal(t, first, again)
}

// TestLoaderBatchesHoldEachSamplesTransform: every sample of a batch is what
// its pipeline makes of its file with the sample's generator, whether the
// pipeline writes it into the batch (a fused ToTensor and Normalize) or the
// loader copies its tensor there (ToTensor alone).
func TestLoaderBatchesHoldEachSamplesTransform(t *testing.T) {
	ds := jpegFolder(t, 11)
	for _, tr := range []*transforms.Compose{
		trainTransform().(*transforms.Compose),
		transforms.MustCompose(transforms.NewRandomResizedCrop(24), transforms.ToTensor{}),
	} {
		l := mustLoader(t, ds, LoaderConfig{BatchSize: 4, Shuffle: true, Seed: 3, Transform: tr, Workers: 2})
		requireEachSamplesTransform(t, l, tr, 2)
	}
}

// requireEachSamplesTransform checks that l's batches in its first epochs
// epochs hold, for each of their samples, the transform tr (the loader's,
// seeded as the loader is) of the sample's file.
func requireEachSamplesTransform(t *testing.T, l *Loader, tr *transforms.Compose, epochs int) {
	t.Helper()
	for epoch := range epochs {
		for _, b := range collect(t, l, epoch) {
			size := b.C * b.H * b.W
			for j, idx := range b.Indices {
				path := l.Dataset().Samples[idx].Path
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				want, err := tr.DecodeApply(data, transforms.DecodeOptions{}, SampleRNG(l.Config().Seed, epoch, idx))
				require.NoError(t, err)
				require.Equal(t, want.Tensor.Data, b.Images[j*size:(j+1)*size], "%s: %s, epoch %d", tr, path, epoch)
			}
		}
	}
}
