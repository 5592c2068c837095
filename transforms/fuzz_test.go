package transforms

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzDecodeAndTransform: any bytes either fail to decode with an error or
// give an image the chapter's train and test pipelines turn into a
// 3×32×32 tensor of finite values, the same when only the region they keep
// is decoded (DecodeApply) and the same with the AVX2 assembly off (damaged
// files included, whose coefficients can be extreme); nothing panics.
func FuzzDecodeAndTransform(f *testing.F) {
	for _, name := range []string{"j07_33x47_420.jpg", "j15_17x13_420.jpg", "j20_1x1_420.jpg", "j22_257x193_restart_5blocks.jpg",
		"j24_150x100_grey_restart.jpg", "p00_rgb.png",
		"p02_palette.png", "p06_palette.gif", "p07_rgb.bmp", "p10_rgb.ppm", "p11_grey.pgm"} {
		data, err := os.ReadFile(filepath.Join("testdata", "images", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("P3 1 1 255\n1 2 3\n"))
	train := MustCompose(NewRandomResizedCrop(32), RandomHorizontalFlip{P: 0.5},
		ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4, Hue: 0.1}, Lighting{AlphaStd: 0.1}, ToTensor{}, ImageNetNormalize)
	test := MustCompose(ResizeShorter(36), CenterCropSquare(32), ToTensor{}, ImageNetNormalize)
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Decode(data, DecodeOptions{MaxPixels: 1 << 16})
		if err != nil {
			return
		}
		if img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H*3 {
			t.Fatalf("decoded a %dx%d image with %d bytes", img.W, img.H, len(img.Pix))
		}
		for _, c := range []*Compose{train, test} {
			x, err := c.ImageToTensor(img, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatalf("%s on a %dx%d image: %v", c, img.W, img.H, err)
			}
			if x.C != 3 || x.H != 32 || x.W != 32 {
				t.Fatalf("tensor %dx%dx%d", x.C, x.H, x.W)
			}
			for _, v := range x.Data {
				if v != v || v > 1e3 || v < -1e3 {
					t.Fatalf("value %v", v)
				}
			}
			// What the loader runs: decoding only what the pipeline keeps.
			d, err := c.DecodeApply(data, DecodeOptions{MaxPixels: 1 << 16}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatalf("DecodeApply fails where Decode did not: %v", err)
			}
			if !slices.Equal(d.Tensor.Data, x.Data) {
				t.Fatalf("%s: DecodeApply differs from Decode + Apply", c)
			}
			if SIMD() {
				UseSIMD(false)
				g, err := c.DecodeApply(data, DecodeOptions{MaxPixels: 1 << 16}, rand.New(rand.NewPCG(1, 2)))
				UseSIMD(true)
				if err != nil || !slices.Equal(g.Tensor.Data, x.Data) {
					t.Fatalf("%s: the Go code differs from the assembly (error %v)", c, err)
				}
			}
		}
	})
}
