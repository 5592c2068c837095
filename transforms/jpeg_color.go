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

// yccTables are jdcolor.c's build_ycc_rgb_table.
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
	// Chroma planes as libjpeg sees them: the component's downsampled size.
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
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	cx0, cy0 := b.Min.X/hs, b.Min.Y/vs
	plane := func(p []uint8) func(x, y int) int32 {
		return func(x, y int) int32 { return int32(p[(cy0+y)*m.CStride+cx0+x]) }
	}
	cb := upsample(plane(m.Cb), cw, ch, hs, vs, w, h)
	cr := upsample(plane(m.Cr), cw, ch, hs, vs, w, h)
	for y := 0; y < h; y++ {
		yrow := m.Y[(b.Min.Y+y)*m.YStride+b.Min.X:]
		for x := 0; x < w; x++ {
			yy := int32(yrow[x])
			cbv, crv := cb[y*w+x], cr[y*w+x]
			i := (y*w + x) * 3
			out.Pix[i] = clamp255(yy + crR[crv])
			out.Pix[i+1] = clamp255(yy + (cbG[cbv]+crG[crv])>>yccScaleBits)
			out.Pix[i+2] = clamp255(yy + cbB[cbv])
		}
	}
}

func clamp255(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// upsample returns a w×h plane from the cw×ch chroma plane at(x, y) with
// libjpeg-turbo's upsampler for the factors: fancy for 2×1, 2×2 and 1×2,
// replication (int_upsample) otherwise. Edge rows and columns repeat.
func upsample(at func(x, y int) int32, cw, ch, hs, vs, w, h int) []uint8 {
	out := make([]uint8, w*h)
	row := func(y int) int { return min(max(y, 0), ch-1) }
	switch {
	case hs == 1 && vs == 1:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out[y*w+x] = uint8(at(x, y))
			}
		}
	case hs == 2 && vs == 1:
		line := make([]int32, 2*cw)
		for y := 0; y < h; y++ {
			h2v1(func(x int) int32 { return at(x, y) }, cw, line)
			for x := 0; x < w; x++ {
				out[y*w+x] = uint8(line[x])
			}
		}
	case hs == 1 && vs == 2:
		// h1v2_fancy_upsample: ¾ nearer row + ¼ farther, bias 1 above, 2 below.
		for y := 0; y < h; y++ {
			cy, below := y/2, y%2 == 1
			far, bias := row(cy-1), int32(1)
			if below {
				far, bias = row(cy+1), 2
			}
			for x := 0; x < w; x++ {
				out[y*w+x] = uint8((at(x, cy)*3 + at(x, far) + bias) >> 2)
			}
		}
	case hs == 2 && vs == 2:
		// h2v2_fancy_upsample: vertical ¾/¼ column sums, then horizontal
		// ¾/¼ with biases 8 and 7, over 16.
		sums := make([]int32, cw)
		for y := 0; y < h; y++ {
			cy := y / 2
			far := row(cy - 1)
			if y%2 == 1 {
				far = row(cy + 1)
			}
			for x := 0; x < cw; x++ {
				sums[x] = at(x, cy)*3 + at(x, far)
			}
			o := out[y*w : (y+1)*w]
			put := func(x int, v int32) {
				if x < w {
					o[x] = uint8(v)
				}
			}
			if cw == 1 {
				put(0, (sums[0]*4+8)>>4)
				put(1, (sums[0]*4+7)>>4)
				continue
			}
			put(0, (sums[0]*4+8)>>4)
			put(1, (sums[0]*3+sums[1]+7)>>4)
			for x := 1; x < cw-1; x++ {
				put(2*x, (sums[x]*3+sums[x-1]+8)>>4)
				put(2*x+1, (sums[x]*3+sums[x+1]+7)>>4)
			}
			last := cw - 1
			put(2*last, (sums[last]*3+sums[last-1]+8)>>4)
			put(2*last+1, (sums[last]*4+7)>>4)
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out[y*w+x] = uint8(at(x/hs, row(y/vs)))
			}
		}
	}
	return out
}

// h2v1 is h2v1_fancy_upsample for one row of cw samples into 2·cw.
func h2v1(at func(x int) int32, cw int, line []int32) {
	if cw == 1 {
		line[0], line[1] = at(0), at(0)
		return
	}
	v := at(0)
	line[0] = v
	line[1] = (v*3 + at(1) + 2) >> 2
	for x := 1; x < cw-1; x++ {
		v = at(x) * 3
		line[2*x] = (v + at(x-1) + 1) >> 2
		line[2*x+1] = (v + at(x+1) + 2) >> 2
	}
	v = at(cw - 1)
	line[2*cw-2] = (v*3 + at(cw-2) + 1) >> 2
	line[2*cw-1] = v
}
