package transforms

import (
	"fmt"
	"image"
	"math/rand/v2"
	"strings"
)

// Kind is the type of data flowing between transforms.
type Kind int

// The kinds of data.
const (
	KindImage  Kind = iota // an 8-bit RGB *Image (before ToTensor)
	KindTensor             // a float32 CHW *Tensor (after ToTensor)
)

// String returns "image" or "tensor".
func (k Kind) String() string {
	if k == KindTensor {
		return "tensor"
	}
	return "image"
}

// Data is what a transform takes and returns: an image before ToTensor, a
// tensor after. Exactly one of the fields is set.
type Data struct {
	Image  *Image
	Tensor *Tensor
}

// Kind says which field of d is set.
func (d Data) Kind() Kind {
	if d.Tensor != nil {
		return KindTensor
	}
	return KindImage
}

// Transform is one step of a pipeline, as a torchvision transform.
type Transform interface {
	// Apply transforms d, drawing any randomness from rng.
	Apply(d Data, rng *rand.Rand) (Data, error)
	// Kinds returns the kind of data the transform takes and returns.
	Kinds() (in, out Kind)
	// String describes the transform and its parameters, as torchvision's repr.
	String() string
}

// Compose applies transforms one after another, in the caller's order, as
// torchvision.transforms.Compose.
type Compose struct {
	steps []Transform
}

// NewCompose chains the transforms in the given order. It checks that each
// step takes what the previous one gives: an image transform after ToTensor
// (or a tensor transform before it) is an error naming both.
func NewCompose(ts ...Transform) (*Compose, error) {
	kind := KindImage
	for i, t := range ts {
		in, out := t.Kinds()
		if in != kind {
			prev := "the input image"
			if i > 0 {
				prev = ts[i-1].String()
			}
			return nil, fmt.Errorf("transforms: step %d, %s, takes a %s but %s gives a %s", i, t, in, prev, kind)
		}
		kind = out
	}
	return &Compose{steps: ts}, nil
}

// MustCompose is NewCompose for pipelines written in code; it panics on error.
func MustCompose(ts ...Transform) *Compose {
	c, err := NewCompose(ts...)
	if err != nil {
		panic(err)
	}
	return c
}

// Apply runs every step in order. Adjacent steps that can share a pass over
// the pixels are fused, with the same random draws in the same order and
// the same results: RandomResizedCrop then RandomHorizontalFlip resample
// once, writing mirrored when the flip is drawn; Resize then CenterCrop
// compute only the pixels the crop keeps; ToTensor then Normalize convert
// and normalise in one pass, and a ColorJitter before them leaves its last
// brightness or contrast table to that pass.
func (c *Compose) Apply(d Data, rng *rand.Rand) (Data, error) {
	return c.applyFrom(0, d, rng, false, nil)
}

// applyFrom runs the steps from the start-th on. With owned, d's image is
// this run's own (DecodeApply's crop, nobody else's): the fused steps, which
// make fresh images and tensors, give such an image's memory back for reuse
// once they have read it, and own the images they make. A step run on its
// own may return a view of its input, or an image someone else keeps: what
// it returns is not owned. A fused ToTensor writes into dest's storage
// when dest gives one.
func (c *Compose) applyFrom(start int, d Data, rng *rand.Rand, owned bool, dest TensorDest) (Data, error) {
	// done replaces d by the fused steps' result, out.
	done := func(out Data) {
		if owned && d.Image != nil {
			putBuffer(d.Image.Pix)
		}
		d, owned = out, out.Image != nil
	}
	for i := start; i < len(c.steps); i++ {
		var next Transform
		if i+1 < len(c.steps) {
			next = c.steps[i+1]
		}
		switch t := c.steps[i].(type) {
		case RandomResizedCrop:
			if flip, ok := next.(RandomHorizontalFlip); ok {
				out, err := t.apply(d, rng, &flip)
				if err != nil {
					return Data{}, err
				}
				done(out)
				i++
				continue
			}
		case Resize:
			if crop, ok := next.(CenterCrop); ok && d.Image != nil {
				img := d.Image
				if oh, ow, box, ok := t.centerCropBox(img.H, img.W, crop); ok {
					done(Data{Image: resizeBox(img, 0, 0, img.H, img.W, ow, oh, box, false)})
					i++
					continue
				}
			}
		case ColorJitter:
			if _, ok := next.(ToTensor); ok && d.Image != nil {
				img, table, err := t.apply(d, rng)
				if err != nil {
					return Data{}, err
				}
				norm, covered := c.normalizeAt(i + 2)
				x := toTensor(img, table, norm, dest)
				if img != d.Image { // jitter's own
					putBuffer(img.Pix)
				}
				done(Data{Tensor: x})
				i += 1 + covered
				continue
			}
		case ToTensor:
			if norm, covered := c.normalizeAt(i + 1); norm != nil && d.Image != nil {
				done(Data{Tensor: toTensor(d.Image, nil, norm, dest)})
				i += covered
				continue
			}
		}
		out, err := c.steps[i].Apply(d, rng)
		if err != nil {
			return Data{}, err
		}
		if out.Image != d.Image {
			owned = false
		}
		d = out
	}
	return d, nil
}

// normalizeAt returns the Normalize at step i, if there is a valid one, for
// the ToTensor before it to apply in its pass, and the number of steps that
// covers (1 with a Normalize, else 0).
func (c *Compose) normalizeAt(i int) (*Normalize, int) {
	if i < len(c.steps) {
		if norm, ok := c.steps[i].(Normalize); ok && norm.validate() == nil {
			return &norm, 1
		}
	}
	return nil, 0
}

// EndsWithNewTensor reports whether the pipeline ends with ToTensor, or
// ToTensor then Normalize (which normalises in place): every tensor it
// returns is then new storage that only the caller holds, which it may give
// back with Tensor.Release once done.
func (c *Compose) EndsWithNewTensor() bool {
	_, _, ok := c.SplitTensorTail()
	return ok
}

// SplitTensorTail splits a pipeline that ends with ToTensor, or ToTensor then
// a valid Normalize (no zero std), into the image steps before them and that
// Normalize (nil for none), so that a consumer can convert the images itself,
// e.g. on a GPU (dataset.LoaderConfig.PixelBatches). The head gives the same
// images, with the same random draws, as the whole pipeline before its
// conversion. ok is false for any other pipeline.
func (c *Compose) SplitTensorTail() (head *Compose, norm *Normalize, ok bool) {
	n := len(c.steps)
	if n > 1 {
		if nz, isNorm := c.steps[n-1].(Normalize); isNorm {
			if _, toT := c.steps[n-2].(ToTensor); toT && nz.validate() == nil {
				return &Compose{steps: c.steps[: n-2 : n-2]}, &nz, true
			}
		}
	}
	if n > 0 {
		if _, toT := c.steps[n-1].(ToTensor); toT {
			return &Compose{steps: c.steps[: n-1 : n-1]}, nil, true
		}
	}
	return nil, nil, false
}

// Kinds returns what the first step takes and the last step gives.
func (c *Compose) Kinds() (in, out Kind) {
	if len(c.steps) == 0 {
		return KindImage, KindImage
	}
	in, _ = c.steps[0].Kinds()
	_, out = c.steps[len(c.steps)-1].Kinds()
	return in, out
}

// Steps returns the transforms in order.
func (c *Compose) Steps() []Transform { return c.steps }

// String describes the value, as torchvision's repr does.
func (c *Compose) String() string {
	var b strings.Builder
	b.WriteString("Compose(")
	for _, t := range c.steps {
		b.WriteString("\n    " + t.String())
	}
	b.WriteString("\n)")
	return b.String()
}

// ImageToTensor runs an image through c and returns the resulting tensor; it
// is an error if c does not end with a tensor.
func (c *Compose) ImageToTensor(img *Image, rng *rand.Rand) (*Tensor, error) {
	d, err := c.Apply(Data{Image: img}, rng)
	if err != nil {
		return nil, err
	}
	if d.Tensor == nil {
		return nil, fmt.Errorf("transforms: the pipeline ends with an image: add ToTensor")
	}
	return d.Tensor, nil
}

// needImage returns d's image or an error naming the transform.
func needImage(d Data, name string) (*Image, error) {
	if d.Image == nil {
		return nil, fmt.Errorf("transforms: %s needs an image; put it before ToTensor", name)
	}
	return d.Image, nil
}

// needTensor returns d's tensor or an error naming the transform.
func needTensor(d Data, name string) (*Tensor, error) {
	if d.Tensor == nil {
		return nil, fmt.Errorf("transforms: %s needs a tensor; put it after ToTensor", name)
	}
	return d.Tensor, nil
}

// DecodeError is an image file that could not be read or decoded, as
// opposed to a pipeline that failed on a decoded image.
type DecodeError struct{ Err error }

// Error returns the decoder's message.
func (e *DecodeError) Error() string { return e.Err.Error() }

// Unwrap returns the decoder's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeApply decodes an image file and runs it through c, with the same
// random draws and the same result as Apply on Decode's image. When c starts
// with RandomResizedCrop, the crop is drawn from the size in the file's
// header and only that region is decoded (see DecodeCropped), which saves
// most of the decoding of a JPEG outside the crop. Decoding errors are
// returned as *DecodeError.
func (c *Compose) DecodeApply(data []byte, opts DecodeOptions, rng *rand.Rand) (Data, error) {
	return c.DecodeApplyTo(data, opts, rng, nil)
}

// TensorDest gives the storage for a pipeline's C×H×W output tensor: a
// slice of c·h·w float32s, or nil for storage of the pipeline's own.
type TensorDest func(c, h, w int) []float32

// DecodeApplyTo is DecodeApply with the output tensor written into the
// storage dest gives, when the pipeline makes it in one pass (ToTensor with
// its Normalize, after a ColorJitter or not): a loader can have each
// sample written straight into its slot of the batch instead of copying it
// there (600 KB a 224×224 image). Check the tensor's Data to know whether
// it is dest's.
func (c *Compose) DecodeApplyTo(data []byte, opts DecodeOptions, rng *rand.Rand, dest TensorDest) (Data, error) {
	rrc, ok := RandomResizedCrop{}, false
	if len(c.steps) > 0 {
		rrc, ok = c.steps[0].(RandomResizedCrop)
	}
	if len(c.steps) > 1 {
		resize, isResize := c.steps[0].(Resize)
		crop, isCrop := c.steps[1].(CenterCrop)
		if isResize && isCrop {
			return c.decodeResizeCrop(data, opts, resize, crop, rng, dest)
		}
	}
	if !ok || rrc.validate() != nil {
		img, err := Decode(data, opts)
		if err != nil {
			return Data{}, &DecodeError{err}
		}
		return c.applyFrom(0, Data{Image: img}, rng, false, dest)
	}
	img, err := rrc.decodeCrop(data, opts, rng) // exactly the crop: img.H×img.W
	if err != nil {
		return Data{}, err
	}
	next := 1
	mirror := false
	if len(c.steps) > 1 {
		if flip, ok := c.steps[1].(RandomHorizontalFlip); ok {
			mirror, next = rng.Float64() < flip.P, 2
		}
	}
	d := Data{Image: ResizedCrop(img, 0, 0, img.H, img.W, rrc.Size.H, rrc.Size.W, mirror)}
	putBuffer(img.Pix) // the crop is ours and no longer needed
	return c.applyFrom(next, d, rng, true, dest)
}

// decodeResizeCrop is DecodeApply for a pipeline that starts with Resize
// then CenterCrop: only the source pixels the kept box reads are decoded.
func (c *Compose) decodeResizeCrop(data []byte, opts DecodeOptions, resize Resize, crop CenterCrop, rng *rand.Rand, dest TensorDest) (Data, error) {
	var W, H, oh, ow int
	var box, region image.Rectangle // region: the source pixels the box reads
	fused := false
	img, err := DecodeCropped(data, opts, func(w, h int) image.Rectangle {
		W, H = w, h
		oh, ow, box, fused = resize.centerCropBox(h, w, crop)
		if !fused {
			return image.Rect(0, 0, w, h)
		}
		x0, x1 := sourceSpan(w, ow, box.Min.X, box.Max.X)
		y0, y1 := sourceSpan(h, oh, box.Min.Y, box.Max.Y)
		region = image.Rect(x0, y0, x1, y1)
		return region
	})
	if err != nil {
		return Data{}, &DecodeError{err}
	}
	if !fused {
		return c.applyFrom(0, Data{Image: img}, rng, false, dest)
	}
	// img holds the region of the W×H image.
	d := Data{Image: resizeBox(img, -region.Min.Y, -region.Min.X, H, W, ow, oh, box, false)}
	putBuffer(img.Pix)
	return c.applyFrom(2, d, rng, true, dest)
}
