package finetune

import (
	"errors"
	"fmt"

	"github.com/tunetorch/tunetorch/torch"
	"github.com/tunetorch/tunetorch/transforms"
)

// augmentOnDevice carries out plans (transforms.AugmentPlan) on dev, to the
// bit as the plans' documentation says and so as the Go pipeline does; crops
// holds the plans' crop pixels packed in order. It returns the images as
// bytes, N×OutH×OutW×3 (NHWC, uint8). The plans go in groups of consecutive
// ones whose intermediates stay under maxGroupElements (see augmentGroup).
func augmentOnDevice(plans []transforms.AugmentPlan, crops []uint8, dev torch.Device) (*torch.Tensor, error) {
	return augmentInGroups(plans, crops, dev, maxGroupElements)
}

// maxGroupElements bounds the largest intermediates of a group of plans
// (the products of a pass: rows × taps × output width × 3, int32), so that a
// batch of large images never needs more than a few hundred MiB of device
// memory at once: 2^26 elements, 256 MiB.
const maxGroupElements = 1 << 26

// augmentInGroups is augmentOnDevice with the given bound on a group's
// intermediates (a single plan over it makes a group of its own): the
// crops go to the device in one copy, then augmentStored (which checks the
// plans).
func augmentInGroups(plans []transforms.AugmentPlan, crops []uint8, dev torch.Device, bound int) (_ *torch.Tensor, err error) {
	defer torch.Recover(&err)
	var c storedCrops
	var packed int64
	c.first, c.stride, packed = packedLayout(plans)
	if packed*3 != int64(len(crops)) {
		return nil, fmt.Errorf("the plans' crops hold %d bytes, the packed crops %d", packed*3, len(crops))
	}
	if c.pixels, err = torch.FromSliceOn(crops, dev, packed, 3); err != nil {
		return nil, err
	}
	defer c.pixels.Close()
	return augmentStored(plans, c, dev, bound)
}

// packedLayout is where the crops of plans are when packed in order, as
// storedCrops says (in pixels), and how many pixels they hold.
func packedLayout(plans []transforms.AugmentPlan) (first, stride []int64, pixels int64) {
	first, stride = make([]int64, len(plans)), make([]int64, len(plans))
	for i := range plans {
		w, h := plans[i].CropSize()
		first[i], stride[i] = pixels, int64(w)
		pixels += int64(w * h)
	}
	return first, stride, pixels
}

// sameOutSize checks that plans is not empty and that every plan makes
// images of the first one's size.
func sameOutSize(plans []transforms.AugmentPlan) error {
	if len(plans) == 0 {
		return errors.New("no augmentation plans to carry out")
	}
	for i, p := range plans {
		if p.OutH != plans[0].OutH || p.OutW != plans[0].OutW {
			return fmt.Errorf("plan %d makes %dx%d images, plan 0 %dx%d", i, p.OutW, p.OutH, plans[0].OutW, plans[0].OutH)
		}
	}
	return nil
}

// augmentStored carries out plans whose crops are already on dev, where c
// says, in groups of consecutive plans whose intermediates stay under
// bound elements, and returns the images as augmentOnDevice does.
func augmentStored(plans []transforms.AugmentPlan, c storedCrops, dev torch.Device, bound int) (_ *torch.Tensor, err error) {
	defer torch.Recover(&err)
	if err := sameOutSize(plans); err != nil {
		return nil, err
	}
	var outs []*torch.Tensor
	defer func() { torch.CloseAll(outs...) }()
	for start := 0; start < len(plans); {
		end := start
		for rows, kx, ky := 0, 0, 0; end < len(plans); end++ {
			p := plans[end]
			_, h := p.CropSize()
			r, x, y := rows+h, max(kx, p.Horizontal.K), max(ky, p.Vertical.K)
			if end > start && max(r*x, (end+1-start)*p.OutH*y)*p.OutW*3 > bound {
				break
			}
			rows, kx, ky = r, x, y
		}
		out, err := augmentGroup(plans[start:end], c.pixels, c.first[start:end], c.stride[start:end], dev)
		if err != nil {
			return nil, err
		}
		outs = append(outs, out)
		start = end
	}
	if len(outs) == 1 {
		out := outs[0]
		outs = nil
		return out, nil
	}
	return torch.Cat(outs, 0), nil
}

// augmentGroup carries out a group of plans, whose crops are in pix
// (pixels × 3, uint8, on dev), plan i's row y from pixel first[i] +
// y·stride[i]: every image goes through the same few tensor operations,
// with no padding: each row of every crop is resampled horizontally by
// gathering its taps' pixels (integer products and sums), then each output
// row vertically from its taps' rows, each pass rounded to 8 bits as Pillow
// does; the colour jitter runs as three batched blend steps, an image
// without a step's adjustment blending with factor 1 (the identity).
func augmentGroup(plans []transforms.AugmentPlan, pix *torch.Tensor, first, stride []int64, dev torch.Device) (_ *torch.Tensor, err error) {
	defer torch.Recover(&err)
	s := &deviceScope{dev: dev}
	defer s.close()
	keep := s.keep

	g := gatherTables(plans, first, stride)
	n, outH, outW := int64(len(plans)), int64(g.outH), int64(g.outW)
	rowImage := upload(s, g.rowImage, g.rows)
	rowBase := upload(s, g.rowBase, g.rows, 1)

	// Horizontal: tmp[r, o, c] for every source row r of every crop.
	kx := int64(g.kx)
	cols := keep(upload(s, g.hCols, n, outW*kx).IndexSelect(0, rowImage))
	idx := keep(keep(cols.Add(rowBase)).Reshape(-1))
	taps := keep(keep(keep(pix.IndexSelect(0, idx)).ToDtype(torch.Int32)).Reshape(g.rows, outW, kx, 3))
	hw := keep(keep(upload(s, g.hWeights, n, outW*kx).IndexSelect(0, rowImage)).Reshape(g.rows, outW, kx, 1))
	tmp := keep(round8(keep(keep(taps.Mul(hw)).SumDims([]int64{2}, false)), torch.Int32))

	// Vertical: out[i, o, x, c] from the rows of image i's taps.
	ky := int64(g.ky)
	vrows := upload(s, g.vRows, n*outH*ky)
	vtaps := keep(keep(keep(tmp.Reshape(g.rows, outW*3)).IndexSelect(0, vrows)).Reshape(n, outH, ky, outW*3))
	vw := upload(s, g.vWeights, n, outH, ky, 1)
	resized := keep(round8(keep(keep(vtaps.Mul(vw)).SumDims([]int64{2}, false)), torch.Float32))
	img := keep(resized.Reshape(n, outH, outW, 3))

	for step := range 3 {
		img = jitterStep(s, plans, step, img)
	}
	return img.ToDtype(torch.Uint8), nil
}

// deviceTables are the index and weight tables of a group of plans, built
// on the host (small: a few entries per output pixel of a row or column)
// and uploaded as they are.
type deviceTables struct {
	outH, outW int
	kx, ky     int     // the largest horizontal and vertical tap counts
	rows       int64   // source rows of all crops
	rowImage   []int64 // each source row's plan
	rowBase    []int64 // each source row's first pixel in the crops' pixels
	hCols      []int64 // per plan, output column and tap: the source column
	hWeights   []int32
	vRows      []int64 // per plan, output row and tap: the row among all crops' rows
	vWeights   []int32
}

// gatherTables builds the tables of plans (all of the same output size),
// plan i's crop row y starting at pixel first[i] + y·stride[i]: taps past a
// plan's own count get weight 0 and repeat its last source pixel, so they
// stay inside the plan's crop.
func gatherTables(plans []transforms.AugmentPlan, first, stride []int64) *deviceTables {
	g := &deviceTables{outH: plans[0].OutH, outW: plans[0].OutW}
	for i := range plans {
		p := &plans[i]
		_, h := p.CropSize()
		g.kx, g.ky = max(g.kx, p.Horizontal.K), max(g.ky, p.Vertical.K)
		g.rows += int64(h)
	}
	g.rowImage, g.rowBase = make([]int64, 0, g.rows), make([]int64, 0, g.rows)
	g.hCols, g.hWeights = make([]int64, len(plans)*g.outW*g.kx), make([]int32, len(plans)*g.outW*g.kx)
	g.vRows, g.vWeights = make([]int64, len(plans)*g.outH*g.ky), make([]int32, len(plans)*g.outH*g.ky)
	row := int64(0)
	for i := range plans {
		p := &plans[i]
		_, h := p.CropSize()
		for y := range int64(h) {
			g.rowImage = append(g.rowImage, int64(i))
			g.rowBase = append(g.rowBase, first[i]+y*stride[i])
		}
		fillTaps(g.hCols[i*g.outW*g.kx:], g.hWeights[i*g.outW*g.kx:], p.Horizontal, g.kx, 0)
		fillTaps(g.vRows[i*g.outH*g.ky:], g.vWeights[i*g.outH*g.ky:], p.Vertical, g.ky, row)
		row += int64(h)
	}
	return g
}

// fillTaps writes t's source positions (plus offset) and weights as k taps
// per output.
func fillTaps(pos []int64, weights []int32, t transforms.Taps, k int, offset int64) {
	for o, start := range t.Start {
		for j := range k {
			pos[o*k+j] = offset + int64(start) + int64(min(j, t.K-1))
			if j < t.K {
				weights[o*k+j] = t.Weights[o*t.K+j]
			}
		}
	}
}

// round8 is Pillow's rounding of a fixed-point sum (int64) to 8 bits:
// min(255, (sum + 2^21) >> 22), exact in float64, as dtype.
func round8(sum *torch.Tensor, dtype torch.Dtype) *torch.Tensor {
	f := sum.ToDtype(torch.Float64)
	defer f.Close()
	half := f.AddScalar(1 << (transforms.TapsShift - 1))
	defer half.Close()
	scaled := half.MulScalar(1.0 / (1 << transforms.TapsShift))
	defer scaled.Close()
	floor := scaled.Floor()
	defer floor.Close()
	clipped := floor.Clamp(0, 255)
	defer clipped.Close()
	return clipped.ToDtype(dtype)
}

// jitterStep carries out step (0 to 2) of every plan's jitter on img
// (float32, NHWC, integer values) and returns the result. A step no plan has
// leaves img as it is.
func jitterStep(s *deviceScope, plans []transforms.AugmentPlan, step int, img *torch.Tensor) *torch.Tensor {
	keep := s.keep
	n := int64(len(plans))
	factor, isSat, isCon := make([]float32, n), make([]float32, n), make([]float32, n)
	active, anyGrey, anyMean := false, false, false
	for i, p := range plans {
		st := p.Jitter[step]
		factor[i] = 1
		switch st.Op {
		case transforms.JitterNone:
			continue
		case transforms.JitterSaturation:
			isSat[i], anyGrey = 1, true
		case transforms.JitterContrast:
			isCon[i], anyGrey, anyMean = 1, true, true
		}
		factor[i], active = st.Factor, true
	}
	if !active {
		return img
	}
	shape := img.Shape()
	f := upload(s, factor, n, 1, 1, 1)
	// Pillow's blend in float32: float32(f·float32(v − d)) + d, clamped to
	// [0, 255] and truncated (the floor, once clamped).
	var t *torch.Tensor
	if !anyGrey { // brightness only: the degenerate image is black, d = 0
		t = keep(img.Mul(f))
	} else {
		grey := keep(greyOf(s, img))
		deg := keep(grey.Mul(upload(s, isSat, n, 1, 1, 1)))
		if anyMean {
			mean := keep(meanGrey(grey, shape[1]*shape[2]))
			deg = keep(keep(mean.Mul(upload(s, isCon, n, 1, 1, 1))).Add(deg))
		}
		t = keep(keep(keep(img.Sub(deg)).Mul(f)).Add(deg))
	}
	return keep(keep(t.Clamp(0, 255)).Floor())
}

// greyOf is Pillow's RGB→L of img (NHWC, float32 integers): per pixel
// (R·19595 + G·38470 + B·7471 + 2^15) >> 16, as float32 N×H×W×1. Exact in
// float32: every product and partial sum is an integer below 2^24.
func greyOf(s *deviceScope, img *torch.Tensor) *torch.Tensor {
	w := upload(s, []float32{19595, 38470, 7471}, 3)
	prod := img.Mul(w)
	defer prod.Close()
	sum := prod.SumDims([]int64{3}, true)
	defer sum.Close()
	half := sum.AddScalar(1 << 15)
	defer half.Close()
	scaled := half.MulScalar(1.0 / (1 << 16))
	defer scaled.Close()
	return scaled.Floor()
}

// meanGrey is ImageEnhance.Contrast's mean of grey (N×H×W×1): per image
// int(Σ grey / pixels + 0.5) in float64, as float32 N×1×1×1.
func meanGrey(grey *torch.Tensor, pixels int64) *torch.Tensor {
	f := grey.ToDtype(torch.Float64)
	defer f.Close()
	sum := f.SumDims([]int64{1, 2, 3}, true)
	defer sum.Close()
	mean := sum.DivScalar(float64(pixels))
	defer mean.Close()
	half := mean.AddScalar(0.5)
	defer half.Close()
	floor := half.Floor()
	defer floor.Close()
	return floor.ToDtype(torch.Float32)
}

// deviceScope holds the intermediate tensors of a computation on dev, closed
// together at its end.
type deviceScope struct {
	dev   torch.Device
	temps []*torch.Tensor
}

// keep adds t to the tensors closed at the end and returns it.
func (s *deviceScope) keep(t *torch.Tensor) *torch.Tensor {
	s.temps = append(s.temps, t)
	return t
}

// close closes every tensor kept.
func (s *deviceScope) close() { torch.CloseAll(s.temps...) }

// upload copies data to the scope's device as a tensor of the given shape,
// kept by the scope; a failure panics with a *torch.Error (see torch.Recover).
func upload[T torch.Element](s *deviceScope, data []T, shape ...int64) *torch.Tensor {
	t, err := torch.FromSliceOn(data, s.dev, shape...)
	if err != nil {
		var te *torch.Error
		if !errors.As(err, &te) {
			te = &torch.Error{Op: "upload", Msg: err.Error()}
		}
		panic(te)
	}
	return s.keep(t)
}
