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

// ycbcrToRGB converts m into out (same size) the way libjpeg-turbo does.
func ycbcrToRGB(m *image.YCbCr, out *Image) {
	w, h := out.W, out.H
	b := m.Rect
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
	up := chromaUpsampler{cw: cw, ch: ch, hs: hs, vs: vs, w: w,
		cbRows: func(y int) []uint8 { return m.Cb[(cy0+y)*m.CStride+cx0:][:cw] },
		crRows: func(y int) []uint8 { return m.Cr[(cy0+y)*m.CStride+cx0:][:cw] },
		cbLine: make([]uint8, w+4), crLine: make([]uint8, w+4), sums: make([]int32, cw)}
	for y := 0; y < h; y++ {
		cbl, crl := up.row(y)
		yrow := m.Y[(b.Min.Y+y)*m.YStride+b.Min.X:][:w]
		o := out.Pix[y*w*3:][:w*3]
		for x, yv := range yrow {
			yy := int32(yv)
			cbv, crv := cbl[x], crl[x]
			q := o[x*3 : x*3+3 : x*3+3]
			q[0] = clamp255(yy + crR[crv])
			q[1] = clamp255(yy + (cbG[cbv]+crG[crv])>>yccScaleBits)
			q[2] = clamp255(yy + cbB[cbv])
		}
	}
}

func clamp255(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// chromaUpsampler produces full-width chroma rows with libjpeg-turbo's
// upsampler for the factors: fancy for 2×1, 2×2 and 1×2, replication
// (int_upsample) otherwise. Rows above the first and below the last repeat
// them, as libjpeg's context rows do.
type chromaUpsampler struct {
	cw, ch, hs, vs, w int
	cbRows, crRows    func(y int) []uint8
	cbLine, crLine    []uint8
	sums              []int32
}

func (u *chromaUpsampler) row(y int) (cb, cr []uint8) {
	u.plane(u.cbRows, y, u.cbLine)
	u.plane(u.crRows, y, u.crLine)
	return u.cbLine, u.crLine
}

func (u *chromaUpsampler) plane(rows func(int) []uint8, y int, out []uint8) {
	clampRow := func(r int) int { return min(max(r, 0), u.ch-1) }
	cy := y / u.vs
	switch {
	case u.hs == 1 && u.vs == 1:
		copy(out, rows(cy))
	case u.hs == 2 && u.vs == 1:
		h2v1(rows(cy), out)
	case u.hs == 1 && u.vs == 2:
		// h1v2_fancy_upsample: ¾ nearer row + ¼ farther, bias 1 above, 2 below.
		near, far, bias := rows(cy), rows(clampRow(cy-1)), int32(1)
		if y%2 == 1 {
			far, bias = rows(clampRow(cy+1)), 2
		}
		for x := range near {
			out[x] = uint8((int32(near[x])*3 + int32(far[x]) + bias) >> 2)
		}
	case u.hs == 2 && u.vs == 2:
		near, far := rows(cy), rows(clampRow(cy-1))
		if y%2 == 1 {
			far = rows(clampRow(cy + 1))
		}
		sums := u.sums[:len(near)]
		for x := range near {
			sums[x] = int32(near[x])*3 + int32(far[x])
		}
		h2v2Row(sums, out)
	default:
		src := rows(cy)
		for x := 0; x < u.w; x++ {
			out[x] = src[x/u.hs]
		}
	}
}

// h2v1 is h2v1_fancy_upsample: one row of len(in) samples into 2·len(in).
func h2v1(in []uint8, out []uint8) {
	n := len(in)
	if n == 1 {
		out[0], out[1] = in[0], in[0]
		return
	}
	out[0] = in[0]
	out[1] = uint8((int32(in[0])*3 + int32(in[1]) + 2) >> 2)
	for x := 1; x < n-1; x++ {
		v := int32(in[x]) * 3
		out[2*x] = uint8((v + int32(in[x-1]) + 1) >> 2)
		out[2*x+1] = uint8((v + int32(in[x+1]) + 2) >> 2)
	}
	v := int32(in[n-1])
	out[2*n-2] = uint8((v*3 + int32(in[n-2]) + 1) >> 2)
	out[2*n-1] = uint8(v)
}

// h2v2Row is the horizontal half of h2v2_fancy_upsample: column sums
// (3·near + far) into 2·len(sums) samples, biases 8 and 7, over 16.
func h2v2Row(sums []int32, out []uint8) {
	n := len(sums)
	if n == 1 {
		out[0] = uint8((sums[0]*4 + 8) >> 4)
		out[1] = uint8((sums[0]*4 + 7) >> 4)
		return
	}
	out[0] = uint8((sums[0]*4 + 8) >> 4)
	out[1] = uint8((sums[0]*3 + sums[1] + 7) >> 4)
	for x := 1; x < n-1; x++ {
		t := sums[x] * 3
		out[2*x] = uint8((t + sums[x-1] + 8) >> 4)
		out[2*x+1] = uint8((t + sums[x+1] + 7) >> 4)
	}
	out[2*n-2] = uint8((sums[n-1]*3 + sums[n-2] + 8) >> 4)
	out[2*n-1] = uint8((sums[n-1]*4 + 7) >> 4)
}
