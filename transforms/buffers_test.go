package transforms

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReleasedTensorStorageIsReusedAndOverwritten: ToTensor takes the
// storage a released tensor gave back, uncleared, and writes every value of
// it: poisoned with NaN before each release, the next tensors are still
// exactly the first one.
func TestReleasedTensorStorageIsReusedAndOverwritten(t *testing.T) {
	img := NewImage(7, 5)
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	pipe := MustCompose(ToTensor{}, ImageNetNormalize)
	first, err := pipe.ImageToTensor(img, nil)
	require.NoError(t, err)
	want := append([]float32(nil), first.Data...)
	cur, reused := first, 0
	for range 10 {
		poisoned := &cur.Data[0]
		for i := range cur.Data {
			cur.Data[i] = float32(math.NaN())
		}
		cur.Release()
		require.Nil(t, cur.Data)
		next, err := pipe.ImageToTensor(img, nil)
		require.NoError(t, err)
		require.Equal(t, want, next.Data)
		if &next.Data[0] == poisoned {
			reused++
		}
		cur = next
	}
	// sync.Pool may drop what it is given (at random under the race detector,
	// and at each collection), so not every time; but it keeps most.
	require.Positive(t, reused, "the released storage was never reused")
	cur.Release()
	cur.Release() // a second release is a no-op
}

func TestEndsWithNewTensor(t *testing.T) {
	require.True(t, MustCompose(NewRandomResizedCrop(8), ToTensor{}).EndsWithNewTensor())
	require.True(t, MustCompose(ResizeShorter(8), ToTensor{}, ImageNetNormalize).EndsWithNewTensor())
	require.True(t, MustCompose(ToTensor{}).EndsWithNewTensor())
	require.False(t, MustCompose(ResizeShorter(8)).EndsWithNewTensor(), "ends with an image")
	require.False(t, MustCompose(ToTensor{}, ImageNetNormalize, ImageNetNormalize).EndsWithNewTensor(),
		"only ToTensor, or ToTensor then one Normalize, is known to give new storage")
}

// TestPipelinesRecycleOnlyTheirOwnImages: the images a pipeline's fused
// steps make and drop go back for reuse, but never the caller's image, nor
// an image a pipeline returns: both stay intact while other runs, which take
// recycled memory, go on; and DecodeApply on several goroutines at once
// gives each run the tensor it gives alone. Buffers given back are poisoned
// after the reference runs, so that a read after giving one back changes a
// result.
func TestPipelinesRecycleOnlyTheirOwnImages(t *testing.T) {
	files := testImageFiles(t)
	var datas [][]byte
	for _, f := range files[:min(len(files), 6)] {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		datas = append(datas, data)
	}
	pipes := []*Compose{trainPipeline(), testPipeline(),
		MustCompose(ResizeShorter(40), CenterCropSquare(32), ToTensor{}, ImageNetNormalize),
		MustCompose(NewRandomResizedCrop(32), RandomHorizontalFlip{P: 0.5}, ColorJitter{Brightness: 0.4, Saturation: 0.4}, ToTensor{})}
	churn := func() {
		for i, data := range datas {
			for _, c := range pipes {
				_, err := c.DecodeApply(data, DecodeOptions{}, rand.New(rand.NewPCG(uint64(i), 3)))
				require.NoError(t, err)
			}
		}
	}

	type run struct {
		data int
		pipe int
		seed uint64
	}
	var runs []run
	want := map[run][]float32{}
	for d := range datas {
		for p := range pipes {
			for seed := range uint64(3) {
				r := run{d, p, seed}
				out, err := pipes[p].DecodeApply(datas[d], DecodeOptions{}, rand.New(rand.NewPCG(seed, 5)))
				require.NoError(t, err)
				runs, want[r] = append(runs, r), slices.Clone(out.Tensor.Data)
				out.Tensor.Release()
			}
		}
	}
	// From here on, buffers given back are poisoned.
	poisonOnPut = true
	defer func() { poisonOnPut = false }()

	img, err := Decode(datas[0], DecodeOptions{})
	require.NoError(t, err)
	before := img.Clone()
	for _, c := range pipes {
		_, err := c.Apply(Data{Image: img}, rand.New(rand.NewPCG(1, 1)))
		require.NoError(t, err)
		churn()
		require.Equal(t, before.Pix, img.Pix, "%s changed or recycled its input", c)
	}
	imagePipe := MustCompose(NewRandomResizedCrop(48), RandomHorizontalFlip{P: 0.5}, ColorJitter{Saturation: 0.4})
	got, err := imagePipe.DecodeApply(datas[0], DecodeOptions{}, rand.New(rand.NewPCG(2, 2)))
	require.NoError(t, err)
	kept := got.Image.Clone()
	churn()
	require.Equal(t, kept.Pix, got.Image.Pix, "a returned image was recycled")
	// A step of the caller's that returns an image the caller keeps: the
	// fused ToTensor after it must not recycle that image.
	mine := img.Clone()
	viaStep := MustCompose(NewRandomResizedCrop(32), RandomHorizontalFlip{P: 0.5}, keptImage{mine}, ToTensor{}, ImageNetNormalize)
	_, err = viaStep.DecodeApply(datas[1], DecodeOptions{}, rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	churn()
	require.Equal(t, before.Pix, mine.Pix, "an image a caller's step returned was recycled")

	var wg sync.WaitGroup
	errs := make(chan string, 4*len(runs))
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range runs {
				r := runs[(i+g*7)%len(runs)]
				out, err := pipes[r.pipe].DecodeApply(datas[r.data], DecodeOptions{}, rand.New(rand.NewPCG(r.seed, 5)))
				if err != nil || !slices.Equal(out.Tensor.Data, want[r]) {
					errs <- files[r.data]
				}
				out.Tensor.Release()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for f := range errs {
		t.Errorf("a concurrent run of %s differs from the same run alone", f)
	}
}

// keptImage is a caller's step that returns an image the caller keeps.
type keptImage struct{ img *Image }

func (k keptImage) Apply(Data, *rand.Rand) (Data, error) { return Data{Image: k.img}, nil }
func (keptImage) Kinds() (Kind, Kind)                    { return KindImage, KindImage }
func (keptImage) String() string                         { return "keptImage()" }
