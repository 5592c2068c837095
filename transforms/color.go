package transforms

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// The colour adjustments of torchvision's functional API on PIL images, as
// Pillow 9.4 computes them: ImageEnhance blends an image with a "degenerate"
// one, out = (uint8)(degenerate + f·(img − degenerate)) in float32, truncated,
// and clipped when f > 1.

// blendPixel is Pillow's ImagingBlend for one value.
func blendPixel(deg, v uint8, alpha float32) uint8 {
	t := float32(alpha*float32(int(v)-int(deg))) + float32(deg)
	if alpha >= 0 && alpha <= 1 {
		return uint8(t)
	}
	return clampFloat8(t)
}

// luma is Pillow's RGB→L conversion (ITU-R 601-2, fixed point, rounded).
func luma(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// AdjustBrightness multiplies every value by factor (0 gives black), as
// torchvision's F.adjust_brightness on a PIL image.
func AdjustBrightness(img *Image, factor float64) *Image {
	out := NewImage(img.W, img.H)
	lut := brightnessLUT(factor)
	mapValues(out, img, &lut)
	return out
}

// brightnessLUT is AdjustBrightness as a table of the 256 values.
func brightnessLUT(factor float64) [256]uint8 {
	var lut [256]uint8
	for v := range lut {
		lut[v] = blendPixel(0, uint8(v), float32(factor))
	}
	return lut
}

// AdjustContrast blends with the image's mean grey (0 gives flat grey), as
// torchvision's F.adjust_contrast on a PIL image.
func AdjustContrast(img *Image, factor float64) *Image {
	out := NewImage(img.W, img.H)
	lut := contrastLUT(meanGrey(img, nil), factor)
	mapValues(out, img, &lut)
	return out
}

// meanGrey is the mean of the greyscale version of img with lut applied to
// its values (ImageStat's mean of convert("L"), rounded as Pillow does),
// without writing the mapped image. A nil lut maps nothing.
func meanGrey(img *Image, lut *[256]uint8) uint8 {
	// ImageStat's mean is Σ value·count over the pixel count: an exact
	// integer sum (as Python's) divided in float64, the same as summing the
	// values themselves.
	var sum uint64
	pix := img.Pix[:3*img.W*img.H]
	if lut == nil {
		sum, pix = lumaSumSIMD(pix)
		lut = &identity
	} else if simdOn.Load() {
		// The values mapped a chunk at a time into a buffer, then summed
		// there by the assembly: faster than the loop below by table.
		var mapped [3 * 8 * 128]uint8
		for len(pix) >= 3*8 {
			chunk := mapped[:min(len(pix), len(mapped))/(3*8)*(3*8)]
			mapBytes(chunk, pix[:len(chunk)], lut)
			s, _ := lumaSumSIMD(chunk)
			sum += s
			pix = pix[len(chunk):]
		}
	}
	for i := 0; i+2 < len(pix); i += 3 {
		sum += uint64(luma(lut[pix[i]], lut[pix[i+1]], lut[pix[i+2]]))
	}
	if n := img.W * img.H; n > 0 {
		return uint8(int(float64(sum)/float64(n) + 0.5))
	}
	return 0
}

// contrastLUT is AdjustContrast, for an image of the given mean grey, as a
// table of the 256 values.
func contrastLUT(mean uint8, factor float64) [256]uint8 {
	var lut [256]uint8
	for v := range lut {
		lut[v] = blendPixel(mean, uint8(v), float32(factor))
	}
	return lut
}

// identity is identityLUT's table, never changed.
var identity = identityLUT()

// identityLUT maps every value to itself.
func identityLUT() [256]uint8 {
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(v)
	}
	return lut
}

// isIdentity reports whether lut maps every value to itself.
func isIdentity(lut *[256]uint8) bool {
	for v, w := range lut {
		if int(w) != v {
			return false
		}
	}
	return true
}

// chainLUT makes lut the table of lut followed by next.
func chainLUT(lut, next *[256]uint8) {
	for v, w := range lut {
		lut[v] = next[w]
	}
}

// AdjustSaturation blends with the image's greyscale version (0 gives grey),
// as torchvision's F.adjust_saturation on a PIL image.
func AdjustSaturation(img *Image, factor float64) *Image {
	out := NewImage(img.W, img.H)
	id := identityLUT()
	saturation(out, img, &id, factor)
	return out
}

// saturation writes AdjustSaturation of src, its values mapped by lut first,
// into dst (which may be src).
func saturation(dst, src *Image, lut *[256]uint8, factor float64) {
	a := float32(factor)
	in, out, lut := saturationSIMD(dst.Pix[:len(src.Pix)], src.Pix, lut, a)
	if len(in) < 3 { // the assembly did every pixel
		return
	}
	// scaled[d+255] is blendPixel's product alpha·(v − deg) for v − deg = d.
	var scaled [511]float32
	for d := range scaled {
		scaled[d] = a * float32(d-255)
	}
	out = out[:len(in)]
	inRange := a >= 0 && a <= 1
	for i := 0; i+2 < len(in); i += 3 {
		p := in[i : i+3 : i+3]
		r, g, b := lut[p[0]], lut[p[1]], lut[p[2]]
		l := luma(r, g, b)
		fl := float32(l)
		q := out[i : i+3 : i+3]
		t0 := scaled[int(r)-int(l)+255] + fl
		t1 := scaled[int(g)-int(l)+255] + fl
		t2 := scaled[int(b)-int(l)+255] + fl
		if inRange {
			q[0], q[1], q[2] = uint8(t0), uint8(t1), uint8(t2)
		} else {
			q[0], q[1], q[2] = clampFloat8(t0), clampFloat8(t1), clampFloat8(t2)
		}
	}
}

// clampFloat8 is blendPixel's conversion of a sum outside the blend's
// range: clamped to [0, 255], then truncated.
func clampFloat8(t float32) uint8 {
	if t <= 0 {
		return 0
	}
	if t >= 255 {
		return 255
	}
	return uint8(t)
}

// AdjustHue rotates the hue by factor·255 steps of Pillow's 8-bit HSV
// (factor in [-0.5, 0.5]), as torchvision's F.adjust_hue on a PIL image.
func AdjustHue(img *Image, factor float64) (*Image, error) {
	out := NewImage(img.W, img.H)
	if err := hue(out, img, factor); err != nil {
		return nil, err
	}
	return out, nil
}

// hue writes AdjustHue(src) into dst (which may be src).
func hue(dst, src *Image, factor float64) error {
	if factor < -0.5 || factor > 0.5 {
		return fmt.Errorf("transforms: hue factor %g is not in [-0.5, 0.5]", factor)
	}
	// np.uint8(hue_factor * 255): truncation toward zero, then wrap-around.
	shift := uint8(int(factor * 255))
	for i := 0; i+2 < len(src.Pix); i += 3 {
		h, s, v := rgbToHSV(src.Pix[i], src.Pix[i+1], src.Pix[i+2])
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2] = hsvToRGB(h+shift, s, v)
	}
	return nil
}

// mapValues writes src's values mapped by lut into dst (which may be src).
func mapValues(dst, src *Image, lut *[256]uint8) { mapBytes(dst.Pix, src.Pix, lut) }

// mapBytes writes in's values mapped by lut into out (which may be in).
func mapBytes(out, in []uint8, lut *[256]uint8) {
	out = out[:len(in)]
	done := mapBytesSIMD(out, in, lut)
	out = out[done:]
	for i, v := range in[done:] {
		out[i] = lut[v]
	}
}

// rgbToHSV is Pillow's rgb2hsv_row, with its float32 intermediates.
func rgbToHSV(r, g, b uint8) (uint8, uint8, uint8) {
	maxc := max(r, g, b)
	minc := min(r, g, b)
	if maxc == minc {
		return 0, 0, maxc
	}
	cr := float32(maxc - minc)
	s := cr / float32(maxc)
	rc := float32(maxc-r) / cr
	gc := float32(maxc-g) / cr
	bc := float32(maxc-b) / cr
	var h float32
	switch {
	case r == maxc:
		h = bc - gc
	case g == maxc:
		h = float32(2.0 + float64(rc) - float64(bc))
	default:
		h = float32(4.0 + float64(gc) - float64(rc))
	}
	h = float32(math.Mod(float64(h)/6.0+1.0, 1.0))
	return clipInt(int(float64(h) * 255.0)), clipInt(int(float64(s) * 255.0)), maxc
}

// hsvToRGB is Pillow's hsv2rgb, with its float32 intermediates.
func hsvToRGB(h, s, v uint8) (uint8, uint8, uint8) {
	if s == 0 {
		return v, v, v
	}
	i := int(math.Floor(float64(float32(h)) * 6.0 / 255.0))
	f := float32(float64(float32(h))*6.0/255.0 - float64(float32(i)))
	fs := float32(float64(float32(s)) / 255.0)
	fv := float64(float32(v))
	p := clipInt(int(math.Round(fv * (1.0 - float64(fs)))))
	q := clipInt(int(math.Round(fv * (1.0 - float64(fs*f)))))
	t := clipInt(int(math.Round(fv * (1.0 - float64(fs)*(1.0-float64(f))))))
	switch i % 6 {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	default:
		return v, p, q
	}
}

func clipInt(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ColorJitter randomly changes brightness, contrast, saturation and hue, as
// torchvision's ColorJitter: each factor is drawn uniformly from
// [max(0, 1−x), 1+x] (hue from [−x, x]), and the four adjustments run in a
// random order. A zero parameter leaves that adjustment out.
type ColorJitter struct {
	Brightness, Contrast, Saturation, Hue float64
}

// JitterParams are the factors and order drawn for one image. A nil factor
// means that adjustment is off. Order lists 0 brightness, 1 contrast,
// 2 saturation, 3 hue.
type JitterParams struct {
	Order                                 [4]int
	Brightness, Contrast, Saturation, Hue *float64
}

// Params draws the order and the factors, as ColorJitter.get_params does.
func (c ColorJitter) Params(rng *rand.Rand) JitterParams {
	var p JitterParams
	perm := rng.Perm(4)
	copy(p.Order[:], perm)
	draw := func(x float64, centre bool) *float64 {
		if x == 0 {
			return nil
		}
		lo, hi := max(0, 1-x), 1+x
		if !centre {
			lo, hi = -x, x
		}
		v := uniform(rng, lo, hi)
		return &v
	}
	p.Brightness = draw(c.Brightness, true)
	p.Contrast = draw(c.Contrast, true)
	p.Saturation = draw(c.Saturation, true)
	p.Hue = draw(c.Hue, false)
	return p
}

// Jitter applies the adjustments of p to img in p's order, into a new image
// (img is not changed). Brightness and contrast map each value through a
// table, so a run of them becomes one table, applied in the pass of the
// saturation that follows or at the end: the same values as one pass per
// adjustment.
func Jitter(img *Image, p JitterParams) (*Image, error) {
	out, table, err := jitter(img, p)
	if err != nil {
		return nil, err
	}
	return applyTable(out, img, table), nil
}

// applyTable returns img with table applied (img itself where table is nil),
// into a new image where img is orig, the caller's, which must not change.
func applyTable(img, orig *Image, table *[256]uint8) *Image {
	if table == nil {
		return img
	}
	out := img
	if out == orig {
		out = NewImage(img.W, img.H)
	}
	mapValues(out, img, table)
	return out
}

// jitter is Jitter, except that a table left to apply at the end is
// returned instead (nil if none): the result is then table's map of the
// image returned, which may be img itself.
func jitter(img *Image, p JitterParams) (*Image, *[256]uint8, error) {
	var out *Image // made when a step writes pixels
	write := func() *Image {
		if out == nil {
			out = newImageUncleared(img.W, img.H) // every step that writes writes every pixel
		}
		return out
	}
	src := img // the pixels so far are lut's map of src
	lut := identityLUT()
	pending := false // lut is not the identity
	for _, fn := range p.Order {
		switch {
		case fn == 0 && p.Brightness != nil:
			next := brightnessLUT(*p.Brightness)
			chainLUT(&lut, &next)
			pending = true
		case fn == 1 && p.Contrast != nil:
			var mapped *[256]uint8 // the table src's values still go through, if any
			if pending {
				mapped = &lut
			}
			next := contrastLUT(meanGrey(src, mapped), *p.Contrast)
			chainLUT(&lut, &next)
			pending = true
		case fn == 2 && p.Saturation != nil:
			saturation(write(), src, &lut, *p.Saturation)
			src, lut, pending = out, identityLUT(), false
		case fn == 3 && p.Hue != nil:
			if pending {
				mapValues(write(), src, &lut)
				src, lut, pending = out, identityLUT(), false
			}
			if err := hue(write(), src, *p.Hue); err != nil {
				return nil, nil, err
			}
			src = out
		}
	}
	if pending {
		return src, &lut, nil
	}
	if src == img {
		out = write()
		copy(out.Pix, img.Pix)
		return out, nil, nil
	}
	return src, nil, nil
}

// Apply draws parameters and jitters the image.
func (c ColorJitter) Apply(d Data, rng *rand.Rand) (Data, error) {
	img, table, err := c.apply(d, rng)
	if err != nil {
		return Data{}, err
	}
	return Data{Image: applyTable(img, d.Image, table)}, nil
}

// apply is Apply with jitter's result: an image and the table still to apply
// to it (nil if none), for a ToTensor that follows to apply in its pass.
func (c ColorJitter) apply(d Data, rng *rand.Rand) (*Image, *[256]uint8, error) {
	img, err := needImage(d, "ColorJitter")
	if err != nil {
		return nil, nil, err
	}
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	return jitter(img, c.Params(rng))
}

// validate checks that the parameters are ≥ 0 and hue ≤ 0.5.
func (c ColorJitter) validate() error {
	if c.Brightness < 0 || c.Contrast < 0 || c.Saturation < 0 || c.Hue < 0 || c.Hue > 0.5 {
		return fmt.Errorf("transforms: ColorJitter(brightness=%g, contrast=%g, saturation=%g, hue=%g): parameters must be ≥ 0 and hue ≤ 0.5",
			c.Brightness, c.Contrast, c.Saturation, c.Hue)
	}
	return nil
}

// Kinds returns image → image.
func (ColorJitter) Kinds() (Kind, Kind) { return KindImage, KindImage }

// String describes the value as torchvision's repr does: each factor's
// range, None for an adjustment left out.
func (c ColorJitter) String() string {
	factor := func(v float64) string {
		if v == 0 {
			return "None"
		}
		return pyList(max(0, 1-v), 1+v)
	}
	hue := "None"
	if c.Hue != 0 {
		hue = pyList(-c.Hue, c.Hue)
	}
	return fmt.Sprintf("ColorJitter(brightness=%s, contrast=%s, saturation=%s, hue=%s)",
		factor(c.Brightness), factor(c.Contrast), factor(c.Saturation), hue)
}
