package torch

/*
#cgo CFLAGS: -I${SRCDIR}/csrc
#cgo LDFLAGS: -L${SRCDIR}/../build -Wl,-rpath,${SRCDIR}/../build -ltunetorch
#include <stdlib.h>
#include "tunetorch.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Error is a failure reported by libtorch or the shim. Op names the operation,
// Msg is libtorch's message.
type Error struct {
	Op  string
	Msg string
}

// Error returns "torch: <op>: <libtorch message>".
func (e *Error) Error() string { return "torch: " + e.Op + ": " + e.Msg }

// Recover turns a panic carrying a *Error (a failed tensor operation) into an
// error stored in *err, for use as `defer torch.Recover(&err)`. Other panics
// propagate unchanged. An error already in *err is kept.
func Recover(err *error) {
	r := recover()
	if r == nil {
		return
	}
	te, ok := r.(*Error)
	if !ok {
		panic(r)
	}
	if *err == nil {
		*err = te
	}
}

// check converts a shim status into a Go error, freeing the C message.
func check(op string, e C.tt_error) error {
	if e == nil {
		return nil
	}
	msg := C.GoString(e)
	C.free(unsafe.Pointer(e))
	return &Error{Op: op, Msg: msg}
}

// withOp re-labels a *Error with a fuller operation name (e.g. one naming a
// file); other errors are wrapped.
func withOp(op string, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Op: op, Msg: e.Msg}
	}
	return fmt.Errorf("torch: %s: %w", op, err)
}

// must panics with the *Error of a failed shim call: for programmer errors.
func must(op string, e C.tt_error) {
	if err := check(op, e); err != nil {
		panic(err)
	}
}

// cInt64s returns a pointer to the first element of s for a C call, or nil
// when s is empty (a Go slice's memory holds no Go pointers here).
func cInt64s(s []int64) *C.int64_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.int64_t)(unsafe.Pointer(&s[0]))
}

func init() {
	if got, want := int(C.tt_abi_version()), int(C.TT_ABI_VERSION); got != want {
		panic(fmt.Sprintf("torch: the loaded libtunetorch has ABI version %d but this Go package "+
			"expects %d: rebuild the shim from the same sources (make build); if the shim is the newer, "+
			"Go's build cache holds this package compiled against an older torch/csrc/tunetorch.h "+
			"(it does not track that folder): go clean -cache", got, want))
	}
	initHugePages()
	installCPUCache()
	initThreads()
	initBLASCore()
	initBLASThreads()
}
