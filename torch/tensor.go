package torch

// #include <stdlib.h>
// #include "tunetorch.h"
import "C"

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Tensor is an n-dimensional array held by libtorch. Close it when done.
type Tensor struct {
	h C.tt_tensor
}

// NamedTensor pairs a tensor with its name, as in a PyTorch state_dict.
type NamedTensor struct {
	Name   string
	Tensor *Tensor
}

var liveTensors atomic.Int64

// LiveTensors returns the number of tensors created by this package and not
// yet closed (or finalized). A loop that frees what it makes keeps it flat.
func LiveTensors() int64 { return liveTensors.Load() }

// newTensor takes ownership of a shim handle.
func newTensor(h C.tt_tensor) *Tensor {
	if h == nil {
		return nil
	}
	t := &Tensor{h: h}
	liveTensors.Add(1)
	runtime.SetFinalizer(t, (*Tensor).Close)
	return t
}

// Close releases the tensor's libtorch memory (shared storage is freed when
// its last user goes). It is safe to call more than once, and on nil.
func (t *Tensor) Close() {
	if t == nil || t.h == nil {
		return
	}
	C.tt_tensor_free(t.h)
	t.h = nil
	liveTensors.Add(-1)
	runtime.SetFinalizer(t, nil)
}

// CloseAll closes every tensor given; nil entries are skipped.
func CloseAll(ts ...*Tensor) {
	for _, t := range ts {
		t.Close()
	}
}

// handle returns the live shim handle, panicking on a closed tensor.
func (t *Tensor) handle() C.tt_tensor {
	if t == nil || t.h == nil {
		panic(&Error{Op: "tensor", Msg: "use of a closed or nil Tensor"})
	}
	return t.h
}

// FromSlice copies data into a new CPU tensor of the given shape (row-major).
// The number of elements must equal the product of shape; no shape makes a
// scalar. FromSliceOn makes it on another device.
func FromSlice[T Element](data []T, shape ...int64) (*Tensor, error) {
	return FromSliceOn(data, CPU, shape...)
}

// FromSliceOn copies data into a new tensor of the given shape on dev. To a
// GPU it copies once into page-locked host memory and queues the transfer
// on the GPU's stream without waiting for it (what PyTorch's
// pin_memory() + to(non_blocking=True) do in two copies): data may be
// reused as soon as it returns.
func FromSliceOn[T Element](data []T, dev Device, shape ...int64) (*Tensor, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return nil, &Error{Op: "from_slice", Msg: fmt.Sprintf("negative dimension in shape %v", shape)}
		}
		n *= d
	}
	if n != int64(len(data)) {
		return nil, &Error{Op: "from_slice", Msg: fmt.Sprintf("%d elements do not fill shape %v (%d)", len(data), shape, n)}
	}
	dt := dtypeOf[T]()
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	var h C.tt_tensor
	err := check("from_slice", C.tt_tensor_from_data(p, C.int64_t(n*int64(dt.Size())), cInt64s(shape),
		C.int(len(shape)), C.int(dt), C.int(dev.Type), C.int(dev.Index), &h))
	runtime.KeepAlive(data)
	if err != nil {
		return nil, err
	}
	return newTensor(h), nil
}

// MustFromSlice is FromSlice for data known to fit its shape; it panics otherwise.
func MustFromSlice[T Element](data []T, shape ...int64) *Tensor {
	t, err := FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

func fill(kind C.int, op string, shape []int64, dtype Dtype, dev Device) (*Tensor, error) {
	var h C.tt_tensor
	if err := check(op, C.tt_tensor_fill(kind, cInt64s(shape), C.int(len(shape)), C.int(dtype),
		C.int(dev.Type), C.int(dev.Index), &h)); err != nil {
		return nil, err
	}
	return newTensor(h), nil
}

// Zeros returns a tensor of zeros.
func Zeros(shape []int64, dtype Dtype, dev Device) (*Tensor, error) {
	return fill(C.TT_ZEROS, "zeros", shape, dtype, dev)
}

// Ones returns a tensor of ones.
func Ones(shape []int64, dtype Dtype, dev Device) (*Tensor, error) {
	return fill(C.TT_ONES, "ones", shape, dtype, dev)
}

// Rand returns a tensor of samples from U[0,1), drawn from libtorch's generator.
func Rand(shape []int64, dtype Dtype, dev Device) (*Tensor, error) {
	return fill(C.TT_RAND, "rand", shape, dtype, dev)
}

// Randn returns a tensor of samples from N(0,1), drawn from libtorch's generator.
func Randn(shape []int64, dtype Dtype, dev Device) (*Tensor, error) {
	return fill(C.TT_RANDN, "randn", shape, dtype, dev)
}

// CopyTo copies the tensor's elements, in row-major order, into dst, which must
// have exactly Numel elements of the tensor's dtype. The tensor may be on any
// device and in any layout.
func CopyTo[T Element](t *Tensor, dst []T) error {
	dt := dtypeOf[T]()
	var p unsafe.Pointer
	if len(dst) > 0 {
		p = unsafe.Pointer(&dst[0])
	}
	return copyOut(t, p, len(dst)*dt.Size(), dt)
}

// copyOut copies the tensor's elements, row-major and as dtype dt (which
// must be the tensor's), into the nbytes at dst.
func copyOut(t *Tensor, dst unsafe.Pointer, nbytes int, dt Dtype) error {
	err := check("copy_to", C.tt_tensor_copy_data(t.handle(), dst, C.int64_t(nbytes), C.int(dt)))
	runtime.KeepAlive(t)
	return err
}

// Data returns a copy of the tensor's elements in row-major order. T must match
// the tensor's dtype.
func Data[T Element](t *Tensor) ([]T, error) {
	dst := make([]T, t.Numel())
	if err := CopyTo(t, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// Float32s returns a copy of a float32 tensor's elements; it panics on another dtype.
func (t *Tensor) Float32s() []float32 {
	v, err := Data[float32](t)
	if err != nil {
		panic(err)
	}
	return v
}

// Int64s returns a copy of an int64 tensor's elements; it panics on another dtype.
func (t *Tensor) Int64s() []int64 {
	v, err := Data[int64](t)
	if err != nil {
		panic(err)
	}
	return v
}

// Float64s returns a copy of a float64 tensor's elements; it panics on another dtype.
func (t *Tensor) Float64s() []float64 {
	v, err := Data[float64](t)
	if err != nil {
		panic(err)
	}
	return v
}

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int {
	n := int(C.tt_tensor_ndim(t.handle()))
	runtime.KeepAlive(t)
	return n
}

// Shape returns the size of each dimension.
func (t *Tensor) Shape() []int64 {
	shape := make([]int64, t.Dim())
	if len(shape) > 0 {
		C.tt_tensor_shape(t.h, cInt64s(shape))
	}
	runtime.KeepAlive(t)
	return shape
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int64 {
	n := int64(1)
	for _, d := range t.Shape() {
		n *= d
	}
	return n
}

// Dtype returns the element type.
func (t *Tensor) Dtype() Dtype {
	d := Dtype(C.tt_tensor_dtype(t.handle()))
	runtime.KeepAlive(t)
	return d
}

// Device returns where the tensor lives.
func (t *Tensor) Device() Device {
	var typ, idx C.int
	C.tt_tensor_device(t.handle(), &typ, &idx)
	runtime.KeepAlive(t)
	return Device{Type: DeviceType(typ), Index: int(idx)}
}

// Item returns the value of a one-element tensor as a float64; it panics if
// the tensor has more than one element.
func (t *Tensor) Item() float64 {
	var v C.double
	must("item", C.tt_tensor_item(t.handle(), &v))
	runtime.KeepAlive(t)
	return float64(v)
}

// String formats the tensor as libtorch prints it.
func (t *Tensor) String() string {
	if t == nil || t.h == nil {
		return "Tensor(closed)"
	}
	var s *C.char
	if err := check("string", C.tt_tensor_string(t.h, &s)); err != nil {
		return err.Error()
	}
	runtime.KeepAlive(t)
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s)
}

// To returns a copy of the tensor on dev (the same tensor's data when it is
// already there). Moving to a CUDA device on a CPU build of libtorch, or to a
// GPU that does not exist, is an error that says so.
func (t *Tensor) To(dev Device) (*Tensor, error) {
	var h C.tt_tensor
	err := check("to "+dev.String(), C.tt_tensor_to(t.handle(), C.int(dev.Type), C.int(dev.Index), -1, &h))
	runtime.KeepAlive(t)
	if err != nil {
		return nil, err
	}
	return newTensor(h), nil
}

// PinMemory returns a copy of a CPU tensor in page-locked host memory, from
// which To copies to a GPU asynchronously (the copy overlaps the GPU's work).
// It needs a CUDA build of libtorch and a GPU; it is an error otherwise.
func (t *Tensor) PinMemory() (*Tensor, error) {
	var h C.tt_tensor
	err := check("pin_memory", C.tt_tensor_pin_memory(t.handle(), &h))
	runtime.KeepAlive(t)
	if err != nil {
		return nil, err
	}
	return newTensor(h), nil
}

// ToDtype returns the tensor converted to dtype.
func (t *Tensor) ToDtype(dtype Dtype) *Tensor {
	dev := t.Device()
	var h C.tt_tensor
	must("to "+dtype.String(), C.tt_tensor_to(t.handle(), C.int(dev.Type), C.int(dev.Index), C.int(dtype), &h))
	runtime.KeepAlive(t)
	return newTensor(h)
}

// CopyFrom copies src's values into t in place, without recording autograd
// history. The shapes must match; dtype and device are converted.
func (t *Tensor) CopyFrom(src *Tensor) error {
	err := check("copy_from", C.tt_tensor_copy_(t.handle(), src.handle()))
	runtime.KeepAlive(t)
	runtime.KeepAlive(src)
	return err
}

// UniformInPlace fills t with samples from U[low, high) drawn from libtorch's
// generator, as tensor.uniform_ does, without recording autograd history.
func (t *Tensor) UniformInPlace(low, high float64) {
	must("uniform_", C.tt_tensor_uniform_(t.handle(), C.double(low), C.double(high)))
	runtime.KeepAlive(t)
}
