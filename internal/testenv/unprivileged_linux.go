package testenv

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// unprivilegedChild marks the copy of a test that runs as an ordinary user.
const unprivilegedChild = "TUNETORCH_UNPRIVILEGED_CHILD"

// nobody is the user id and group id the copy runs as (Debian's "nobody").
const nobody = 65534

// Unprivileged makes the calling test see file permissions as an ordinary
// user does (root ignores them: a read-only folder is writable for root).
// Called by an ordinary user, it returns true and the test goes on here.
// Called by root, it runs this one test again in a copy of the test binary
// as user nobody, fails if that run fails or does not run the test, and
// returns false: the caller returns at once. Use it first in the test, before
// any file is made: the copy makes its own. The copy runs in the package's
// folder when user nobody can reach it, else in a temporary folder (and then
// cannot read testdata/); tests that need the repository (testdata, the
// libtorch shim) call NeedRepositoryReachable first.
func Unprivileged(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return true
	}
	if os.Getenv(unprivilegedChild) != "" {
		t.Fatal("the unprivileged copy of the test still runs as root")
	}
	// The binary lives in Go's private build folder: copy it where nobody can run it.
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "test.bin")
	copyExecutable(t, bin)
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	cmd := exec.Command(bin, "-test.run="+strings.Join(pattern, "/"), "-test.v", "-test.count=1")
	cmd.Dir = dir
	if wd, err := os.Getwd(); err == nil && reachableByOthers(wd) {
		cmd.Dir = wd
	}
	cmd.Env = append(os.Environ(), unprivilegedChild+"=1", "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s as user nobody: %v\n%s", t.Name(), err, out)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("%s did not run as user nobody:\n%s", t.Name(), out)
	}
	t.Logf("ran as user nobody (uid %d): passed", nobody)
	return false
}

func copyExecutable(t *testing.T, dst string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// NeedRepositoryReachable skips the test, saying why, when it runs as root
// and user nobody cannot read the repository (a clone in /root): the
// unprivileged copy of a test could then neither load the libtorch shim from
// build/ nor read testdata/.
func NeedRepositoryReachable(t *testing.T) {
	t.Helper()
	if root, _ := filepath.Abs(Root()); os.Geteuid() == 0 && !reachableByOthers(root) {
		t.Skipf("user nobody cannot read %s, so this test cannot run unprivileged here (clone the repository under a readable folder)", root)
	}
}

// reachableByOthers reports whether every folder from / down to dir lets
// other users in (x) and dir lets them list it (r).
func reachableByOthers(dir string) bool {
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm()&0o005 != 0o005 {
		return false
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil || info.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}
