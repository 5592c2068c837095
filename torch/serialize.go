package torch

// #include <stdlib.h>
// #include "tunetorch.h"
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"github.com/tunetorch/tunetorch/internal/atomicfile"
)

// EncodeTensors serialises a dict of name → tensor in torch.save's format:
// Python's torch.load reads it back as a dict (tensors land on the CPU).
func EncodeTensors(ts []NamedTensor) ([]byte, error) {
	names := make([]*C.char, len(ts))
	for i, t := range ts {
		names[i] = C.CString(t.Name)
	}
	defer func() {
		for _, n := range names {
			C.free(unsafe.Pointer(n))
		}
	}()
	hs := make([]C.tt_tensor, len(ts))
	for i, t := range ts {
		hs[i] = t.Tensor.handle()
	}
	var pn **C.char
	var ph *C.tt_tensor
	if len(ts) > 0 {
		pn, ph = &names[0], &hs[0]
	}
	var data *C.char
	var n C.int64_t
	err := check("save", C.tt_save_dict(pn, ph, C.int(len(ts)), &data, &n))
	runtime.KeepAlive(ts)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(data))
	return C.GoBytes(unsafe.Pointer(data), C.int(n)), nil
}

// DecodeTensors reads a dict of name → tensor written by torch.save (e.g. a
// state_dict) or EncodeTensors, in the file's order. The caller owns the tensors.
func DecodeTensors(data []byte) ([]NamedTensor, error) {
	if len(data) == 0 {
		return nil, &Error{Op: "load", Msg: "empty input"}
	}
	var n C.int
	var names **C.char
	var hs *C.tt_tensor
	err := check("load", C.tt_load_dict((*C.char)(unsafe.Pointer(&data[0])), C.int64_t(len(data)), &n, &names, &hs))
	runtime.KeepAlive(data)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(names))
	defer C.free(unsafe.Pointer(hs))
	ns := unsafe.Slice(names, int(n))
	ts := unsafe.Slice(hs, int(n))
	out := make([]NamedTensor, n)
	for i := range out {
		out[i] = NamedTensor{Name: C.GoString(ns[i]), Tensor: newTensor(ts[i])}
		C.free(unsafe.Pointer(ns[i]))
	}
	return out, nil
}

// SaveTensors writes ts to path with EncodeTensors, atomically: a failure
// leaves any previous file at path intact.
func SaveTensors(path string, ts []NamedTensor) error {
	data, err := EncodeTensors(ts)
	if err != nil {
		return fmt.Errorf("torch: save %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, 0o644, data); err != nil {
		return fmt.Errorf("torch: %w", err)
	}
	return nil
}

// LoadTensors reads a file written by torch.save or SaveTensors. The caller
// owns the tensors.
func LoadTensors(path string) ([]NamedTensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("torch: %w", err)
	}
	ts, err := DecodeTensors(data)
	if err != nil {
		return nil, fmt.Errorf("torch: load %s: %w", path, err)
	}
	return ts, nil
}

// CloseNamed closes every tensor in ts.
func CloseNamed(ts []NamedTensor) {
	for _, t := range ts {
		t.Tensor.Close()
	}
}
