package torch

// #include <stdlib.h>
// #include "tunetorch.h"
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"unsafe"
)

// Module is a TorchScript module (a model saved with torch.jit.save after
// torch.jit.script or torch.jit.trace). Close it when done.
type Module struct {
	h    C.tt_module
	path string
}

// Load reads a TorchScript module from path onto dev. A missing file, a file
// that is not TorchScript (e.g. a pickled state_dict), a truncated one, or a
// device this libtorch lacks gives an error naming the file.
func Load(path string, dev Device) (*Module, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("torch: load model: %w", err)
	} else if st.IsDir() {
		return nil, fmt.Errorf("torch: load model %s: is a directory, not a TorchScript file", path)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var h C.tt_module
	if err := check("load", C.tt_module_load(cpath, C.int(dev.Type), C.int(dev.Index), &h)); err != nil {
		return nil, withOp("load model "+path+" (is it a TorchScript file from torch.jit.save?)", err)
	}
	m := &Module{h: h, path: path}
	runtime.SetFinalizer(m, (*Module).Close)
	return m, nil
}

func (m *Module) handle() C.tt_module {
	if m == nil || m.h == nil {
		panic(&Error{Op: "module", Msg: "use of a closed or nil Module"})
	}
	return m.h
}

// Close releases the module. It is safe to call more than once.
func (m *Module) Close() {
	if m == nil || m.h == nil {
		return
	}
	C.tt_module_free(m.h)
	m.h = nil
	runtime.SetFinalizer(m, nil)
}

func (m *Module) forward(inputs []*Tensor, mode C.int, autocast Dtype) (*Tensor, error) {
	cast := C.int(-1)
	if autocast != Float32 {
		cast = C.int(autocast)
	}
	hs := handles(inputs)
	var p *C.tt_tensor
	if len(hs) > 0 {
		p = &hs[0]
	}
	var h C.tt_tensor
	err := check("forward", C.tt_module_forward(m.handle(), p, C.int(len(hs)), mode, cast, &h))
	runtime.KeepAlive(m)
	runtime.KeepAlive(inputs)
	if err != nil {
		return nil, withOp("forward "+filepath.Base(m.path), err)
	}
	return newTensor(h), nil
}

// Forward runs the module's forward method, recording the autograd graph.
// The method must return a single tensor. Inputs of the wrong shape or dtype
// give libtorch's error.
func (m *Module) Forward(inputs ...*Tensor) (*Tensor, error) {
	return m.forward(inputs, C.TT_GRAD, Float32)
}

// ForwardNoGrad runs forward without recording a graph (torch.no_grad): the
// way to use a frozen feature extractor.
func (m *Module) ForwardNoGrad(inputs ...*Tensor) (*Tensor, error) {
	return m.forward(inputs, C.TT_NO_GRAD, Float32)
}

// ForwardInference runs forward under torch.inference_mode: a little faster
// than ForwardNoGrad, but its outputs can never be used in a graph that is
// backpropagated (not even as inputs to a trained head). For prediction only.
func (m *Module) ForwardInference(inputs ...*Tensor) (*Tensor, error) {
	return m.forward(inputs, C.TT_INFERENCE, Float32)
}

// ForwardAutocast is ForwardNoGrad under automatic mixed precision
// (torch.autocast) with dtype BFloat16 or Float16 for the inputs' device
// type: matrix products and convolutions run in the low precision. The
// output is converted back to float32. Float32 means no autocast.
func (m *Module) ForwardAutocast(dtype Dtype, inputs ...*Tensor) (*Tensor, error) {
	return m.forward(inputs, C.TT_NO_GRAD, dtype)
}

// Eval puts the module and its submodules in evaluation mode (BatchNorm uses
// running statistics, dropout is off).
func (m *Module) Eval() { must("eval", C.tt_module_set_training(m.handle(), 0)); runtime.KeepAlive(m) }

// Train puts the module and its submodules in training mode.
func (m *Module) Train() {
	must("train", C.tt_module_set_training(m.handle(), 1))
	runtime.KeepAlive(m)
}

// IsTraining reports whether the module is in training mode.
func (m *Module) IsTraining() bool {
	r := C.tt_module_is_training(m.handle()) != 0
	runtime.KeepAlive(m)
	return r
}

// To moves the module's parameters and buffers to dev.
func (m *Module) To(dev Device) error {
	err := check("to "+dev.String(), C.tt_module_to(m.handle(), C.int(dev.Type), C.int(dev.Index)))
	runtime.KeepAlive(m)
	return err
}

// NamedParameters returns the parameters of the module and its submodules,
// named as in PyTorch ("layer1.0.conv1.weight"). The tensors share the
// module's storage; the caller closes the returned handles.
func (m *Module) NamedParameters() []NamedTensor {
	var n C.int
	var names **C.char
	var hs *C.tt_tensor
	must("named_parameters", C.tt_module_named_parameters(m.handle(), &n, &names, &hs))
	runtime.KeepAlive(m)
	defer C.free(unsafe.Pointer(names))
	defer C.free(unsafe.Pointer(hs))
	ns := unsafe.Slice(names, int(n))
	ts := unsafe.Slice(hs, int(n))
	out := make([]NamedTensor, n)
	for i := range out {
		out[i] = NamedTensor{Name: C.GoString(ns[i]), Tensor: newTensor(ts[i])}
		C.free(unsafe.Pointer(ns[i]))
	}
	return out
}

// Save writes the module as TorchScript to path.
func (m *Module) Save(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if err := check("save", C.tt_module_save(m.handle(), cpath)); err != nil {
		return withOp("save model "+path, err)
	}
	runtime.KeepAlive(m)
	return nil
}

// Clone returns a deep copy of the module (its parameters and buffers
// copied), e.g. to put a replica on another device.
func (m *Module) Clone() (*Module, error) {
	var h C.tt_module
	if err := check("clone", C.tt_module_clone(m.handle(), &h)); err != nil {
		return nil, err
	}
	runtime.KeepAlive(m)
	c := &Module{h: h, path: m.path}
	runtime.SetFinalizer(c, (*Module).Close)
	return c, nil
}

// Freeze returns a frozen copy of the module (torch.jit.freeze: parameters
// and attributes inlined as constants), further optimised for inference
// (torch.jit.optimize_for_inference) when optimize is true. The module must
// be in eval mode. The copy only runs forward; the original stays usable.
// See OptimizeForInferenceVerified before optimising on another libtorch.
func (m *Module) Freeze(optimize bool) (*Module, error) {
	var h C.tt_module
	if err := check("freeze", C.tt_module_freeze(m.handle(), cBool(optimize), &h)); err != nil {
		return nil, err
	}
	runtime.KeepAlive(m)
	f := &Module{h: h, path: m.path}
	runtime.SetFinalizer(f, (*Module).Close)
	return f, nil
}

// OptimizeForInferenceVerified reports whether optimize_for_inference
// (Freeze(true)) is verified to run correctly on the loaded libtorch: 1.x
// (Debian's 1.13, where this package's tests check its outputs against the
// plain module's) and 2.11 on (the PyTorch 2.11 wheel, CUDA 13 build: the
// same tests, and scripts/compat/optimize_check.py on the CPU and the GPU).
// On Debian's libtorch 2.6 an optimised ResNet corrupts memory when it runs
// on the CPU (a crash or a hang; PyTorch's own Python API does the same),
// and 2.0 to 2.10 have not been checked otherwise, so callers such as
// examples/dogbreed leave the optimisation off there unless asked for it.
func OptimizeForInferenceVerified() bool { return optimizeVerifiedOn(Version()) }

// optimizeVerifiedOn is OptimizeForInferenceVerified for a version string
// as Version returns it ("2.11.0 (CUDA build)").
func optimizeVerifiedOn(version string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major == 1 || major > 2 || (major == 2 && minor >= 11)
}
