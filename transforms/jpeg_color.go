package transforms

import "image"

// JPEG colour as libjpeg-turbo produces it (and so PIL): chroma planes are
// upsampled with libjpeg's "fancy" triangle filter (jdsample.c) rather than
// replicated as Go's image/jpeg does, and YCbCr becomes RGB with libjpeg's
// fixed-point tables (jdcolor.c). Go's decoder still does the IDCT, so
// results can differ from libjpeg's by a level where the IDCTs round apart.

const (
	yccScaleBits = 16
	yccOneHalf   = 1 << (yccScaleBits - 1)
)

func fix(x float64) int32 { return int32(x*(1<<yccScaleBits) + 0.5) }

// The tables of jdcolor.c's build_ycc_rgb_table; crG+cbG is pre-shifted.
var crR, cbB, crG, cbG [256]int32

func init() {
	for i := 0; i < 256; i++ {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + yccOneHalf) >> yccScaleBits
		cbB[i] = (fix(1.77200)*x + yccOneHalf) >> yccScaleBits
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + yccOneHalf
	}
}

// rangeLimit clamps v+rangeLimitBias to [0, 255] without branches (as
// libjpeg's sample_range_limit table): valid for v in [-256, 511].
var rangeLimit [768 + 256]uint8

const rangeLimitBias = 256

func init() {
	for i := range rangeLimit {
		rangeLimit[i] = uint8(min(max(i-rangeLimitBias, 0), 255))
	}
}

// ycbcrToRGB converts the region r of m into out (r's size) the way
// libjpeg-turbo does; the chroma planes are upsampled only where r needs them.
func ycbcrToRGB(m *image.YCbCr, out *Image, r image.Rectangle) {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	hs, vs := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	// The chroma planes as libjpeg sees them: the component's downsampled size.
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	cx0, cy0 := b.Min.X/hs, b.Min.Y/vs
	up := chromaUpsampler{cw: cw, ch: ch, hs: hs, vs: vs, x0: r.Min.X, x1: r.Max.X,
		cbRows: func(y int) []uint8 { return m.Cb[(cy0+y)*m.CStride+cx0:][:cw] },
		crRows: func(y int) []uint8 { return m.Cr[(cy0+y)*m.CStride+cx0:][:cw] },
		cbLine: make([]uint8, w+4), crLine: make([]uint8, w+4), sums: make([]int32, cw)}
	ow := r.Dx()
	rl := &rangeLimit
	for y := r.Min.Y; y < r.Max.Y; y++ {
		cbl, crl := up.row(y)
		cbl, crl = cbl[r.Min.X:r.Max.X], crl[r.Min.X:r.Max.X]
		yrow := m.Y[(b.Min.Y+y)*m.YStride+b.Min.X+r.Min.X:][:ow]
		o := out.Pix[(y-r.Min.Y)*ow*3:][:ow*3]
		for x, yv := range yrow {
			yy := int32(yv) + rangeLimitBias
			cbv, crv := cbl[x], crl[x]
			q := o[x*3 : x*3+3 : x*3+3]
			q[0] = rl[(yy+crR[crv])&1023]
			q[1] = rl[(yy+(cbG[cbv]+crG[crv])>>yccScaleBits)&1023]
			q[2] = rl[(yy+cbB[cbv])&1023]
		}
	}
}

// chromaUpsampler produces the chroma of output columns [x0, x1) of a row
// with libjpeg-turbo's upsampler for the factors: fancy for 2×1, 2×2 and 1×2,
// replication (int_upsample) otherwise. Rows above the first and below the
// last repeat them, as libjpeg's context rows do; so do columns, which gives
// libjpeg's edge formulas.
type chromaUpsampler struct {
	cw, ch, hs, vs int
	x0, x1         int
	cbRows, crRows func(y int) []uint8
	cbLine, crLine []uint8
	sums           []int32
}

func (u *chromaUpsampler) row(y int) (cb, cr []uint8) {
	u.plane(u.cbRows, y, u.cbLine)
	u.plane(u.crRows, y, u.crLine)
	return u.cbLine, u.crLine
}

func (u *chromaUpsampler) plane(rows func(int) []uint8, y int, out []uint8) {
	clampRow := func(r int) int { return min(max(r, 0), u.ch-1) }
	cy := y / u.vs
	// The chroma samples output columns [x0, x1) come from.
	c0, c1 := u.x0/u.hs, (u.x1+u.hs-1)/u.hs
	switch {
	case u.hs == 1 && u.vs == 1:
		copy(out[c0:c1], rows(cy)[c0:c1])
	case u.hs == 2 && u.vs == 1:
		h2v1(rows(cy), out, c0, c1)
	case u.hs == 1 && u.vs == 2:
		// h1v2_fancy_upsample: ¾ nearer row + ¼ farther, bias 1 above, 2 below.
		near, far, bias := rows(cy), rows(clampRow(cy-1)), int32(1)
		if y%2 == 1 {
			far, bias = rows(clampRow(cy+1)), 2
		}
		for x := c0; x < c1; x++ {
			out[x] = uint8((int32(near[x])*3 + int32(far[x]) + bias) >> 2)
		}
	case u.hs == 2 && u.vs == 2:
		near, far := rows(cy), rows(clampRow(cy-1))
		if y%2 == 1 {
			far = rows(clampRow(cy + 1))
		}
		// Column sums (3·near + far) of the samples and their neighbours.
		n := len(near)
		for x := max(c0-1, 0); x < min(c1+1, n); x++ {
			u.sums[x] = int32(near[x])*3 + int32(far[x])
		}
		h2v2Row(u.sums[:n], out, c0, c1)
	default:
		src := rows(cy)
		for x := u.x0; x < u.x1; x++ {
			out[x] = src[x/u.hs]
		}
	}
}

// h2v1 is h2v1_fancy_upsample for input samples [c0, c1) of a row: each
// becomes two, ¾ of itself and ¼ of the nearer neighbour (biases 1 and 2).
func h2v1(in []uint8, out []uint8, c0, c1 int) {
	n := len(in)
	for x := c0; x < c1; x++ {
		l, r := max(x-1, 0), min(x+1, n-1)
		v := int32(in[x]) * 3
		out[2*x] = uint8((v + int32(in[l]) + 1) >> 2)
		out[2*x+1] = uint8((v + int32(in[r]) + 2) >> 2)
	}
}

// h2v2Row is the horizontal half of h2v2_fancy_upsample for column sums
// [c0, c1) (3·near + far): each becomes two samples, biases 8 and 7, over 16.
func h2v2Row(sums []int32, out []uint8, c0, c1 int) {
	n := len(sums)
	for x := c0; x < c1; x++ {
		l, r := max(x-1, 0), min(x+1, n-1)
		t := sums[x] * 3
		out[2*x] = uint8((t + sums[l] + 8) >> 4)
		out[2*x+1] = uint8((t + sums[r] + 7) >> 4)
	}
}
