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

// EncodeTensors serialises a dict of name → tensor in torch.save's format
// (torch/pickle_writer.go): Python's torch.load reads it back as a dict, with
// its default weights_only=True too (tensors land on the CPU).
func EncodeTensors(ts []NamedTensor) ([]byte, error) {
	return writeTorchArchive(ts)
}

// DecodeTensors reads a dict of name → tensor written by torch.save (e.g. a
// state_dict, an OrderedDict) or EncodeTensors, in the file's order. Only the
// zip format (torch.save's default since PyTorch 1.6) is read. The caller owns
// the tensors.
func DecodeTensors(data []byte) ([]NamedTensor, error) {
	if len(data) == 0 {
		return nil, &Error{Op: "load", Msg: "empty input"}
	}
	refs, storages, err := readTorchArchive(data)
	if err != nil {
		return nil, &Error{Op: "load", Msg: err.Error()}
	}
	out := make([]NamedTensor, 0, len(refs))
	for _, r := range refs {
		t, err := tensorFromStorage(r.ref, storages[r.ref.storage.key])
		if err != nil {
			CloseNamed(out)
			return nil, &Error{Op: "load", Msg: fmt.Sprintf("entry %q: %v", r.name, err)}
		}
		out = append(out, NamedTensor{Name: r.name, Tensor: t})
	}
	return out, nil
}

func tensorFromStorage(r tensorRef, storage []byte) (*Tensor, error) {
	var p unsafe.Pointer
	if len(storage) > 0 {
		p = unsafe.Pointer(&storage[0])
	}
	var h C.tt_tensor
	err := check("load", C.tt_tensor_from_storage(p, C.int64_t(len(storage)), C.int(r.storage.dtype),
		cInt64s(r.shape), cInt64s(r.stride), C.int(len(r.shape)), C.int64_t(r.offset), &h))
	runtime.KeepAlive(storage)
	if err != nil {
		return nil, err
	}
	return newTensor(h), nil
}

// SaveTensors writes ts to path with EncodeTensors, atomically: a failure
// leaves any previous file at path intact.
func SaveTensors(path string, ts []NamedTensor) error {
	data, err := EncodeTensors(ts)
	if err != nil {
		return withOp("save "+path, err)
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
		return nil, withOp("load "+path, err)
	}
	return ts, nil
}

// CloseNamed closes every tensor in ts.
func CloseNamed(ts []NamedTensor) {
	for _, t := range ts {
		t.Tensor.Close()
	}
}
