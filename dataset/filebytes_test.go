package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/image/bmp"

	"github.com/tunetorch/tunetorch/transforms"
)

// TestReadFileReadsWholeFiles: files empty, around the first buffer's size
// and larger, each read whole again after the buffers were given back
// (filled with other bytes); a missing file's error names it.
func TestReadFileReadsWholeFiles(t *testing.T) {
	defer func(was bool) { poisonReleasedFiles = was }(poisonReleasedFiles)
	poisonReleasedFiles = true
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	for round := range 2 {
		for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 300 << 10} {
			want := make([]byte, size)
			for i := range want {
				want[i] = byte(rng.Uint32())
			}
			path := filepath.Join(dir, "f")
			require.NoError(t, os.WriteFile(path, want, 0o644))
			got, err := readFile(path)
			require.NoError(t, err)
			require.True(t, bytes.Equal(want, got), "round %d, %d bytes: read %d", round, size, len(got))
			releaseFile(got)
		}
	}
	_, err := readFile(filepath.Join(dir, "missing.jpg"))
	require.ErrorContains(t, err, "missing.jpg")
}

// TestLoaderKeepsNoFileBytes: with every file buffer overwritten as it is
// given back, the loader's batches (JPEG, PNG, BMP, PPM and PGM files, the
// decoded images cached or not, two epochs) are still the transform of
// each file, so nothing decoded from a file's bytes keeps them.
func TestLoaderKeepsNoFileBytes(t *testing.T) {
	defer func(was bool) { poisonReleasedFiles = was }(poisonReleasedFiles)
	poisonReleasedFiles = true
	ds := mixedFormatFolder(t)
	tr := transforms.MustCompose(transforms.NewRandomResizedCrop(24), transforms.RandomHorizontalFlip{P: 0.5}, transforms.ToTensor{})
	cache, err := NewImageCache(1 << 30)
	require.NoError(t, err)
	for _, c := range []*ImageCache{nil, cache} {
		l := mustLoader(t, ds, LoaderConfig{BatchSize: 3, Shuffle: true, Seed: 4, Transform: tr, Workers: 2, Cache: c})
		requireEachSamplesTransform(t, l, tr, 2)
	}
}

// mixedFormatFolder writes an ImageFolder tree of two classes with an
// image in each format the decoder reads.
func mixedFormatFolder(t *testing.T) *Dataset {
	t.Helper()
	dir := t.TempDir()
	m := image.NewRGBA(image.Rect(0, 0, 37, 29))
	for y := range 29 {
		for x := range 37 {
			m.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 9), uint8(x * y), 255})
		}
	}
	encoders := map[string]func(*bytes.Buffer) error{
		"a.png": func(w *bytes.Buffer) error { return png.Encode(w, m) },
		"b.pgm": func(w *bytes.Buffer) error {
			w.WriteString("P5 37 29 255\n")
			for i := 0; i < len(m.Pix); i += 4 {
				w.WriteByte(m.Pix[i+1])
			}
			return nil
		},
		"c.bmp": func(w *bytes.Buffer) error { return bmp.Encode(w, m) },
		"d.ppm": func(w *bytes.Buffer) error {
			w.WriteString("P6 37 29 255\n")
			for i := 0; i < len(m.Pix); i += 4 {
				w.Write(m.Pix[i : i+3])
			}
			return nil
		},
	}
	for i, name := range []string{"a.png", "b.pgm", "c.bmp", "d.ppm"} {
		var file bytes.Buffer
		require.NoError(t, encoders[name](&file))
		p := filepath.Join(dir, []string{"cat", "dog"}[i%2], name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, file.Bytes(), 0o644))
	}
	jpegs := jpegFolder(t, 4)
	for i, s := range jpegs.Samples {
		data, err := os.ReadFile(s.Path)
		require.NoError(t, err)
		p := filepath.Join(dir, []string{"cat", "dog"}[i%2], filepath.Base(s.Path))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	ds, err := ImageFolder(dir)
	require.NoError(t, err)
	require.Len(t, ds.Samples, 8)
	return ds
}
