package finetune

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// residentMiB reads the process's resident set size from /proc (Linux);
// 0 where it is not available.
func residentMiB() float64 {
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
