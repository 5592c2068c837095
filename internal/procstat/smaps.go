package procstat

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Mapping is one of the process's memory mappings as /proc/self/smaps
// lists it.
type Mapping struct {
	Start, End uintptr // its addresses, End past the last byte
	VmFlags    []string
}

// HugePagesAdvised reports whether the mapping is advised for transparent
// huge pages (VmFlags "hg": the kernel notes madvise(MADV_HUGEPAGE)
// whether or not it backs the mapping with huge pages).
func (m Mapping) HugePagesAdvised() bool { return slices.Contains(m.VmFlags, "hg") }

// Mappings returns the process's memory mappings from /proc/self/smaps
// (an error where it is missing: not Linux).
func Mappings() ([]Mapping, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			a, errA := strconv.ParseUint(lo, 16, 64)
			b, errB := strconv.ParseUint(hi, 16, 64)
			if errA == nil && errB == nil {
				out = append(out, Mapping{Start: uintptr(a), End: uintptr(b)})
				continue
			}
		}
		if fields[0] == "VmFlags:" && len(out) > 0 {
			out[len(out)-1].VmFlags = fields[1:]
		}
	}
	return out, sc.Err()
}
