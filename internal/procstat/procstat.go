// Package procstat reads figures about the running process from /proc.
package procstat

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// ResidentMiB returns the process's resident set size (VmRSS) in MiB, or 0
// where /proc is not available.
func ResidentMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			if fields := strings.Fields(rest); len(fields) > 0 {
				kib, _ := strconv.ParseFloat(fields[0], 64)
				return kib / 1024
			}
		}
	}
	return 0
}
