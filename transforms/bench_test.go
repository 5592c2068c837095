package transforms

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The chapter's pipelines on the 500×375 and 375×500 test JPEGs (the Kaggle
// images' typical size), per image on one goroutine. Compare with
// scripts/bench/transforms_bench.py (PIL + torchvision) on the same files.

var benchFiles = []string{"j00_500x375_420.jpg", "j01_375x500_420.jpg"}

func benchData(b testing.TB) [][]byte {
	var out [][]byte
	for _, f := range benchFiles {
		data, err := os.ReadFile(filepath.Join("testdata", "images", f))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TrainPipeline is the chapter's training augmentation.
func trainPipeline() *Compose {
	return MustCompose(NewRandomResizedCrop(224), RandomHorizontalFlip{P: 0.5},
		ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, ToTensor{}, ImageNetNormalize)
}

func testPipeline() *Compose {
	return MustCompose(ResizeShorter(256), CenterCropSquare(224), ToTensor{}, ImageNetNormalize)
}

func BenchmarkDecodeJPEG(b *testing.B) {
	files := benchData(b)
	for i := 0; b.Loop(); i++ {
		if _, err := Decode(files[i%len(files)], DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPipeline(b *testing.B, c *Compose) {
	files := benchData(b)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; b.Loop(); i++ {
		// As the dataset loader does: a leading RandomResizedCrop decodes only its crop.
		if _, err := c.DecodeApply(files[i%len(files)], DecodeOptions{}, rng); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainPipeline(b *testing.B) { benchPipeline(b, trainPipeline()) }

func BenchmarkTestPipeline(b *testing.B) { benchPipeline(b, testPipeline()) }

func BenchmarkTrainTransformOnly(b *testing.B) {
	files := benchData(b)
	var imgs []*Image
	for _, f := range files {
		img, err := Decode(f, DecodeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	c := trainPipeline()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; b.Loop(); i++ {
		if _, err := c.ImageToTensor(imgs[i%len(imgs)], rng); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResizedCrop is the resampling of a typical RandomResizedCrop: a
// 320×300 region of a 500×375 image to 224×224.
func BenchmarkResizedCrop(b *testing.B) {
	img, err := Decode(benchData(b)[0], DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ResizedCrop(img, 40, 90, 300, 320, 224, 224, false)
	}
}

// BenchmarkColorJitter is the chapter's ColorJitter (brightness, contrast and
// saturation 0.4) on a 224×224 crop, its orders and factors drawn per image.
func BenchmarkColorJitter(b *testing.B) {
	img, err := Decode(benchData(b)[0], DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	crop := ResizedCrop(img, 40, 90, 300, 320, 224, 224, false)
	jitter := ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if _, err := Jitter(crop, jitter.Params(rng)); err != nil {
			b.Fatal(err)
		}
	}
}

// The pipelines and decoding with the AVX2 assembly off (the Go code that
// runs on other CPUs), to set beside the benchmarks above.
func BenchmarkDecodeJPEGWithoutSIMD(b *testing.B)    { benchWithoutSIMD(b, BenchmarkDecodeJPEG) }
func BenchmarkTrainPipelineWithoutSIMD(b *testing.B) { benchWithoutSIMD(b, BenchmarkTrainPipeline) }
func BenchmarkTestPipelineWithoutSIMD(b *testing.B)  { benchWithoutSIMD(b, BenchmarkTestPipeline) }

func benchWithoutSIMD(b *testing.B, bench func(*testing.B)) {
	if !SIMD() {
		b.Skip("the assembly is off here already")
	}
	UseSIMD(false)
	defer UseSIMD(true)
	bench(b)
}
