package transforms

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// runPlan carries out a plan as its documentation says, literally: the
// reference that finetune's device code follows.
func runPlan(p AugmentPlan) *Image {
	tmp := resampleRows(p.Crop, p.Horizontal, p.OutW)
	out := transpose(resampleRows(transpose(tmp), p.Vertical, p.OutH))
	grey := func(i int) float32 {
		r, g, b := uint32(out.Pix[i]), uint32(out.Pix[i+1]), uint32(out.Pix[i+2])
		return float32((r*19595 + g*38470 + b*7471 + 1<<15) >> 16)
	}
	for _, st := range p.Jitter {
		var mean float32
		if st.Op == JitterContrast {
			sum := 0.0
			for i := 0; i < len(out.Pix); i += 3 {
				sum += float64(grey(i))
			}
			mean = float32(int(sum/float64(p.OutW*p.OutH) + 0.5))
		}
		for i := 0; i < len(out.Pix); i += 3 {
			var d float32
			switch st.Op {
			case JitterNone:
				continue
			case JitterContrast:
				d = mean
			case JitterSaturation:
				d = grey(i)
			}
			for ch := range 3 {
				t := float32(st.Factor*(float32(out.Pix[i+ch])-d)) + d
				out.Pix[i+ch] = uint8(min(max(t, 0), 255))
			}
		}
	}
	return out
}

// The plan of the chapter's training pipeline, carried out as documented,
// is the pipeline's image to the bit, with the same draws, for crops that
// shrink and enlarge, mirrored or not, and the decoded file's plan is the
// decoded image's.
func TestAugmentPlanIsThePipelinesImage(t *testing.T) {
	train := MustCompose(NewRandomResizedCrop(24), RandomHorizontalFlip{P: 0.5},
		ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4}, ToTensor{}, ImageNetNormalize)
	head, _, _ := train.SplitTensorTail()
	planner, err := NewAugmentPlanner(train)
	require.NoError(t, err)
	require.Equal(t, &ImageNetNormalize, planner.Normalize())

	src := rand.New(rand.NewPCG(1, 2))
	mirrored, jittered := 0, 0
	for i := range 60 {
		img := NewImage(8+src.IntN(90), 8+src.IntN(90))
		for j := range img.Pix {
			img.Pix[j] = uint8(src.IntN(256))
		}
		want, err := head.Apply(Data{Image: img}, rand.New(rand.NewPCG(uint64(i), 9)))
		require.NoError(t, err)
		before := img.Clone()
		plan, err := planner.Plan(img, rand.New(rand.NewPCG(uint64(i), 9)))
		require.NoError(t, err)
		require.Equal(t, before.Pix, img.Pix, "Plan changed its image")
		require.Equal(t, want.Image.Pix, runPlan(plan).Pix, "image %d (%dx%d), crop %dx%d", i, img.W, img.H, plan.Crop.W, plan.Crop.H)
		requireRegionPlanIs(t, plan, planner, img, rand.New(rand.NewPCG(uint64(i), 9)))
		if plan.Horizontal.Start[0] > plan.Horizontal.Start[len(plan.Horizontal.Start)-1] {
			mirrored++
		}
		if plan.Jitter[0].Op != JitterNone {
			jittered++
		}

		var file bytes.Buffer
		require.NoError(t, jpeg.Encode(&file, imageOf(img), &jpeg.Options{Quality: 90}))
		decoded, err := Decode(file.Bytes(), DecodeOptions{})
		require.NoError(t, err)
		wantPlan, err := planner.Plan(decoded, rand.New(rand.NewPCG(uint64(i), 9)))
		require.NoError(t, err)
		gotPlan, err := planner.DecodePlan(file.Bytes(), DecodeOptions{}, rand.New(rand.NewPCG(uint64(i), 9)))
		require.NoError(t, err)
		require.Equal(t, wantPlan, gotPlan)
	}
	require.Greater(t, mirrored, 10)
	require.Equal(t, 60, jittered)

	_, err = planner.DecodePlan([]byte("not an image"), DecodeOptions{}, rand.New(rand.NewPCG(1, 1)))
	var de *DecodeError
	require.ErrorAs(t, err, &de)
}

// requireRegionPlanIs checks that PlanRegion(img) with rng draws want, the
// plan Plan made with the same generator, without copying: its crop is
// the Region of img, whose size and pixels are want's crop's.
func requireRegionPlanIs(t *testing.T, want AugmentPlan, planner *AugmentPlanner, img *Image, rng *rand.Rand) {
	t.Helper()
	got, err := planner.PlanRegion(img, rng)
	require.NoError(t, err)
	require.Nil(t, got.Crop)
	require.Same(t, img, got.Source)
	w, h := got.CropSize()
	require.Equal(t, [2]int{want.Crop.W, want.Crop.H}, [2]int{w, h})
	require.Equal(t, want.Crop.Pix, got.AppendCrop(nil))
	require.Equal(t, []uint8{7}, want.AppendCrop([]uint8{7})[:1], "AppendCrop appends")
	require.Equal(t, want.Crop.Pix, want.AppendCrop(nil))
	got.Source, got.Region, got.Crop = nil, image.Rectangle{}, want.Crop
	require.Equal(t, want, got)
}

// resampleRows resamples each row of img to outW pixels with t.
func resampleRows(img *Image, t Taps, outW int) *Image {
	out := NewImage(outW, img.H)
	for y := range img.H {
		for o := range outW {
			for ch := range 3 {
				s := int64(1) << (TapsShift - 1)
				for k := range t.K {
					x := int(t.Start[o]) + k
					s += int64(img.Pix[(y*img.W+x)*3+ch]) * int64(t.Weights[o*t.K+k])
				}
				out.Pix[(y*outW+o)*3+ch] = uint8(min(s>>TapsShift, 255))
			}
		}
	}
	return out
}

// transpose swaps img's rows and columns.
func transpose(img *Image) *Image {
	out := NewImage(img.H, img.W)
	for y := range img.H {
		for x := range img.W {
			copy(out.Pix[(x*img.H+y)*3:][:3], img.Pix[(y*img.W+x)*3:][:3])
		}
	}
	return out
}

// imageOf wraps img for image/jpeg.
func imageOf(img *Image) image.Image {
	out := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for i := 0; i < img.W*img.H; i++ {
		out.Pix[i*4], out.Pix[i*4+1], out.Pix[i*4+2], out.Pix[i*4+3] = img.Pix[i*3], img.Pix[i*3+1], img.Pix[i*3+2], 255
	}
	return out
}

// Pipelines a planner cannot carry out are refused, naming the step.
func TestAugmentPlannerRefusesOtherPipelines(t *testing.T) {
	for _, tc := range []struct {
		c    *Compose
		says string
	}{
		{MustCompose(ResizeShorter(256), CenterCropSquare(224), ToTensor{}), "starting with RandomResizedCrop, not Resize"},
		{MustCompose(NewRandomResizedCrop(8), ColorJitter{Hue: 0.1}, ToTensor{}), "without hue"},
		{MustCompose(NewRandomResizedCrop(8), Lighting{AlphaStd: 0.1}, ToTensor{}), "cannot leave Lighting"},
		{MustCompose(NewRandomResizedCrop(8), ToTensor{}, ImageNetNormalize, ImageNetNormalize), "ending with ToTensor"},
		{MustCompose(ToTensor{}), "starting with RandomResizedCrop"},
	} {
		_, err := NewAugmentPlanner(tc.c)
		require.ErrorContains(t, err, tc.says, "%s", tc.c)
	}
}
