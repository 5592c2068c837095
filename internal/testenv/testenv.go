// Package testenv finds what the project's tests need outside Go: the
// Python interpreter with PyTorch (the reference for golden values and
// round trips) and the ResNet-34 fixture that `make fixtures` exports.
package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
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

// Root returns the repository's root folder: $TUNETORCH_ROOT when set (a
// test binary run on another machine, e.g. by scripts/gpu/check.sh, where
// the tree is not where it was compiled), else the folder it was compiled in.
func Root() string {
	if r := os.Getenv("TUNETORCH_ROOT"); r != "" {
		return r
	}
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
	return fixture(t, "TUNETORCH_RESNET34", "resnet34.pt")
}

// ResNet34Int8 returns the same ResNet-34 quantized to int8
// (scripts/export_backbone.py --quantize int8): $TUNETORCH_RESNET34_INT8, else
// build/cache/resnet34-int8.pt. The test fails when it is missing.
func ResNet34Int8(t testing.TB) string {
	t.Helper()
	return fixture(t, "TUNETORCH_RESNET34_INT8", "resnet34-int8.pt")
}

func fixture(t testing.TB, env, name string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p = filepath.Join(Root(), "build", "cache", name)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the test fixture %s is missing (%v): run `make fixtures` (or make test)", name, err)
	}
	return p
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago (for
// a rendezvous).
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartRanks runs the test named run of the current test binary as world
// processes with torchrun's environment (MASTER_ADDR 127.0.0.1, a free
// MASTER_PORT, RANK, LOCAL_RANK, WORLD_SIZE, one OpenMP thread each) plus
// extra variables, waits for them (two minutes at most) and returns each
// rank's combined output and exit error.
func StartRanks(t testing.TB, run string, world int, extra ...string) ([]string, []error) {
	t.Helper()
	port := FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, world)
	bufs := make([]*strings.Builder, world)
	for r := range world {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+run+"$", "-test.v")
		cmd.Env = append(append(os.Environ(), "MASTER_ADDR=127.0.0.1", fmt.Sprintf("MASTER_PORT=%d", port),
			fmt.Sprintf("RANK=%d", r), fmt.Sprintf("LOCAL_RANK=%d", r), fmt.Sprintf("WORLD_SIZE=%d", world), "OMP_NUM_THREADS=1"), extra...)
		bufs[r] = &strings.Builder{}
		cmd.Stdout, cmd.Stderr = bufs[r], bufs[r]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[r] = cmd
	}
	outs, errs := make([]string, world), make([]error, world)
	for r, cmd := range cmds {
		errs[r] = cmd.Wait()
		outs[r] = bufs[r].String()
	}
	return outs, errs
}
