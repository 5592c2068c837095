package procstat

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// noLimit is at or above what cgroup v1 reports for an unlimited group
// (the largest page-aligned int64).
const noLimit = 1 << 62

// cgroupRoom returns how much more memory the process's control groups let
// it use: the least, over its memory cgroup and that group's ancestors, of
// the limit less the usage; -1 where none sets a limit or none can be read.
// A container's memory limit is its cgroup's: /proc/meminfo shows the
// host's memory there. selfCgroup is a /proc/self/cgroup file, mount where
// the cgroup file systems are (/sys/fs/cgroup): cgroup v1's memory
// controller under mount/memory, v2's unified tree at mount.
func cgroupRoom(selfCgroup, mount string) int64 {
	f, err := os.Open(selfCgroup)
	if err != nil {
		return -1
	}
	defer f.Close()
	var v1, v2 string
	haveV1, haveV2 := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2, haveV2 = parts[2], true
		case strings.Contains(","+parts[1]+",", ",memory,"):
			v1, haveV1 = parts[2], true
		}
	}
	switch {
	case haveV1:
		return leastRoom(filepath.Join(mount, "memory"), v1, "memory.limit_in_bytes", "memory.usage_in_bytes")
	case haveV2:
		return leastRoom(mount, v2, "memory.max", "memory.current")
	}
	return -1
}

// leastRoom walks from the group at root+group up to root and returns the
// least limit less usage among those that set a limit, or -1.
func leastRoom(root, group, limitFile, usageFile string) int64 {
	room := int64(-1)
	for g := path.Clean("/" + group); ; g = path.Dir(g) {
		dir := filepath.Join(root, g)
		limit, okLimit := readBytes(filepath.Join(dir, limitFile))
		usage, okUsage := readBytes(filepath.Join(dir, usageFile))
		if okLimit && okUsage && limit < noLimit {
			if r := max(0, limit-usage); room < 0 || r < room {
				room = r
			}
		}
		if g == "/" {
			return room
		}
	}
}

// readBytes reads a cgroup file holding a number of bytes ("max": none).
func readBytes(file string) (int64, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return noLimit, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
