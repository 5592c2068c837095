package transforms

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Lighting is AlexNet-style PCA colour noise, as MXNet's RandomLighting used
// by the MXNet version of the chapter: each image gets the RGB offset
// eigvec·(alpha ⊙ eigval) with alpha ~ N(0, AlphaStd²) per component, added
// to every pixel (0–255 scale), rounded and clamped. It runs on the image,
// before ToTensor, as in that pipeline.
type Lighting struct {
	AlphaStd float64
}

// ImageNet's RGB eigenvalues and eigenvectors (columns), from AlexNet.
var (
	lightingEigval = [3]float64{55.46, 4.794, 1.148}
	lightingEigvec = [3][3]float64{
		{-0.5675, 0.7192, 0.4009},
		{-0.5808, -0.0045, -0.8140},
		{-0.5836, -0.6948, 0.4203},
	}
)

// Offset draws the RGB offset for one image (three normal draws from rng).
func (l Lighting) Offset(rng *rand.Rand) [3]float64 {
	var alpha [3]float64
	for i := range alpha {
		alpha[i] = rng.NormFloat64() * l.AlphaStd
	}
	var rgb [3]float64
	for c := 0; c < 3; c++ {
		for j := 0; j < 3; j++ {
			rgb[c] += lightingEigvec[c][j] * alpha[j] * lightingEigval[j]
		}
	}
	return rgb
}

// Apply adds the drawn offset to every pixel.
func (l Lighting) Apply(d Data, rng *rand.Rand) (Data, error) {
	img, err := needImage(d, "Lighting")
	if err != nil {
		return Data{}, err
	}
	if l.AlphaStd == 0 {
		return d, nil
	}
	rgb := l.Offset(rng)
	var lut [3][256]uint8
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			lut[c][v] = uint8(math.Max(0, math.Min(255, math.RoundToEven(float64(v)+rgb[c]))))
		}
	}
	out := &Image{W: img.W, H: img.H, Pix: make([]uint8, len(img.Pix))}
	for i := 0; i < len(img.Pix); i += 3 {
		out.Pix[i] = lut[0][img.Pix[i]]
		out.Pix[i+1] = lut[1][img.Pix[i+1]]
		out.Pix[i+2] = lut[2][img.Pix[i+2]]
	}
	return Data{Image: out}, nil
}

// Kinds returns image → image.
func (Lighting) Kinds() (Kind, Kind) { return KindImage, KindImage }

// String describes the value (torchvision has no Lighting; MXNet's has this name).
func (l Lighting) String() string { return fmt.Sprintf("Lighting(alphastd=%g)", l.AlphaStd) }
