package transforms

import "image"

// Pillow's antialiased bilinear resampling (libImaging/Resample.c), in the
// same fixed-point arithmetic so the results are identical to the bit.
// The filter support grows with the downscaling factor, so shrinking
// averages over every source pixel, and the image is resampled horizontally
// first, rounding to 8 bits in between, then vertically.

const precisionBits = 32 - 8 - 2

// coefficients of one resampling pass: for output i, source pixels
// start[i] .. start[i]+count[i]-1 weighted by weights[i*ksize:].
type coefficients struct {
	ksize   int
	start   []int
	count   []int
	weights []int32
}

func bilinear(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// precompute follows precompute_coeffs and normalize_coeffs_8bpc: inSize
// source pixels, the box [in0, in1) of them, outSize results.
func precompute(inSize int, in0, in1 float64, outSize int) coefficients {
	scale := (in1 - in0) / float64(outSize)
	filterscale := max(scale, 1.0)
	support := 1.0 * filterscale
	ksize := int(ceil(support))*2 + 1
	c := coefficients{ksize: ksize, start: make([]int, outSize), count: make([]int, outSize),
		weights: make([]int32, outSize*ksize)}
	k := make([]float64, ksize)
	for xx := 0; xx < outSize; xx++ {
		center := in0 + (float64(xx)+0.5)*scale
		ss := 1.0 / filterscale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			w := bilinear((float64(x+xmin) - center + 0.5) * ss)
			k[x] = w
			ww += w
		}
		for x := 0; x < xmax; x++ {
			if ww != 0 {
				k[x] /= ww
			}
			var v int32
			if k[x] < 0 {
				v = int32(-0.5 + k[x]*(1<<precisionBits))
			} else {
				v = int32(0.5 + k[x]*(1<<precisionBits))
			}
			c.weights[xx*ksize+x] = v
		}
		c.start[xx], c.count[xx] = xmin, xmax
	}
	return c
}

// ceil avoids importing math for one call on small positive values.
func ceil(x float64) float64 {
	i := float64(int(x))
	if i < x {
		return i + 1
	}
	return i
}

// clip8 is Pillow's clip8 for the bilinear filter: the fixed-point sum
// rounded down to 8 bits and clamped. The filter's weights are never
// negative, so neither is the sum: only the upper bound needs a clamp.
func clip8(ss int32) uint8 {
	return uint8(min(ss>>precisionBits, 255))
}

// sub returns the coefficients of outputs [o0, o1) with their source
// windows moved by offset.
func (c coefficients) sub(o0, o1, offset int) coefficients {
	s := coefficients{ksize: c.ksize, start: make([]int, o1-o0), count: c.count[o0:o1],
		weights: c.weights[o0*c.ksize : o1*c.ksize]}
	for i := range s.start {
		s.start[i] = c.start[o0+i] + offset
	}
	return s
}

// reverse puts the outputs of c in the opposite order, so that a pass
// writes its row mirrored.
func (c *coefficients) reverse() {
	n := len(c.start)
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		c.start[i], c.start[j] = c.start[j], c.start[i]
		c.count[i], c.count[j] = c.count[j], c.count[i]
		wi, wj := c.weights[i*c.ksize:(i+1)*c.ksize], c.weights[j*c.ksize:(j+1)*c.ksize]
		for k := range wi {
			wi[k], wj[k] = wj[k], wi[k]
		}
	}
}

// fixedWindows rewrites c so that every output reads the same number of
// source pixels, the largest count of any output (often below ksize: the
// filter's last weights are zero): shorter windows get zero weights for the
// extra pixels, and those cut short by the edge start earlier, which leaves
// every sum unchanged. It returns that number, or 0 (leaving c as it was)
// when the source has fewer pixels.
func (c *coefficients) fixedWindows(inSize int) int {
	n := 0
	for _, cnt := range c.count {
		n = max(n, cnt)
	}
	if inSize < n || n == 0 {
		return 0
	}
	weights := make([]int32, len(c.start)*n)
	for i, start := range c.start {
		w := weights[i*n : (i+1)*n]
		shift := max(start+n-inSize, 0)
		copy(w[shift:], c.weights[i*c.ksize:i*c.ksize+c.count[i]])
		c.start[i], c.count[i] = start-shift, n
	}
	c.ksize, c.weights = n, weights
	return n
}

// resizeRegion resizes the w×h region of src at (left, top) to outW×outH,
// exactly as PIL's img.crop(region).resize((outW, outH), BILINEAR) does;
// with mirror the result is also flipped left to right, as a following
// transpose(FLIP_LEFT_RIGHT) would. The region must lie inside src.
func resizeRegion(src *Image, top, left, h, w, outW, outH int, mirror bool) *Image {
	return resizeBox(src, top, left, h, w, outW, outH, image.Rect(0, 0, outW, outH), mirror)
}

// resizeBox computes only the box (in output coordinates) of what
// resizeRegion(src, top, left, h, w, outW, outH) gives, with the same
// values: each output pixel depends only on its own window of source pixels.
// With mirror the box comes out flipped left to right. The region may reach
// outside src (top and left may be negative: src is then the part of a
// larger image that holds the region's used pixels) as long as the windows
// of the box's pixels lie inside src.
func resizeBox(src *Image, top, left, h, w, outW, outH int, box image.Rectangle, mirror bool) *Image {
	bw, bh := box.Dx(), box.Dy()
	needH := outW != w
	needV := outH != h
	var horiz, vert coefficients
	fixedH, fixedV := 0, 0
	if needH {
		horiz = precompute(w, 0, float64(w), outW).sub(box.Min.X, box.Max.X, left)
		fixedH = horiz.fixedWindows(src.W)
		if mirror {
			horiz.reverse()
		}
	}
	// Rows of src that the vertical pass reads.
	yFirst, yLast := top+box.Min.Y, top+box.Max.Y
	if needV {
		vert = precompute(h, 0, float64(h), outH).sub(box.Min.Y, box.Max.Y, top)
		fixedV = vert.fixedWindows(src.H)
		yFirst = vert.start[0]
		yLast = vert.start[bh-1] + vert.count[bh-1]
	}

	// Horizontal pass into tmp: rows yFirst..yLast-1 of src.
	tmpH := yLast - yFirst
	tmp := &Image{W: bw, H: tmpH, Pix: getBuffer(bw * tmpH * 3)}
	x0 := left + box.Min.X // without horizontal resampling, the column of the box's first
	srcRow := func(y int) []uint8 { return src.Pix[(yFirst+y)*src.W*3 : (yFirst+y+1)*src.W*3] }
	tmpRow := func(y int) []uint8 { return tmp.Pix[y*bw*3 : (y+1)*bw*3] }
	for y := 0; y < tmpH; y++ {
		srow, trow := srcRow(y), tmpRow(y)
		switch {
		case !needH && mirror:
			part := srow[x0*3 : (x0+bw)*3]
			for x := 0; x < bw; x++ {
				j := (bw - 1 - x) * 3
				trow[x*3], trow[x*3+1], trow[x*3+2] = part[j], part[j+1], part[j+2]
			}
		case !needH:
			copy(trow, srow[x0*3:(x0+bw)*3])
		case fixedH >= 2 && y+1 < tmpH && horizontalPairSIMD(srow, srcRow(y+1), trow, tmpRow(y+1), &horiz):
			y++ // the next row's done too
		case fixedH >= 2 && horizontalSIMD(srow, trow, &horiz):
		case fixedH >= 2 && fixedH <= 7:
			horizontalKernels[fixedH](srow, trow, &horiz)
		default:
			horizontalAny(srow, trow, &horiz)
		}
	}
	if !needV {
		return tmp
	}

	// Vertical pass.
	out := newImageUncleared(bw, bh) // every row written below
	rowLen := bw * 3
	acc := make([]int32, rowLen)
	var rows [7][]uint8 // one per call: handed to a kernel by pointer, so on the heap
	for yy := 0; yy < bh; yy++ {
		k := vert.weights[yy*vert.ksize : yy*vert.ksize+vert.count[yy]]
		row := func(i int) []uint8 {
			y := vert.start[yy] - yFirst + i
			return tmp.Pix[y*rowLen : (y+1)*rowLen]
		}
		orow := out.Pix[yy*rowLen : (yy+1)*rowLen]
		switch {
		case fixedV >= 2 && fixedV <= 7:
			for i := range fixedV {
				rows[i] = row(i)
			}
			if done := verticalSIMD(orow, &rows, k); done > 0 {
				for i := range fixedV {
					rows[i] = rows[i][done:]
				}
				orow = orow[done:]
			}
			verticalKernels[fixedV](orow, &rows, k)
		default:
			for i := range acc {
				acc[i] = 1 << (precisionBits - 1)
			}
			for y, kv := range k {
				trow := row(y)[:len(acc)]
				for i, p := range trow {
					acc[i] += int32(p) * kv
				}
			}
			for i, ss := range acc {
				orow[i] = clip8(ss)
			}
		}
	}
	putBuffer(tmp.Pix)
	return out
}

// sourceSpan returns the source pixels [first, last) that outputs [o0, o1)
// of resampling inSize pixels to outSize read.
func sourceSpan(inSize, outSize, o0, o1 int) (first, last int) {
	if inSize == outSize {
		return o0, o1
	}
	c := precompute(inSize, 0, float64(inSize), outSize)
	first, last = c.start[o0], 0
	for i := o0; i < o1; i++ {
		last = max(last, c.start[i]+c.count[i])
	}
	return first, last
}

const half = int32(1 << (precisionBits - 1))

// horizontalAny resamples one row with any window sizes.
func horizontalAny(srow, trow []uint8, c *coefficients) {
	outW := len(trow) / 3
	for xx := 0; xx < outW; xx++ {
		cnt := c.count[xx]
		k := c.weights[xx*c.ksize:][:cnt]
		p := srow[c.start[xx]*3:][:cnt*3]
		ss0, ss1, ss2 := half, half, half
		for x, kv := range k {
			q := p[x*3 : x*3+3 : x*3+3]
			ss0 += int32(q[0]) * kv
			ss1 += int32(q[1]) * kv
			ss2 += int32(q[2]) * kv
		}
		t := trow[xx*3 : xx*3+3 : xx*3+3]
		t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
	}
}
