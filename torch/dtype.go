package torch

import "fmt"

// Dtype is a tensor's element type. The values match the shim's TT_* codes.
type Dtype int

// The element types.
const (
	Float32 Dtype = iota
	Float64
	Float16
	BFloat16
	Int64
	Int32
	Uint8
	Bool
)

var dtypeNames = [...]string{"float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool"}

// String returns the PyTorch name without the "torch." prefix, e.g. "float32".
func (d Dtype) String() string {
	if d >= 0 && int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("Dtype(%d)", int(d))
}

// Size is the number of bytes of one element.
func (d Dtype) Size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Float16, BFloat16:
		return 2
	default:
		return 1
	}
}

// Element is a Go type that maps to a Dtype, for copying data in and out.
type Element interface {
	~float32 | ~float64 | ~int64 | ~int32 | ~uint8 | ~bool
}

// dtypeOf returns the Dtype of Go element type T.
func dtypeOf[T Element]() Dtype {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case int64:
		return Int64
	case int32:
		return Int32
	case uint8:
		return Uint8
	case bool:
		return Bool
	}
	panic(fmt.Sprintf("torch: no dtype for Go type %T", z))
}
