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
		cbLine: make([]uint8, w+4), crLine: make([]uint8, w+4)}
	ow := r.Dx()
	if hs == 2 && vs == 2 {
		sumsCb, sumsCr := make([]int32, cw), make([]int32, cw)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			up.h2v2Sums(up.cbRows, y, sumsCb)
			up.h2v2Sums(up.crRows, y, sumsCr)
			yrow := m.Y[(b.Min.Y+y)*m.YStride+b.Min.X:][:w]
			convert420Row(yrow, sumsCb, sumsCr, out.Pix[(y-r.Min.Y)*ow*3:][:ow*3], r.Min.X, r.Max.X)
		}
		return
	}
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
// with libjpeg-turbo's upsampler for the factors: fancy for 2×1 and 1×2
// (2×2 is fused with the colour conversion: h2v2Sums, convert420Row),
// replication (int_upsample) otherwise. Rows above the first and below the
// last repeat them, as libjpeg's context rows do; so do columns, which gives
// libjpeg's edge formulas.
type chromaUpsampler struct {
	cw, ch, hs, vs int
	x0, x1         int
	cbRows, crRows func(y int) []uint8
	cbLine, crLine []uint8
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
	default:
		src := rows(cy)
		for x := u.x0; x < u.x1; x++ {
			out[x] = src[x/u.hs]
		}
	}
}

// h2v2Sums computes the column sums (3·near + far) of h2v2_fancy_upsample
// for output row y, for the chroma samples the columns [x0, x1) need.
func (u *chromaUpsampler) h2v2Sums(rows func(int) []uint8, y int, sums []int32) {
	cy := y / 2
	near, far := rows(cy), rows(max(cy-1, 0))
	if y%2 == 1 {
		far = rows(min(cy+1, u.ch-1))
	}
	n := len(near)
	far = far[:n]
	sums = sums[:n]
	x1 := min((u.x1+1)/2+1, n)
	for x := chromaSumsSIMD(near, far, sums, max(u.x0/2-1, 0), x1); x < x1; x++ {
		sums[x] = int32(near[x])*3 + int32(far[x])
	}
}

// convert420Row writes output columns [x0, x1) of a row of a 4:2:0 image:
// the horizontal half of h2v2_fancy_upsample (biases 8 and 7, over 16) on
// the column sums of Cb and Cr, fused with the colour conversion.
func convert420Row(yrow []uint8, sumsCb, sumsCr []int32, out []uint8, x0, x1 int) {
	n := len(sumsCb)
	sumsCr = sumsCr[:n]
	o := x0
	if o&1 == 1 { // a region starting at an odd column: its first pixel is the right half of a pair
		cx := o / 2
		r := min(cx+1, n-1)
		putYCC(out[:3], yrow[o], (sumsCb[cx]*3+sumsCb[r]+7)>>4, (sumsCr[cx]*3+sumsCr[r]+7)>>4)
		o++
	}
	if o == 0 && o+1 < x1 { // the first pair: its left neighbour is itself
		convertPair(yrow, sumsCb, sumsCr, (*[6]uint8)(out), 0)
		o = 2
	}
	o = convert420SIMD(yrow, sumsCb, sumsCr, out, o, x0, x1)
	for ; o+1 < x1; o += 2 {
		convertPair(yrow, sumsCb, sumsCr, (*[6]uint8)(out[(o-x0)*3:]), o)
	}
	if o < x1 { // the last pixel is the left half of a pair
		cx := o / 2
		l := max(cx-1, 0)
		putYCC(out[(o-x0)*3:], yrow[o], (sumsCb[cx]*3+sumsCb[l]+8)>>4, (sumsCr[cx]*3+sumsCr[l]+8)>>4)
	}
}

// convertPair writes output pixels o and o+1 (o even) of convert420Row into q.
func convertPair(yrow []uint8, sumsCb, sumsCr []int32, q *[6]uint8, o int) {
	n := len(sumsCb)
	sumsCr = sumsCr[:n]
	cx := o / 2
	l, r := max(cx-1, 0), min(cx+1, n-1)
	tb, tr := sumsCb[cx]*3, sumsCr[cx]*3
	cb, cr := (tb+sumsCb[l]+8)>>4&255, (tr+sumsCr[l]+8)>>4&255
	yy := int32(yrow[o]) + rangeLimitBias
	q[0] = rangeLimit[(yy+crR[cr])&1023]
	q[1] = rangeLimit[(yy+(cbG[cb]+crG[cr])>>yccScaleBits)&1023]
	q[2] = rangeLimit[(yy+cbB[cb])&1023]
	cb, cr = (tb+sumsCb[r]+7)>>4&255, (tr+sumsCr[r]+7)>>4&255
	yy = int32(yrow[o+1]) + rangeLimitBias
	q[3] = rangeLimit[(yy+crR[cr])&1023]
	q[4] = rangeLimit[(yy+(cbG[cb]+crG[cr])>>yccScaleBits)&1023]
	q[5] = rangeLimit[(yy+cbB[cb])&1023]
}

// putYCC converts one pixel into q[0:3] with libjpeg's tables.
func putYCC(q []uint8, y uint8, cb, cr int32) {
	cb, cr = cb&255, cr&255
	yy := int32(y) + rangeLimitBias
	q = q[:3]
	q[0] = rangeLimit[(yy+crR[cr])&1023]
	q[1] = rangeLimit[(yy+(cbG[cb]+crG[cr])>>yccScaleBits)&1023]
	q[2] = rangeLimit[(yy+cbB[cb])&1023]
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
