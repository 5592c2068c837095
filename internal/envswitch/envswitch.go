// Package envswitch reads the on/off environment variables tunetorch's
// packages take their settings from at start-up.
package envswitch

import (
	"fmt"
	"os"
	"strconv"
)

// HugePages names the variable that, set to a false value, starts a
// process with the huge-page advice off: the torch package's mappings
// (torch.SetHugePages) and the dataset package's batch buffers
// (dataset.SetHugePages).
const HugePages = "TUNETORCH_HUGE_PAGES"

// FromEnv reads the on/off environment variable name (see Parse).
func FromEnv(name string) (bool, error) {
	v, set := os.LookupEnv(name)
	return Parse(name, v, set)
}

// Parse reads value v of the on/off environment variable name (set says
// whether it is set at all): unset or empty is on, else a boolean ("1",
// "0", "true", "false"); anything else is an error that names it.
func Parse(name, v string, set bool) (bool, error) {
	if !set || v == "" {
		return true, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want 1 or 0 (true or false)", name, v)
	}
	return on, nil
}
