package finetune

import (
	"errors"
	"fmt"
	"math"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/torch"
)

// ErrAutocastDisagrees reports a backbone whose output under reduced
// precision autocast is not close to its float32 output on the probe
// batch NewNet runs: the low-precision kernels of this libtorch give wrong
// results on this machine.
var ErrAutocastDisagrees = errors.New("the backbone under autocast disagrees with its float32 self")

// autocastTolerance is the largest difference NewNet accepts between the
// backbone's outputs in float32 and under autocast, as a share of the
// largest float32 output. bfloat16 keeps 8 bits of mantissa: on the probe
// batch ResNet-34 (random weights) and the tests' small backbone differ by
// 0.5% and 0.2% of it (libtorch 1.13); the wrong kernels met so far made
// them differ by 6% and 12-13% (ResNet-34 within 5% again where those
// kernels were avoided, DNNL_MAX_CPU_ISA=AVX2).
const autocastTolerance = 0.05

// checkAutocast runs the backbone on a probe batch of two inputSize images
// (fixed pseudo-random values in [-2, 2], as normalised images have; NHWC
// with channelsLast, as NewNet's batches) in float32 and under dtype
// autocast, and returns ErrAutocastDisagrees where
// the outputs differ by more than autocastTolerance. On an AMD EPYC Zen 5
// with AVX-512 BF16, Debian's libtorch 2.6 (oneDNN 3.7) computed bfloat16
// convolutions of few output channels a third or more off (8 and 12
// output channels; 32 and 64 were right: pytorch/pytorch#163347;
// DNNL_MAX_CPU_ISA=AVX2 or libtorch 1.13 computed them right): a bfloat16
// backbone there would train the head on wrong features without a word.
func checkAutocast(r replica, inputSize int, dtype torch.Dtype, channelsLast bool) error {
	b := &dataset.Batch{N: 2, C: 3, H: inputSize, W: inputSize, Images: make([]float32, 2*3*inputSize*inputSize)}
	state := uint32(1)
	for i := range b.Images {
		state = state*1664525 + 1013904223 // a linear congruential generator: no global RNG touched
		b.Images[i] = float32(state>>8)/float32(1<<24)*4 - 2
	}
	x, err := floatInput(b, 0, b.N, r.dev, channelsLast) // laid out as the backbone's batches are
	if err != nil {
		return err
	}
	defer x.Close()
	want, err := r.m.ForwardNoGrad(x)
	if err != nil {
		return err
	}
	defer want.Close()
	got, err := r.m.ForwardAutocast(dtype, x)
	if err != nil {
		return err
	}
	defer got.Close()
	w, g := want.Float32s(), got.Float32s()
	if len(w) != len(g) {
		return fmt.Errorf("finetune: the backbone gives %d outputs in float32 and %d under %s autocast", len(w), len(g), dtype)
	}
	worst, scale := worstDifference(w, g)
	if worst > autocastTolerance*scale || math.IsNaN(worst) {
		return fmt.Errorf("finetune: %w: under %s autocast its outputs on a probe batch differ by up to %.4g, "+
			"%.0f%% of the largest float32 output (%.4g; bfloat16's rounding stays under 1%%): libtorch %s's %s kernels "+
			"give wrong results on this machine (on AMD CPUs with libtorch 2.x, oneDNN's bfloat16 convolutions: "+
			"pytorch/pytorch#163347; DNNL_MAX_CPU_ISA=AVX2 in the environment avoided them there); use float32",
			ErrAutocastDisagrees, dtype, worst, 100*worst/scale, scale, torch.Version(), dtype)
	}
	return nil
}

// worstDifference returns the largest |want[i]-got[i]| and the largest
// |want[i]|, the scale to compare it with (worst is NaN where either holds a NaN).
func worstDifference(want, got []float32) (worst, scale float64) {
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(want[i]-got[i])))
		scale = math.Max(scale, math.Abs(float64(want[i])))
	}
	return worst, scale
}
