package transforms

import (
	"fmt"
	"math/rand/v2"
)

// Tensor is a float32 image in CHW layout: Data holds C planes of H rows of
// W values.
type Tensor struct {
	C, H, W int
	Data    []float32
}

// ToTensor converts an 8-bit HWC image to a CHW float32 tensor in [0, 1]
// (value/255), as torchvision's ToTensor.
type ToTensor struct{}

// Apply converts the image.
func (ToTensor) Apply(d Data, _ *rand.Rand) (Data, error) {
	img, err := needImage(d, "ToTensor")
	if err != nil {
		return Data{}, err
	}
	return Data{Tensor: toTensor(img, nil, nil, nil)}, nil
}

// toTensor converts img, normalising each channel c as (v/255 - mean[c]) /
// std[c] in float32 when norm is given (ToTensor and Normalize in one pass,
// with the same float32 operations in the same order). When pre is given,
// each value v of img stands for pre[v] (a colour table not yet applied).
func toTensor(img *Image, pre *[256]uint8, norm *Normalize, dest TensorDest) *Tensor {
	n := img.W * img.H
	var data []float32
	if dest != nil {
		data = dest(3, img.H, img.W)
	}
	if len(data) != 3*n {
		data = getFloats(3 * n)
	}
	t := &Tensor{C: 3, H: img.H, W: img.W, Data: data} // every value is written below
	r, g, b := t.Data[:n], t.Data[n:2*n], t.Data[2*n:]
	pix := img.Pix[:3*n]
	if pre == nil {
		pre = &identity
	}
	done := toTensorSIMD(r, g, b, pix, pre, norm)
	g, b = g[:len(r)], b[:len(r)] // one bounds check a pixel, not five
	// Fewer pixels left than a table has values: computed one by one.
	if n-done < 256 {
		for i := done; i < n; i++ {
			p := pix[3*i : 3*i+3 : 3*i+3]
			r[i] = tensorValue(pre[p[0]], 0, norm)
			g[i] = tensorValue(pre[p[1]], 1, norm)
			b[i] = tensorValue(pre[p[2]], 2, norm)
		}
		return t
	}
	// A lookup table per channel: the 256 values.
	var lut [3][256]float32
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			lut[c][v] = tensorValue(pre[v], c, norm)
		}
	}
	for i := done; i < n; i++ {
		p := pix[3*i : 3*i+3 : 3*i+3]
		r[i] = lut[0][p[0]]
		g[i] = lut[1][p[1]]
		b[i] = lut[2][p[2]]
	}
	return t
}

// tensorValue is toTensor's value for v in channel c: v/255, normalised
// by norm where given, each step in float32.
func tensorValue(v uint8, c int, norm *Normalize) float32 {
	x := float32(v) / 255
	if norm != nil {
		x = (x - float32(norm.Mean[c])) / float32(norm.Std[c])
	}
	return x
}

// Kinds returns image → tensor.
func (ToTensor) Kinds() (Kind, Kind) { return KindImage, KindTensor }

// String describes the value, as torchvision's repr does.
func (ToTensor) String() string { return "ToTensor()" }

// Normalize subtracts Mean and divides by Std, per channel, in float32, as
// torchvision's Normalize.
type Normalize struct {
	Mean, Std [3]float64
}

// ImageNetNormalize is Normalize with the ImageNet statistics the pretrained
// models expect.
var ImageNetNormalize = Normalize{Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}}

// Apply normalises the tensor in place and returns it.
func (nm Normalize) Apply(d Data, _ *rand.Rand) (Data, error) {
	t, err := needTensor(d, "Normalize")
	if err != nil {
		return Data{}, err
	}
	if t.C != 3 {
		return Data{}, fmt.Errorf("transforms: Normalize has 3 channels of statistics, the tensor %d", t.C)
	}
	if err := nm.validate(); err != nil {
		return Data{}, err
	}
	plane := t.H * t.W
	for c := 0; c < 3; c++ {
		m, s := float32(nm.Mean[c]), float32(nm.Std[c])
		p := t.Data[c*plane : (c+1)*plane]
		for i, x := range p {
			p[i] = (x - m) / s
		}
	}
	return d, nil
}

func (nm Normalize) validate() error {
	for _, s := range nm.Std {
		if s == 0 {
			return fmt.Errorf("transforms: %s: std must not be zero", nm)
		}
	}
	return nil
}

// Kinds returns tensor → tensor.
func (Normalize) Kinds() (Kind, Kind) { return KindTensor, KindTensor }

// String describes the value, as torchvision's repr does.
func (nm Normalize) String() string {
	return fmt.Sprintf("Normalize(mean=%s, std=%s)", pyList(nm.Mean[:]...), pyList(nm.Std[:]...))
}
