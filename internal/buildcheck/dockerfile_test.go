package buildcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tunetorch/tunetorch/internal/testenv"
)

// dockerfile is what the checks read from Dockerfile.cuda.
type dockerfile struct {
	from       string            // the base image
	args       map[string]string // ARG defaults
	runs       []string          // RUN commands, continuation lines joined
	entrypoint string            // ENTRYPOINT's program
	cmd        []string          // CMD's arguments
}

var jsonWord = regexp.MustCompile(`"([^"]*)"`)

func readDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	d := dockerfile{args: map[string]string{}}
	joined := strings.ReplaceAll(string(body), "\\\n", " ")
	for _, line := range strings.Split(joined, "\n") {
		word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest = strings.TrimSpace(rest)
		switch word {
		case "FROM":
			d.from = rest
		case "ARG":
			name, value, _ := strings.Cut(rest, "=")
			d.args[name] = value
		case "RUN":
			d.runs = append(d.runs, rest)
		case "ENTRYPOINT", "CMD":
			var words []string
			for _, m := range jsonWord.FindAllStringSubmatch(rest, -1) {
				words = append(words, m[1])
			}
			require.NotEmpty(t, words, "%s: %s is not in the JSON form", path, line)
			if word == "CMD" {
				d.cmd = words
			} else {
				d.entrypoint = words[0]
			}
		}
	}
	return d
}

// versionAtLeast compares dotted versions ("1.26.0" against "1.26").
func versionAtLeast(t *testing.T, have, want string) bool {
	t.Helper()
	h, w := strings.Split(have, "."), strings.Split(want, ".")
	for i := 0; i < max(len(h), len(w)); i++ {
		hv, wv := 0, 0
		var err error
		if i < len(h) {
			hv, err = strconv.Atoi(h[i])
			require.NoError(t, err, "version %q", have)
		}
		if i < len(w) {
			wv, err = strconv.Atoi(w[i])
			require.NoError(t, err, "version %q", want)
		}
		if hv != wv {
			return hv > wv
		}
	}
	return true
}

// TestDockerfileCUDAAgreesWithTheRepository checks what can rot in
// Dockerfile.cuda without anyone building it: its Go is new enough for
// go.mod; its libtorch variant is the base image's CUDA (cu124 for
// nvidia/cuda:12.4.x) and one fetch-libtorch.sh accepts, its libtorch version
// one CMakeLists.txt accepts; each step names a script, Make target and
// package that exist; its entrypoint is a program it builds, run with flags
// that program has.
func TestDockerfileCUDAAgreesWithTheRepository(t *testing.T) {
	root := testenv.Root()
	d := readDockerfile(t, filepath.Join(root, "Dockerfile.cuda"))

	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(goMod)
	require.NotNil(t, goLine, "go.mod has no go directive")
	require.True(t, versionAtLeast(t, d.args["GO_VERSION"], string(goLine[1])),
		"Dockerfile.cuda installs Go %s, go.mod needs %s", d.args["GO_VERSION"], goLine[1])

	cuda := regexp.MustCompile(`^nvidia/cuda:(\d+)\.(\d+)\.`).FindStringSubmatch(d.from)
	require.NotNil(t, cuda, "the base image %q is not nvidia/cuda:X.Y.Z-…", d.from)
	require.Equal(t, "cu"+cuda[1]+cuda[2], d.args["LIBTORCH_VARIANT"], "libtorch's CUDA must be the base image's")
	require.True(t, versionAtLeast(t, d.args["LIBTORCH_VERSION"], "1.13"), "CMakeLists.txt needs libtorch 1.13 or newer")

	var built []string
	sawFetch, sawShim := false, false
	for _, r := range d.runs {
		if strings.Contains(r, "third_party/fetch-libtorch.sh") {
			sawFetch = true
			info, err := os.Stat(filepath.Join(root, "third_party", "fetch-libtorch.sh"))
			require.NoError(t, err)
			require.NotZero(t, info.Mode()&0o111, "fetch-libtorch.sh is not executable")
		}
		for _, m := range regexp.MustCompile(`(?:^|&&|;)\s*make (\S+)((?: [A-Z_]+=\S+)*)`).FindAllStringSubmatch(r, -1) {
			sawShim = sawShim || m[1] == "build/libtunetorch.so"
			args := append([]string{"-n", "-C", root, m[1]}, strings.Fields(m[2])...)
			out, err := run(root, cleanEnv(), "make", args...)
			require.NoError(t, err, "make %s: %s", m[1], out)
		}
		for _, m := range regexp.MustCompile(`go build -o (\S+) (\./\S+)`).FindAllStringSubmatch(r, -1) {
			out, err := run(root, os.Environ(), "go", "list", "-f", "{{.Name}}", m[2])
			require.NoError(t, err, out)
			require.Equal(t, "main", strings.TrimSpace(out), "%s is not a program", m[2])
			built = append(built, filepath.Base(m[1]))
		}
	}
	require.True(t, sawFetch, "no step runs third_party/fetch-libtorch.sh")
	require.True(t, sawShim, "no step builds the shim (make build/libtunetorch.so)")
	require.Contains(t, built, d.entrypoint, "the entrypoint is not a program the image builds")

	for _, arg := range d.cmd {
		if name, ok := strings.CutPrefix(arg, "--"); ok {
			require.True(t, hasFlag(t, d.entrypoint, name), "%s has no flag --%s (Dockerfile.cuda's CMD)", d.entrypoint, name)
		}
	}
}

// hasFlag reports whether the program examples/<program> defines the flag
// --name (in its main.go's flag set).
func hasFlag(t *testing.T, program, name string) bool {
	t.Helper()
	mainGo, err := os.ReadFile(filepath.Join(testenv.Root(), "examples", program, "main.go"))
	require.NoError(t, err)
	name, _, _ = strings.Cut(name, "=")
	return regexp.MustCompile(`fs\.\w+Var\([^,]+, "` + regexp.QuoteMeta(name) + `"`).Match(mainGo)
}

// TestDockerignoreLeavesOutWhatGitIgnores: every pattern of .gitignore (build
// outputs, a fetched libtorch, test binaries) is left out of Dockerfile.cuda's
// build context too, written the way .dockerignore anchors patterns (at the
// context's root, "**/" for any depth). A developer's build/ copied into the
// image would hold a CMake cache for other paths and a shim linked against
// another libtorch.
func TestDockerignoreLeavesOutWhatGitIgnores(t *testing.T) {
	root := testenv.Root()
	lines := func(name string) []string {
		body, err := os.ReadFile(filepath.Join(root, name))
		require.NoError(t, err)
		var out []string
		for _, l := range strings.Split(string(body), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
		return out
	}
	docker := lines(".dockerignore")
	require.Contains(t, docker, ".git", "the build context needs no history")
	for _, p := range lines(".gitignore") {
		want := strings.TrimSuffix(p, "/")
		if anchored, ok := strings.CutPrefix(want, "/"); ok {
			want = anchored
		} else {
			want = "**/" + want
		}
		require.Contains(t, docker, want, ".gitignore's %q is not in .dockerignore", p)
	}
}
