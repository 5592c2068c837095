package transforms

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLosslessFormatsDecodeLikePIL(t *testing.T) {
	g := readGolden(t)
	n := 0
	for _, name := range sortedNames(g) {
		if strings.HasSuffix(name, ".jpg") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			img, err := DecodeFile(filepath.Join("testdata", "images", name), DecodeOptions{})
			require.NoError(t, err)
			want := pilRGB(t, name)
			if name == "p05_grey16.png" {
				// A deliberate difference: PIL opens 16-bit grey as mode "I" and
				// convert("RGB") clips it to 255, so nearly every pixel turns white.
				// We keep the most significant byte; the file is p03_grey's
				// 8-bit values times 257, so that is what must come out.
				require.Equal(t, 255, int(want.Pix[0]), "PIL's clipping, for the record")
				want = pilRGB(t, "p03_grey.png")
				require.Equal(t, pixelSHA(want), pixelSHA(img))
				return
			}
			require.Equal(t, [2]int{want.W, want.H}, [2]int{img.W, img.H})
			diff := 0
			for i := range want.Pix {
				if want.Pix[i] != img.Pix[i] {
					diff++
				}
			}
			require.Zero(t, diff, "%d of %d values differ from PIL's convert(\"RGB\")", diff, len(want.Pix))
			require.Equal(t, g.Images[name].DecodedSHA256, pixelSHA(img))
		})
	}
	require.GreaterOrEqual(t, n, 12)
}

// jpegDiff compares Go's decoding of a JPEG with PIL's (libjpeg-turbo).
func jpegDiff(t *testing.T, name string, decode func([]byte) (*Image, error)) (mean float64, worst int) {
	data, err := os.ReadFile(filepath.Join("testdata", "images", name))
	require.NoError(t, err)
	img, err := decode(data)
	require.NoError(t, err)
	want := pilRGB(t, name)
	require.Equal(t, [2]int{want.W, want.H}, [2]int{img.W, img.H})
	sum := 0
	for i := range want.Pix {
		d := absInt(int(img.Pix[i]) - int(want.Pix[i]))
		sum += d
		worst = max(worst, d)
	}
	return float64(sum) / float64(len(want.Pix)), worst
}

// TestJPEGDecodingIsCloseToLibjpeg reports, per image, how far Go's decoding
// is from PIL's, ours and Go's image/jpeg with its standard conversion
// (replicated chroma). Baseline JPEGs, which our decoder handles (restart
// markers, one scan per component, grey, every subsampling), must be
// bit-exact; the others (progressive, CMYK: image/jpeg's IDCT, our upsampling
// and conversion) within a mean of 0.5 level.
func TestJPEGDecodingIsCloseToLibjpeg(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "images", "*.jpg"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 26)
	stdlib := func(data []byte) (*Image, error) {
		m, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		// Go's own YCbCr→RGB (what image/draw or At() would give).
		b := m.Bounds()
		out := NewImage(b.Dx(), b.Dy())
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				r, gg, bb, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
				i := (y*out.W + x) * 3
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = uint8(r>>8), uint8(gg>>8), uint8(bb>>8)
			}
		}
		return out, nil
	}
	ours := func(data []byte) (*Image, error) { return Decode(data, DecodeOptions{}) }
	baseline := 0
	for _, f := range files {
		name := filepath.Base(f)
		mean, worst := jpegDiff(t, name, ours)
		smean, sworst := jpegDiff(t, name, stdlib)
		t.Logf("%-38s ours: mean |Δ| %.3f max %3d   Go stdlib: mean %.3f max %3d", name, mean, worst, smean, sworst)
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		_, _, err = decodeBaselineJPEG(data, DefaultMaxPixels, nil)
		if strings.Contains(name, "prog") || strings.Contains(name, "cmyk") {
			require.ErrorIs(t, err, errJPEGUnsupported, name)
			require.LessOrEqual(t, mean, 0.5, "%s: mean |Δ| vs libjpeg-turbo", name)
			continue
		}
		require.NoError(t, err, "%s: the baseline decoder handles it", name)
		require.Zero(t, worst, "%s: bit-exact with libjpeg-turbo", name)
		baseline++
	}
	require.GreaterOrEqual(t, baseline, 22)
}

func TestDecodeBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "images", "j00_500x375_420.jpg"))
	require.NoError(t, err)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":          {nil, "empty file"},
		"text":           {[]byte("this is not an image"), "not a readable image"},
		"truncated jpeg": {good[:len(good)/3], "corrupt or truncated jpeg"},
		"header only":    {good[:200], "jpeg"},
		"bomb png":       {pngHeader(20000, 20000), "decompression-bomb guard"},
		"zero png":       {pngHeader(0, 10), ""},
		"netpbm maxval":  {[]byte("P5 2 2 65535\n\x00\x00\x00\x00\x00\x00\x00\x00"), "maxval 65535"},
		"netpbm short":   {[]byte("P6 4 4 255\n\x01\x02"), "truncated netpbm"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			img, err := Decode(c.data, DecodeOptions{})
			require.Error(t, err)
			require.Nil(t, img)
			require.Contains(t, err.Error(), c.want)
		})
	}
	// The pixel limit is configurable and can be turned off.
	_, err = Decode(good, DecodeOptions{MaxPixels: 1000})
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = Decode(good, DecodeOptions{MaxPixels: -1})
	require.NoError(t, err)

	// DecodeFile names the file.
	path := filepath.Join(t.TempDir(), "broken.jpg")
	require.NoError(t, os.WriteFile(path, good[:len(good)/2], 0o644))
	_, err = DecodeFile(path, DecodeOptions{})
	require.ErrorContains(t, err, path)
	_, err = DecodeFile(filepath.Join(t.TempDir(), "missing.jpg"), DecodeOptions{})
	require.ErrorContains(t, err, "missing.jpg")
}

// pngHeader returns the start of a PNG claiming w×h pixels (no image data).
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestDecodeGoesByContentNotExtension(t *testing.T) {
	png, err := os.ReadFile(filepath.Join("testdata", "images", "p00_rgb.png"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "actually-a-png.jpg")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	img, err := DecodeFile(path, DecodeOptions{})
	require.NoError(t, err)
	require.Equal(t, pixelSHA(pilRGB(t, "p00_rgb.png")), pixelSHA(img))
}

// TestTruncatedBaselineJPEG: a file cut anywhere in its data is an error, as
// in PIL ("image file is truncated"); one that lacks only its final EOI
// marker decodes to the same pixels, as in PIL.
func TestTruncatedBaselineJPEG(t *testing.T) {
	for _, name := range []string{"j00_500x375_420.jpg", "j21_500x375_restart_rows.jpg", "j23_199x301_one_scan_per_component.jpg"} {
		data, err := os.ReadFile(filepath.Join("testdata", "images", name))
		require.NoError(t, err)
		for cut := 3; cut < len(data); cut += 1 + len(data)/97 {
			img, err := Decode(data[:len(data)-cut], DecodeOptions{})
			require.Error(t, err, "%s without its last %d bytes", name, cut)
			require.Nil(t, img)
		}
		whole, err := Decode(data, DecodeOptions{})
		require.NoError(t, err)
		noEOI, err := Decode(data[:len(data)-2], DecodeOptions{})
		require.NoError(t, err)
		require.Equal(t, whole.Pix, noEOI.Pix)
	}
}
