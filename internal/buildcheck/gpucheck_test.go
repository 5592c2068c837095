package buildcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/testenv"
)

// TestGPUCheckScriptUsesFlagsThatExist: scripts/gpu/check.sh and
// feed_sweep.sh run only on a lent GPU machine, rarely and against a clock;
// every flag they pass to the Go programs (.gpu/dogbreed, .gpu/bench,
// continuation lines and the variants dogbreed's runs loop over included)
// must be one the program defines, or the run is lost to a usage error.
func TestGPUCheckScriptUsesFlagsThatExist(t *testing.T) {
	programs, lists := scriptFlagsExist(t, "check.sh")
	require.Equal(t, 1, lists, "check.sh's loop over dogbreed variants was not found")
	require.Greater(t, programs["dogbreed"], 3, "check.sh's dogbreed runs were not found")
	require.Equal(t, 1, programs["bench"], "check.sh's bench run was not found")

	programs, lists = scriptFlagsExist(t, "feed_sweep.sh")
	require.Equal(t, 1, lists, "feed_sweep.sh's default VARIANTS were not found")
	require.Greater(t, programs["dogbreed"], 0, "feed_sweep.sh's dogbreed runs were not found")
}

// scriptFlagsExist requires every flag that scripts/gpu/<name> passes to a
// Go program, or lists as dogbreed's variants (a "for variant in" or "for
// cache in" loop, or the default of VARIANTS, its variants separated by
// ";"), to be one the program defines; it returns how many runs of each
// program and how many such lists of flags it found.
func scriptFlagsExist(t *testing.T, name string) (programs map[string]int, lists int) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(testenv.Root(), "scripts", "gpu", name))
	require.NoError(t, err)
	text := strings.ReplaceAll(string(script), "\\\n", " ")
	runs := regexp.MustCompile(`\.gpu/(dogbreed|bench)\b([^\n>|]*)`).FindAllStringSubmatch(text, -1)
	programs = map[string]int{}
	for _, r := range runs {
		programs[r[1]]++
		for _, arg := range strings.Fields(r[2]) {
			if flag, ok := strings.CutPrefix(arg, "--"); ok {
				require.True(t, hasFlag(t, r[1], flag), "%s passes --%s to %s, which has no such flag", name, flag, r[1])
			}
		}
	}
	variantLists := regexp.MustCompile(`for (?:variant|cache) in ([^;]+);|VARIANTS=\$\{VARIANTS:?-"([^"]*)"\}`)
	for _, m := range variantLists.FindAllStringSubmatch(text, -1) {
		args := strings.Fields(strings.NewReplacer(`"`, "", ";", " ").Replace(m[1] + " " + m[2]))
		found := false
		for _, arg := range args {
			if flag, ok := strings.CutPrefix(arg, "--"); ok {
				require.True(t, hasFlag(t, "dogbreed", flag), "%s's dogbreed runs loop over --%s, not a dogbreed flag", name, flag)
				found = true
			}
		}
		if found {
			lists++
		}
	}
	return programs, lists
}
