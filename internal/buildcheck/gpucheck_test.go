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

// TestGPUCheckScriptUsesFlagsThatExist: scripts/gpu/check.sh runs only on a
// lent GPU machine, rarely and against a clock; every flag it passes to the
// Go programs (.gpu/dogbreed, .gpu/bench, continuation lines and the
// variants dogbreed's runs loop over included) must be one the program
// defines, or the run is lost to a usage error.
func TestGPUCheckScriptUsesFlagsThatExist(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(testenv.Root(), "scripts", "gpu", "check.sh"))
	require.NoError(t, err)
	text := strings.ReplaceAll(string(script), "\\\n", " ")
	runs := regexp.MustCompile(`\.gpu/(dogbreed|bench)\b([^\n>|]*)`).FindAllStringSubmatch(text, -1)
	programs := map[string]int{}
	for _, r := range runs {
		programs[r[1]]++
		for _, arg := range strings.Fields(r[2]) {
			if name, ok := strings.CutPrefix(arg, "--"); ok {
				require.True(t, hasFlag(t, r[1], name), "check.sh passes --%s to %s, which has no such flag", name, r[1])
			}
		}
	}
	// The variants and cache settings the dogbreed runs loop over.
	loops := 0
	for _, m := range regexp.MustCompile(`for (?:variant|cache) in ([^;]+);`).FindAllStringSubmatch(text, -1) {
		loops++
		for _, arg := range strings.Fields(strings.ReplaceAll(m[1], `"`, "")) {
			if name, ok := strings.CutPrefix(arg, "--"); ok {
				require.True(t, hasFlag(t, "dogbreed", name), "check.sh's dogbreed runs loop over --%s, not a dogbreed flag", name)
			}
		}
	}
	require.Equal(t, 2, loops, "check.sh's loops over dogbreed variants were not found")
	require.Greater(t, programs["dogbreed"], 3, "check.sh's dogbreed runs were not found")
	require.Equal(t, 1, programs["bench"], "check.sh's bench run was not found")
}
