// Package testenv finds what the project's tests need outside Go: the
// Python interpreter with PyTorch (the reference for golden values and
// round trips) and the ResNet-34 fixture that `make fixtures` exports.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Python returns the interpreter with PyTorch: $TUNETORCH_PYTHON, else
// /usr/bin/python3 (Debian's, where `make deps` installs python3-torch). The
// test fails, saying how to get it, when PyTorch is not importable.
func Python(t testing.TB) string {
	t.Helper()
	py := os.Getenv("TUNETORCH_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if out, err := exec.Command(py, "-c", "import torch").CombinedOutput(); err != nil {
		t.Fatalf("this test needs %s with PyTorch (make deps installs python3-torch): %v: %s", py, err, out)
	}
	return py
}

// Root returns the repository's root folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Script returns the path of a reference script in scripts/golden.
func Script(name string) string { return filepath.Join(Root(), "scripts", "golden", name) }

// ResNet34 returns the ResNet-34 fixture (random weights): $TUNETORCH_RESNET34,
// else build/cache/resnet34.pt. The test fails, saying how to make it, when
// the file is missing.
func ResNet34(t testing.TB) string {
	t.Helper()
	p := os.Getenv("TUNETORCH_RESNET34")
	if p == "" {
		p = filepath.Join(Root(), "build", "cache", "resnet34.pt")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the ResNet-34 fixture is missing (%v): run `make fixtures` (or make test)", err)
	}
	return p
}
