package testenv

import (
	"syscall"
	"testing"
)

// WithFileSizeLimit runs f with the process's RLIMIT_FSIZE at limit bytes:
// writes to regular files past it fail with EFBIG, as on a full disk (the Go
// runtime ignores SIGXFSZ; root is bound by the soft limit too). Pipes are
// not affected.
func WithFileSizeLimit(t testing.TB, limit uint64, f func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
	}()
	f()
}
