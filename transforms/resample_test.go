package transforms

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResizedCropAtEveryFilterWidth: Pillow's results (scripts/golden/
// resample_golden.py) for crops that enlarge and shrink by up to 4x, at the
// edges, thin, tiny, mirrored, are matched to the bit.
func TestResizedCropAtEveryFilterWidth(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "resample_golden.json"))
	require.NoError(t, err, "regenerate with /usr/bin/python3 scripts/golden/resample_golden.py")
	var g struct {
		Cases []struct {
			Image     string `json:"image"`
			Top       int    `json:"top"`
			Left      int    `json:"left"`
			Height    int    `json:"height"`
			Width     int    `json:"width"`
			OutHeight int    `json:"out_height"`
			OutWidth  int    `json:"out_width"`
			Mirror    bool   `json:"mirror"`
			SHA256    string `json:"sha256"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &g))
	require.GreaterOrEqual(t, len(g.Cases), 20)
	for _, c := range g.Cases {
		img := pilRGB(t, c.Image)
		got := ResizedCrop(img, c.Top, c.Left, c.Height, c.Width, c.OutHeight, c.OutWidth, c.Mirror)
		require.Equal(t, [2]int{c.OutWidth, c.OutHeight}, [2]int{got.W, got.H})
		sum := sha256.Sum256(got.Pix)
		require.Equal(t, c.SHA256, hex.EncodeToString(sum[:]), "%+v", c)
	}
}
