package buildcheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tunetorch/tunetorch/internal/testenv"
)

// sourceTree copies what building the shim reads (CMakeLists.txt,
// torch/csrc) and third_party/fetch-libtorch.sh into a temporary folder, so
// that a test can unpack archives into its third_party/ and configure it.
func sourceTree(t *testing.T) string {
	t.Helper()
	root, dir := testenv.Root(), t.TempDir()
	copyFile(t, filepath.Join(root, "CMakeLists.txt"), filepath.Join(dir, "CMakeLists.txt"), 0o644)
	copyFile(t, filepath.Join(root, "third_party", "fetch-libtorch.sh"), filepath.Join(dir, "third_party", "fetch-libtorch.sh"), 0o755)
	sources, err := filepath.Glob(filepath.Join(root, "torch", "csrc", "*"))
	if err != nil || len(sources) == 0 {
		t.Fatalf("no shim sources under %s/torch/csrc (%v)", root, err)
	}
	for _, src := range sources {
		copyFile(t, src, filepath.Join(dir, "torch", "csrc", filepath.Base(src)), 0o644)
	}
	return dir
}

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	body, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, body, mode); err != nil {
		t.Fatal(err)
	}
}

// cleanEnv is the test's environment without the variables that would steer
// the scripts away from what a test sets up (LIBTORCH, LIBTORCH_MIRROR).
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIBTORCH=") && !strings.HasPrefix(kv, "LIBTORCH_MIRROR=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// run runs a command in dir and returns its combined output and error.
func run(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
