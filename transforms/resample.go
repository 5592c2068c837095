package transforms

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

func clip8(ss int32) uint8 {
	v := ss >> precisionBits
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// resizeRegion resizes the w×h region of src at (left, top) to outW×outH,
// exactly as PIL's img.crop(region).resize((outW, outH), BILINEAR) does;
// with mirror the result is also flipped left to right, as a following
// transpose(FLIP_LEFT_RIGHT) would. The region must lie inside src.
func resizeRegion(src *Image, top, left, h, w, outW, outH int, mirror bool) *Image {
	needH := outW != w
	needV := outH != h
	vert := precompute(h, 0, float64(h), outH)
	// Rows of the region that the vertical pass reads.
	yFirst := vert.start[0]
	yLast := vert.start[outH-1] + vert.count[outH-1]
	if !needV {
		yFirst, yLast = 0, h
	}

	// Horizontal pass into tmp: rows yFirst..yLast-1 of the region.
	tmpH := yLast - yFirst
	tmp := &Image{W: outW, H: tmpH}
	if needH {
		tmp.Pix = make([]uint8, outW*tmpH*3)
		horiz := precompute(w, 0, float64(w), outW)
		for y := 0; y < tmpH; y++ {
			srow := src.Pix[((top+yFirst+y)*src.W+left)*3:]
			trow := tmp.Pix[y*outW*3 : (y+1)*outW*3]
			for xx := 0; xx < outW; xx++ {
				cnt := horiz.count[xx]
				k := horiz.weights[xx*horiz.ksize:][:cnt]
				p := srow[horiz.start[xx]*3:][:cnt*3]
				ss0, ss1, ss2 := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
				for x, kv := range k {
					q := p[x*3 : x*3+3 : x*3+3]
					ss0 += int32(q[0]) * kv
					ss1 += int32(q[1]) * kv
					ss2 += int32(q[2]) * kv
				}
				o := xx
				if mirror {
					o = outW - 1 - xx
				}
				t := trow[o*3 : o*3+3 : o*3+3]
				t[0], t[1], t[2] = clip8(ss0), clip8(ss1), clip8(ss2)
			}
		}
	} else {
		tmp.Pix = make([]uint8, outW*tmpH*3)
		for y := 0; y < tmpH; y++ {
			srow := src.Pix[((top+yFirst+y)*src.W+left)*3 : ((top+yFirst+y)*src.W+left+w)*3]
			trow := tmp.Pix[y*outW*3 : (y+1)*outW*3]
			if mirror {
				for x := 0; x < w; x++ {
					j := (w - 1 - x) * 3
					trow[x*3], trow[x*3+1], trow[x*3+2] = srow[j], srow[j+1], srow[j+2]
				}
			} else {
				copy(trow, srow)
			}
		}
	}
	if !needV {
		return tmp
	}

	// Vertical pass.
	out := NewImage(outW, outH)
	rowLen := outW * 3
	acc := make([]int32, rowLen)
	for yy := 0; yy < outH; yy++ {
		k := vert.weights[yy*vert.ksize : yy*vert.ksize+vert.count[yy]]
		y0 := vert.start[yy] - yFirst
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		for y, kv := range k {
			trow := tmp.Pix[(y0+y)*rowLen:][:len(acc)]
			for i, p := range trow {
				acc[i] += int32(p) * kv
			}
		}
		orow := out.Pix[yy*rowLen : (yy+1)*rowLen]
		for i, ss := range acc {
			orow[i] = clip8(ss)
		}
	}
	return out
}
