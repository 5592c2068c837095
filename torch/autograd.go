package torch

// #include "tunetorch.h"
import "C"

import "runtime"

// SetRequiresGrad marks the tensor as a leaf whose gradient autograd computes
// (or stops doing so), and returns it.
func (t *Tensor) SetRequiresGrad(requires bool) *Tensor {
	must("requires_grad_", C.tt_set_requires_grad(t.handle(), cBool(requires)))
	runtime.KeepAlive(t)
	return t
}

// RequiresGrad reports whether autograd records operations on the tensor.
func (t *Tensor) RequiresGrad() bool {
	r := C.tt_requires_grad(t.handle()) != 0
	runtime.KeepAlive(t)
	return r
}

// Backward computes the gradient of the scalar t with respect to every leaf
// that requires grad, accumulating into their Grad.
func (t *Tensor) Backward() {
	must("backward", C.tt_backward(t.handle()))
	runtime.KeepAlive(t)
}

// Grad returns the accumulated gradient (sharing its storage; Close the
// returned handle), or nil when none has been computed.
func (t *Tensor) Grad() *Tensor {
	var h C.tt_tensor
	must("grad", C.tt_grad(t.handle(), &h))
	runtime.KeepAlive(t)
	return newTensor(h)
}

// ZeroGrad sets the accumulated gradient to zero, in place.
func (t *Tensor) ZeroGrad() {
	must("zero_grad", C.tt_zero_grad(t.handle()))
	runtime.KeepAlive(t)
}
