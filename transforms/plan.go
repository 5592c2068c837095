package transforms

import (
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
)

// Augmentation left to another processor (a GPU): an AugmentPlanner draws,
// for one image, what the chapter's training pipeline (RandomResizedCrop,
// RandomHorizontalFlip, ColorJitter) would do to it, with the same random
// draws in the same order, and hands over the crop's pixels with the
// integer arithmetic that finishes the job to the bit (finetune carries it
// out on the model's device). The resampling is Pillow's fixed-point filter
// as two passes of integer taps; the colour adjustments are Pillow's blends.

// Taps are one resampling pass in Pillow's fixed point: output i is
// min(255, (2^21 + Σ_k pixel[Start[i]+k]·Weights[i·K+k]) >> 22), over the
// K source pixels from Start[i] (weights past the filter's window are zero,
// and Start[i]+k stays inside the source: the window of an output near the
// far edge starts earlier, with zero weights in front). Every sum is below
// 2^31.
type Taps struct {
	K       int
	Start   []int32
	Weights []int32
}

// TapsShift is the fixed-point shift of Taps (Pillow's precision bits).
const TapsShift = precisionBits

// JitterOp is the colour adjustment of one JitterStep.
type JitterOp uint8

// The adjustments. Each blends the image with a degenerate one, as
// Pillow's ImageEnhance: black (brightness), the image's mean grey, a
// constant (contrast), or each pixel's grey (saturation).
const (
	JitterNone JitterOp = iota
	JitterBrightness
	JitterContrast
	JitterSaturation
)

// JitterStep is one colour adjustment: every value v becomes
// trunc(clamp(float32(Factor·float32(v−d)) + d, 0, 255)) in float32, where
// d is the degenerate value JitterOp names. The mean grey of contrast is
// int(Σ grey / pixels + 0.5) in float64 over the image as it is at that
// step, the grey of a pixel (R·19595 + G·38470 + B·7471 + 2^15) >> 16.
// JitterNone leaves the image as it is.
type JitterStep struct {
	Op     JitterOp
	Factor float32
}

// AugmentPlan is what remains to do to one image: resample its crop (an
// H×W region of the source image) to OutH×OutW with Horizontal (W → OutW,
// already mirrored when the flip was drawn) then Vertical (H → OutH), then
// the Jitter steps in order.
//
// The crop is Crop, its own pixels (Plan, DecodePlan), or, when Crop is nil,
// the Region of Source (PlanRegion): the whole decoded image, shared and
// not to be modified, so that planning copies no pixels.
type AugmentPlan struct {
	Crop                 *Image
	Source               *Image
	Region               image.Rectangle // the crop's place in Source (with Source)
	OutH, OutW           int
	Horizontal, Vertical Taps
	Jitter               [3]JitterStep
}

// CropSize returns the crop's width and height.
func (p *AugmentPlan) CropSize() (w, h int) {
	if p.Crop != nil {
		return p.Crop.W, p.Crop.H
	}
	return p.Region.Dx(), p.Region.Dy()
}

// AppendCrop appends the crop's pixels (H rows of W pixels, 3 bytes each)
// to dst and returns the extended slice: Crop's, or the rows of Source's
// Region.
func (p *AugmentPlan) AppendCrop(dst []uint8) []uint8 {
	if p.Crop != nil {
		return append(dst, p.Crop.Pix...)
	}
	r, src := p.Region, p.Source
	for y := r.Min.Y; y < r.Max.Y; y++ {
		dst = append(dst, src.Pix[(y*src.W+r.Min.X)*3:(y*src.W+r.Max.X)*3]...)
	}
	return dst
}

// AugmentPlanner plans the image steps of a training pipeline of the form
// RandomResizedCrop [, RandomHorizontalFlip] [, ColorJitter without hue],
// ToTensor [, Normalize]: the chapter's.
type AugmentPlanner struct {
	crop   RandomResizedCrop
	flip   *RandomHorizontalFlip
	jitter *ColorJitter
	norm   *Normalize
}

// NewAugmentPlanner returns the planner of c, or an error saying which step
// it cannot leave to another processor.
func NewAugmentPlanner(c *Compose) (*AugmentPlanner, error) {
	head, norm, ok := c.SplitTensorTail()
	if !ok {
		return nil, fmt.Errorf("transforms: planning augmentation needs a pipeline ending with ToTensor[, Normalize with no zero std], not %s", c)
	}
	steps := head.Steps()
	p := &AugmentPlanner{norm: norm}
	if len(steps) == 0 {
		return nil, errors.New("transforms: planning augmentation needs a pipeline starting with RandomResizedCrop")
	}
	rrc, isCrop := steps[0].(RandomResizedCrop)
	if !isCrop {
		return nil, fmt.Errorf("transforms: planning augmentation needs a pipeline starting with RandomResizedCrop, not %s", steps[0])
	}
	if err := rrc.validate(); err != nil {
		return nil, err
	}
	p.crop = rrc
	rest := steps[1:]
	if len(rest) > 0 {
		if f, ok := rest[0].(RandomHorizontalFlip); ok {
			p.flip, rest = &f, rest[1:]
		}
	}
	if len(rest) > 0 {
		if j, ok := rest[0].(ColorJitter); ok {
			if err := j.validate(); err != nil {
				return nil, err
			}
			if j.Hue != 0 {
				return nil, fmt.Errorf("transforms: planning augmentation takes a ColorJitter without hue, not %s", j)
			}
			p.jitter, rest = &j, rest[1:]
		}
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("transforms: planning augmentation cannot leave %s to another processor (it plans RandomResizedCrop, RandomHorizontalFlip, ColorJitter without hue)", rest[0])
	}
	return p, nil
}

// Normalize returns the pipeline's Normalize (nil for none), which the
// consumer applies after ToTensor's division by 255.
func (p *AugmentPlanner) Normalize() *Normalize { return p.norm }

// Plan draws the augmentation of img, as the pipeline's Apply would, and
// returns what remains to do. img is not changed.
func (p *AugmentPlanner) Plan(img *Image, rng *rand.Rand) (AugmentPlan, error) {
	plan, err := p.PlanRegion(img, rng)
	if err != nil {
		return AugmentPlan{}, err
	}
	r := plan.Region
	plan.Crop, plan.Source, plan.Region = img.Crop(r.Min.Y, r.Min.X, r.Dy(), r.Dx()), nil, image.Rectangle{}
	return plan, nil
}

// PlanRegion is Plan without the copy: the same draws and the same plan,
// but the crop stays a Region of img (AugmentPlan.Source; RandomResizedCrop
// keeps its crops inside the image), which must not be modified while the
// plan is in use.
func (p *AugmentPlanner) PlanRegion(img *Image, rng *rand.Rand) (AugmentPlan, error) {
	top, left, h, w, err := p.crop.cropOf(img, rng)
	if err != nil {
		return AugmentPlan{}, err
	}
	region := image.Rect(left, top, left+w, top+h)
	plan := p.finishSize(w, h, rng)
	plan.Source, plan.Region = img, region
	return plan, nil
}

// DecodePlan decodes an image file and plans its augmentation, with the
// same draws and the same plan as Plan on the decoded image; only the crop's
// part of a JPEG is decoded (see DecodeCropped). Decoding errors are
// returned as *DecodeError.
func (p *AugmentPlanner) DecodePlan(data []byte, opts DecodeOptions, rng *rand.Rand) (AugmentPlan, error) {
	crop, err := p.crop.decodeCrop(data, opts, rng)
	if err != nil {
		return AugmentPlan{}, err
	}
	return p.finish(crop, rng), nil
}

// finish draws the flip and the jitter (after the crop, as the pipeline
// does) and computes the taps of crop's resampling.
func (p *AugmentPlanner) finish(crop *Image, rng *rand.Rand) AugmentPlan {
	out := p.finishSize(crop.W, crop.H, rng)
	out.Crop = crop
	return out
}

// finishSize is finish for a crop of w×h pixels, which it leaves unset.
func (p *AugmentPlanner) finishSize(w, h int, rng *rand.Rand) AugmentPlan {
	mirror := p.flip != nil && rng.Float64() < p.flip.P
	out := AugmentPlan{OutH: p.crop.Size.H, OutW: p.crop.Size.W}
	out.Horizontal = planTaps(w, out.OutW, mirror)
	out.Vertical = planTaps(h, out.OutH, false)
	if p.jitter != nil {
		out.Jitter = jitterSteps(p.jitter.Params(rng))
	}
	return out
}

// planTaps returns the taps that resample inSize pixels to outSize, as
// resizeRegion does (an equal size gives the identity: one weight of 2^22),
// in mirrored output order when mirror is set. Both sizes are positive.
func planTaps(inSize, outSize int, mirror bool) Taps {
	c := precompute(inSize, 0, float64(inSize), outSize)
	k := c.fixedWindows(inSize) // ≥ 1: no window is wider than the source
	t := Taps{K: k, Start: make([]int32, outSize), Weights: make([]int32, outSize*k)}
	for i := range outSize {
		src := i
		if mirror {
			src = outSize - 1 - i
		}
		t.Start[i] = int32(c.start[src])
		copy(t.Weights[i*k:(i+1)*k], c.weights[src*k:(src+1)*k])
	}
	return t
}

// jitterSteps turns drawn ColorJitter parameters (no hue) into the steps
// that do them, in their order.
func jitterSteps(jp JitterParams) [3]JitterStep {
	var steps [3]JitterStep
	n := 0
	for _, fn := range jp.Order {
		var f *float64
		op := JitterNone
		switch fn {
		case 0:
			f, op = jp.Brightness, JitterBrightness
		case 1:
			f, op = jp.Contrast, JitterContrast
		case 2:
			f, op = jp.Saturation, JitterSaturation
		}
		if f != nil && n < len(steps) {
			steps[n] = JitterStep{Op: op, Factor: float32(*f)}
			n++
		}
	}
	return steps
}

// OutSize returns the size of the images the plans make.
func (p *AugmentPlanner) OutSize() Size { return p.crop.Size }
