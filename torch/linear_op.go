package torch

// #include "tunetorch.h"
import "C"

// linear returns x·wᵀ + b (b may be nil); with noGrad no graph is recorded.
func linear(x, w, b *Tensor, noGrad bool) *Tensor {
	var bh C.tt_tensor
	keep := []*Tensor{x, w}
	if b != nil {
		bh = b.handle()
		keep = append(keep, b)
	}
	return result("linear", func(out *C.tt_tensor) C.tt_error {
		return C.tt_linear(x.handle(), w.handle(), bh, cBool(noGrad), out)
	}, keep...)
}
