package torch

// #include "tunetorch.h"
import "C"

import (
	"fmt"
	"runtime"
)

// MemoryFormat is how a 4-D (N, C, H, W) tensor's elements are laid out.
// The shape and the values are the same in every format; only the strides
// differ, and with them which kernels libtorch picks.
type MemoryFormat int

const (
	// ContiguousFormat is row-major NCHW, PyTorch's torch.contiguous_format.
	ContiguousFormat MemoryFormat = C.TT_CONTIGUOUS_FORMAT
	// ChannelsLast stores each pixel's channels together (NHWC strides),
	// torch.channels_last: what cuDNN's fastest convolutions (tensor cores,
	// bf16/fp16) read.
	ChannelsLast MemoryFormat = C.TT_CHANNELS_LAST
)

// String gives PyTorch's name of the format.
func (f MemoryFormat) String() string {
	switch f {
	case ContiguousFormat:
		return "contiguous_format"
	case ChannelsLast:
		return "channels_last"
	}
	return fmt.Sprintf("MemoryFormat(%d)", int(f))
}

// ContiguousAs returns the tensor laid out in format f (t itself, as a new
// handle, when it already is). ChannelsLast needs a 4-D tensor.
func (t *Tensor) ContiguousAs(f MemoryFormat) *Tensor {
	return result("contiguous("+f.String()+")", func(out *C.tt_tensor) C.tt_error {
		return C.tt_contiguous(t.handle(), C.int(f), out)
	}, t)
}

// IsContiguousAs reports whether t is laid out in format f.
func (t *Tensor) IsContiguousAs(f MemoryFormat) bool {
	ok := C.tt_is_contiguous(t.handle(), C.int(f)) != 0
	runtime.KeepAlive(t)
	return ok
}

// ToMemoryFormat lays out every 4-D parameter and buffer of the module
// (convolution weights) in format f, in place, as Python's
// module.to(memory_format=f) does. A module whose weights are ChannelsLast
// keeps its activations ChannelsLast when its input is.
func (m *Module) ToMemoryFormat(f MemoryFormat) error {
	err := check("to "+f.String(), C.tt_module_to_memory_format(m.handle(), C.int(f)))
	runtime.KeepAlive(m)
	return err
}
