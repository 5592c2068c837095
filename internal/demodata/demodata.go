// Package demodata generates a synthetic dataset in the layout of Kaggle's
// dog-breed competition, for demos and tests where the real images cannot be
// downloaded: labels.csv (id,breed), sample_submission.csv, train/<id>.jpg
// and test/<id>.jpg, with 32-hex-digit ids and the competition's 120 breed
// names.
//
// Each breed has its own look, a palette and a pattern (stripes at an angle
// and frequency, blobs of a size) that every image of it shares, varied per
// image in position, scale, brightness and noise, over random backgrounds.
// A classifier can learn it, though not from one pixel. Class sizes are
// unbalanced like the real data's (66–126 images per breed at Scale 1).
// Output depends only on the Config.
package demodata

import (
	_ "embed"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tunetorch/tunetorch/internal/atomicfile"
)

//go:embed dog-breeds.txt
var breedList string

// Breeds returns the competition's 120 breed names, sorted.
func Breeds() []string { return strings.Fields(breedList) }

// Config says what to generate.
type Config struct {
	Dir         string   // output folder (created)
	Classes     []string // breed names (default: all 120)
	Scale       float64  // fraction of the real class sizes, 66–126 (default 1)
	MinPerClass int      // floor on each class's size (default 2)
	TestImages  int      // unlabelled images in test/ (default 10 per class × Scale, at least 10)
	MinSide     int      // image sides are drawn in [MinSide, MaxSide] (default 200, 500)
	MaxSide     int
	Seed        uint64
}

func (c *Config) defaults() {
	if len(c.Classes) == 0 {
		c.Classes = Breeds()
	}
	if c.Scale == 0 {
		c.Scale = 1
	}
	if c.MinPerClass == 0 {
		c.MinPerClass = 2
	}
	if c.TestImages == 0 {
		c.TestImages = max(10, int(10*c.Scale*float64(len(c.Classes))))
	}
	if c.MinSide == 0 {
		c.MinSide = 200
	}
	if c.MaxSide == 0 {
		c.MaxSide = 500
	}
}

// style is one breed's look.
type style struct {
	fg, bg      [3]float64
	angle, freq float64
	blobs       int
	blobSize    float64
}

func styleFor(rng *rand.Rand) style {
	col := func() [3]float64 { return [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255} }
	return style{fg: col(), bg: col(), angle: rng.Float64() * math.Pi, freq: 0.02 + rng.Float64()*0.1,
		blobs: 1 + rng.IntN(5), blobSize: 0.08 + rng.Float64()*0.2}
}

// Generate writes the dataset into cfg.Dir. Existing files of the same names
// are replaced; labels.csv is written last and atomically, so a folder with
// a labels.csv is complete.
func Generate(cfg Config) error {
	cfg.defaults()
	if cfg.MinSide < 8 || cfg.MaxSide < cfg.MinSide {
		return fmt.Errorf("demodata: image sides [%d, %d] are not a valid range", cfg.MinSide, cfg.MaxSide)
	}
	for _, sub := range []string{"train", "test"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o755); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xd06))
	styles := make([]style, len(cfg.Classes))
	for i := range styles {
		styles[i] = styleFor(rng)
	}
	type row struct{ id, breed string }
	var rows []row
	for ci, breed := range cfg.Classes {
		n := max(cfg.MinPerClass, int(math.Round(float64(66+rng.IntN(61))*cfg.Scale)))
		for range n {
			id := newID(rng)
			if err := writeImage(filepath.Join(cfg.Dir, "train", id+".jpg"), styles[ci], rng, cfg); err != nil {
				return err
			}
			rows = append(rows, row{id, breed})
		}
	}
	var testIDs []string
	for range cfg.TestImages {
		id := newID(rng)
		if err := writeImage(filepath.Join(cfg.Dir, "test", id+".jpg"), styles[rng.IntN(len(styles))], rng, cfg); err != nil {
			return err
		}
		testIDs = append(testIDs, id)
	}
	sort.Strings(testIDs)
	sorted := append([]string(nil), cfg.Classes...)
	sort.Strings(sorted)
	var sub strings.Builder
	sub.WriteString("id," + strings.Join(sorted, ",") + "\n")
	uniform := fmt.Sprintf("%g", 1/float64(len(sorted)))
	for _, id := range testIDs {
		sub.WriteString(id + strings.Repeat(","+uniform, len(sorted)) + "\n")
	}
	if err := atomicfile.WriteBytes(filepath.Join(cfg.Dir, "sample_submission.csv"), 0o644, []byte(sub.String())); err != nil {
		return err
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	var labels strings.Builder
	labels.WriteString("id,breed\n")
	for _, r := range rows {
		labels.WriteString(r.id + "," + r.breed + "\n")
	}
	return atomicfile.WriteBytes(filepath.Join(cfg.Dir, "labels.csv"), 0o644, []byte(labels.String()))
}

func newID(rng *rand.Rand) string { return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()) }

// writeImage draws one image of a breed and writes it as a JPEG.
func writeImage(path string, s style, rng *rand.Rand, cfg Config) error {
	w := cfg.MinSide + rng.IntN(cfg.MaxSide-cfg.MinSide+1)
	h := cfg.MinSide + rng.IntN(cfg.MaxSide-cfg.MinSide+1)
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	// Per image: a background drifting from the breed's, pattern phase,
	// angle wobble, brightness and the blobs' places.
	bg := [3]float64{}
	for c := range bg {
		bg[c] = 0.6*s.bg[c] + 0.4*rng.Float64()*255
	}
	angle := s.angle + rng.NormFloat64()*0.15
	freq := s.freq * (0.8 + 0.4*rng.Float64())
	phase := rng.Float64() * 2 * math.Pi
	gain := 0.75 + 0.5*rng.Float64()
	ca, sa := math.Cos(angle), math.Sin(angle)
	type blob struct{ x, y, r float64 }
	blobs := make([]blob, s.blobs)
	side := float64(min(w, h))
	for i := range blobs {
		blobs[i] = blob{rng.Float64() * float64(w), rng.Float64() * float64(h), side * s.blobSize * (0.7 + 0.6*rng.Float64())}
	}
	noise := 4 + 8*rng.Float64()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			stripe := 0.5 + 0.5*math.Sin((fx*ca+fy*sa)*freq*2*math.Pi/4+phase)
			inBlob := 0.0
			for _, b := range blobs {
				if d := math.Hypot(fx-b.x, fy-b.y); d < b.r {
					inBlob = 1 - d/b.r
				}
			}
			mix := 0.45*stripe + 0.55*inBlob
			i := m.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				v := gain*(bg[c]*(1-mix)+s.fg[c]*mix) + rng.NormFloat64()*noise
				m.Pix[i+c] = uint8(max(0, min(255, v)))
			}
			m.Pix[i+3] = 255
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, m, &jpeg.Options{Quality: 85}); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
