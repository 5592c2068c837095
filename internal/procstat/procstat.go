// Package procstat reads figures about the running process and the machine
// from /proc.
package procstat

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// ResidentMiB returns the process's resident set size (VmRSS) in MiB, or 0
// where /proc is not available.
func ResidentMiB() float64 { return kibField("/proc/self/status", "VmRSS:") / 1024 }

// AvailableBytes returns the memory the process can still allocate without
// swapping: the machine's MemAvailable, or less where the process's control
// group (a container's memory limit) leaves less; 0 where /proc is not
// available.
func AvailableBytes() int64 {
	avail := int64(kibField("/proc/meminfo", "MemAvailable:") * 1024)
	if room := cgroupRoom("/proc/self/cgroup", "/sys/fs/cgroup"); room >= 0 && room < avail {
		return room
	}
	return avail
}

// kibField returns the number of the line starting with key in a /proc file
// of "Key: N kB" lines, or 0.
func kibField(path, key string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			if fields := strings.Fields(rest); len(fields) > 0 {
				kib, _ := strconv.ParseFloat(fields[0], 64)
				return kib
			}
		}
	}
	return 0
}
