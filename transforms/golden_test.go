package transforms

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// The golden values come from scripts/golden/transforms_golden.py
// (Pillow 9.4, torchvision 0.14).

type goldenResult struct {
	W, H    int
	SHA256  string  `json:"sha256"`
	Samples [][]any `json:"samples"` // [y, x, [r, g, b]]
	Top     int     `json:"top"`
	Left    int     `json:"left"`
	Height  int     `json:"height"`
	Width   int     `json:"width"`
}

type goldenImage struct {
	DecodedSHA256   string `json:"decoded_sha256"`
	W, H            int
	Resize256       *goldenResult     `json:"resize256"`
	Center224       *goldenResult     `json:"center224"`
	Resize100x150   *goldenResult     `json:"resize_100x150"`
	CenterCrop64    *goldenResult     `json:"center_crop_64"`
	ResizedCrop     *goldenResult     `json:"resized_crop"`
	ResizedCropFlip *goldenResult     `json:"resized_crop_flip"`
	Crop16          string            `json:"crop16"`
	Colour          map[string]string `json:"colour"`
	Normalized      string            `json:"normalized"`
}

type samplerStats struct {
	Mean      float64   `json:"mean"`
	Std       float64   `json:"std"`
	Quantiles []float64 `json:"quantiles"`
}

type goldenFile struct {
	Images   map[string]goldenImage `json:"images"`
	Samplers struct {
		Quantiles  []float64    `json:"quantiles"`
		Area       samplerStats `json:"rrc_area"`
		LogRatio   samplerStats `json:"rrc_log_ratio"`
		Brightness samplerStats `json:"jitter_brightness"`
		Contrast   samplerStats `json:"jitter_contrast"`
		Saturation samplerStats `json:"jitter_saturation"`
	} `json:"samplers"`
}

func readGolden(t testing.TB) goldenFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	require.NoError(t, err, "regenerate with /usr/bin/python3 scripts/golden/transforms_golden.py")
	var g goldenFile
	require.NoError(t, json.Unmarshal(data, &g))
	require.NotEmpty(t, g.Images)
	return g
}

func sortedNames(g goldenFile) []string {
	var names []string
	for n := range g.Images {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// pilRGB loads what PIL decoded the test image to (a lossless PNG).
func pilRGB(t testing.TB, name string) *Image {
	t.Helper()
	stem := name[:len(name)-len(filepath.Ext(name))]
	f, err := os.Open(filepath.Join("testdata", "pil_rgb", stem+".png"))
	require.NoError(t, err)
	defer f.Close()
	m, err := png.Decode(f)
	require.NoError(t, err)
	return toRGB(m)
}

func pixelSHA(img *Image) string {
	s := sha256.Sum256(img.Pix)
	return hex.EncodeToString(s[:])
}

// requireSame asserts img equals PIL's result to the bit.
func requireSame(t *testing.T, want *goldenResult, img *Image, what string) {
	t.Helper()
	require.NotNil(t, want, what)
	require.Equal(t, [2]int{want.W, want.H}, [2]int{img.W, img.H}, "%s: size", what)
	if pixelSHA(img) == want.SHA256 {
		return
	}
	worst := 0
	for _, s := range want.Samples {
		y, x := int(s[0].(float64)), int(s[1].(float64))
		rgb := s[2].([]any)
		r, g, b := img.At(x, y)
		for c, v := range []uint8{r, g, b} {
			worst = max(worst, absInt(int(v)-int(rgb[c].(float64))))
		}
	}
	t.Fatalf("%s: pixels differ from Pillow's (max |Δ| %d over %d sampled pixels)", what, worst, len(want.Samples))
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

func b64Float32s(t testing.TB, s string) []float32 {
	b := b64(t, s)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
