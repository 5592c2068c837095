package torch

// #include "tunetorch.h"
import "C"

import "runtime"

// result runs a shim call that produces one tensor, panicking with a *Error
// on failure. keep lists the operands that must stay alive during the call.
func result(op string, call func(out *C.tt_tensor) C.tt_error, keep ...*Tensor) *Tensor {
	var h C.tt_tensor
	must(op, call(&h))
	runtime.KeepAlive(keep)
	return newTensor(h)
}

func (t *Tensor) binary(op string, code C.int, o *Tensor) *Tensor {
	return result(op, func(out *C.tt_tensor) C.tt_error {
		return C.tt_binary(code, t.handle(), o.handle(), out)
	}, t, o)
}

func (t *Tensor) binaryScalar(op string, code C.int, s float64) *Tensor {
	return result(op, func(out *C.tt_tensor) C.tt_error {
		return C.tt_binary_scalar(code, t.handle(), C.double(s), out)
	}, t)
}

// Add returns t + o (broadcasting).
func (t *Tensor) Add(o *Tensor) *Tensor { return t.binary("add", C.TT_ADD, o) }

// Sub returns t - o (broadcasting).
func (t *Tensor) Sub(o *Tensor) *Tensor { return t.binary("sub", C.TT_SUB, o) }

// Mul returns t * o elementwise (broadcasting).
func (t *Tensor) Mul(o *Tensor) *Tensor { return t.binary("mul", C.TT_MUL, o) }

// Div returns t / o elementwise (broadcasting; true division).
func (t *Tensor) Div(o *Tensor) *Tensor { return t.binary("div", C.TT_DIV, o) }

// AddScalar returns t + s.
func (t *Tensor) AddScalar(s float64) *Tensor { return t.binaryScalar("add", C.TT_ADD, s) }

// SubScalar returns t - s.
func (t *Tensor) SubScalar(s float64) *Tensor { return t.binaryScalar("sub", C.TT_SUB, s) }

// MulScalar returns t * s.
func (t *Tensor) MulScalar(s float64) *Tensor { return t.binaryScalar("mul", C.TT_MUL, s) }

// DivScalar returns t / s.
func (t *Tensor) DivScalar(s float64) *Tensor { return t.binaryScalar("div", C.TT_DIV, s) }

// MatMul returns the matrix product, with torch.matmul's broadcasting rules.
func (t *Tensor) MatMul(o *Tensor) *Tensor {
	return result("matmul", func(out *C.tt_tensor) C.tt_error {
		return C.tt_matmul(t.handle(), o.handle(), out)
	}, t, o)
}

// Relu returns max(t, 0).
func (t *Tensor) Relu() *Tensor {
	return result("relu", func(out *C.tt_tensor) C.tt_error { return C.tt_relu(t.handle(), out) }, t)
}

// Clamp returns min(max(t, lo), hi) elementwise, in t's dtype.
func (t *Tensor) Clamp(lo, hi float64) *Tensor {
	return result("clamp", func(out *C.tt_tensor) C.tt_error { return C.tt_clamp(t.handle(), C.double(lo), C.double(hi), out) }, t)
}

// Floor returns the largest integer not above each element, for
// floating-point tensors.
func (t *Tensor) Floor() *Tensor {
	return result("floor", func(out *C.tt_tensor) C.tt_error { return C.tt_floor(t.handle(), out) }, t)
}

// Softmax returns softmax along dim (negative dims count from the end).
func (t *Tensor) Softmax(dim int64) *Tensor {
	return result("softmax", func(out *C.tt_tensor) C.tt_error {
		return C.tt_softmax(t.handle(), C.int64_t(dim), 0, out)
	}, t)
}

// LogSoftmax returns log(softmax) along dim, computed stably.
func (t *Tensor) LogSoftmax(dim int64) *Tensor {
	return result("log_softmax", func(out *C.tt_tensor) C.tt_error {
		return C.tt_softmax(t.handle(), C.int64_t(dim), 1, out)
	}, t)
}

// Reduction says how per-sample losses are combined.
type Reduction int

// The reductions.
const (
	ReduceNone Reduction = C.TT_REDUCE_NONE // one loss per sample
	ReduceMean Reduction = C.TT_REDUCE_MEAN
	ReduceSum  Reduction = C.TT_REDUCE_SUM
)

// CrossEntropy returns the cross-entropy of logits [N,C] against class
// indices targets [N] (int64), as torch.nn.functional.cross_entropy.
func CrossEntropy(logits, targets *Tensor, r Reduction) *Tensor {
	return result("cross_entropy", func(out *C.tt_tensor) C.tt_error {
		return C.tt_cross_entropy(logits.handle(), targets.handle(), C.int(r), out)
	}, logits, targets)
}

// Argmax returns the indices (int64) of the largest values along dim.
func (t *Tensor) Argmax(dim int64, keepdim bool) *Tensor {
	return result("argmax", func(out *C.tt_tensor) C.tt_error {
		return C.tt_argmax(t.handle(), C.int64_t(dim), cBool(keepdim), out)
	}, t)
}

// TopK returns the k largest values along dim, sorted in descending order,
// and their indices (int64).
func (t *Tensor) TopK(k, dim int64) (values, indices *Tensor) {
	var v, i C.tt_tensor
	must("topk", C.tt_topk(t.handle(), C.int64_t(k), C.int64_t(dim), 1, &v, &i))
	runtime.KeepAlive(t)
	return newTensor(v), newTensor(i)
}

func (t *Tensor) reduce(op string, code C.int, dims []int64, keepdim bool) *Tensor {
	return result(op, func(out *C.tt_tensor) C.tt_error {
		return C.tt_reduce(code, t.handle(), cInt64s(dims), C.int(len(dims)), cBool(keepdim), out)
	}, t)
}

// Sum returns the sum of all elements as a scalar tensor.
func (t *Tensor) Sum() *Tensor { return t.reduce("sum", C.TT_REDUCE_SUM, nil, false) }

// Mean returns the mean of all elements as a scalar tensor.
func (t *Tensor) Mean() *Tensor { return t.reduce("mean", C.TT_REDUCE_MEAN, nil, false) }

// SumDims sums over the given dims.
func (t *Tensor) SumDims(dims []int64, keepdim bool) *Tensor {
	return t.reduce("sum", C.TT_REDUCE_SUM, dims, keepdim)
}

// MeanDims averages over the given dims.
func (t *Tensor) MeanDims(dims []int64, keepdim bool) *Tensor {
	return t.reduce("mean", C.TT_REDUCE_MEAN, dims, keepdim)
}

func handles(ts []*Tensor) []C.tt_tensor {
	hs := make([]C.tt_tensor, len(ts))
	for i, t := range ts {
		hs[i] = t.handle()
	}
	return hs
}

func join(op string, ts []*Tensor, dim int64, f func(*C.tt_tensor, C.int, C.int64_t, *C.tt_tensor) C.tt_error) *Tensor {
	if len(ts) == 0 {
		panic(&Error{Op: op, Msg: "no tensors given"})
	}
	hs := handles(ts)
	return result(op, func(out *C.tt_tensor) C.tt_error {
		return f(&hs[0], C.int(len(hs)), C.int64_t(dim), out)
	}, ts...)
}

// Stack joins tensors of equal shape along a new dimension dim.
func Stack(ts []*Tensor, dim int64) *Tensor {
	return join("stack", ts, dim, func(h *C.tt_tensor, n C.int, d C.int64_t, out *C.tt_tensor) C.tt_error {
		return C.tt_stack(h, n, d, out)
	})
}

// Cat concatenates tensors along the existing dimension dim.
func Cat(ts []*Tensor, dim int64) *Tensor {
	return join("cat", ts, dim, func(h *C.tt_tensor, n C.int, d C.int64_t, out *C.tt_tensor) C.tt_error {
		return C.tt_cat(h, n, d, out)
	})
}

// Narrow returns the view of length elements along dim starting at start.
func (t *Tensor) Narrow(dim, start, length int64) *Tensor {
	return result("narrow", func(out *C.tt_tensor) C.tt_error {
		return C.tt_narrow(t.handle(), C.int64_t(dim), C.int64_t(start), C.int64_t(length), out)
	}, t)
}

// IndexSelect gathers the entries at index (an int64 vector) along dim.
func (t *Tensor) IndexSelect(dim int64, index *Tensor) *Tensor {
	return result("index_select", func(out *C.tt_tensor) C.tt_error {
		return C.tt_index_select(t.handle(), C.int64_t(dim), index.handle(), out)
	}, t, index)
}

// Reshape returns the tensor with a new shape (one dimension may be -1).
func (t *Tensor) Reshape(shape ...int64) *Tensor {
	return result("reshape", func(out *C.tt_tensor) C.tt_error {
		return C.tt_reshape(t.handle(), cInt64s(shape), C.int(len(shape)), out)
	}, t)
}

// Permute returns a view with the dimensions reordered.
func (t *Tensor) Permute(dims ...int64) *Tensor {
	return result("permute", func(out *C.tt_tensor) C.tt_error {
		return C.tt_permute(t.handle(), cInt64s(dims), C.int(len(dims)), out)
	}, t)
}

// Contiguous returns the tensor laid out contiguously in row-major order.
func (t *Tensor) Contiguous() *Tensor {
	return t.ContiguousAs(ContiguousFormat)
}

// Detach returns a tensor sharing t's data but cut from the autograd graph.
func (t *Tensor) Detach() *Tensor {
	return result("detach", func(out *C.tt_tensor) C.tt_error { return C.tt_detach(t.handle(), out) }, t)
}

// Clone returns a contiguous copy with its own storage, cut from the autograd graph.
func (t *Tensor) Clone() *Tensor {
	return result("clone", func(out *C.tt_tensor) C.tt_error { return C.tt_clone(t.handle(), out) }, t)
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
