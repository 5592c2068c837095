package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// cacheSizes describes the first CPU's data caches from level 2 up as
// sysfs (sysfs: its root, "/sys") gives them, e.g. "L2 2 MiB, L3 260 MiB":
// oneDNN sizes its kernels' blocks by them, and two VMs of one CPU model
// need not share them, so the report records them with the model. "" where
// sysfs does not say.
func cacheSizes(sysfs string) string {
	dirs, _ := filepath.Glob(filepath.Join(sysfs, "devices/system/cpu/cpu0/cache/index*"))
	read := func(dir, name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return strings.TrimSpace(string(b))
	}
	type cache struct {
		level int
		kib   int64
	}
	var caches []cache
	for _, d := range dirs {
		level, err := strconv.Atoi(read(d, "level"))
		if err != nil || level < 2 || read(d, "type") == "Instruction" {
			continue
		}
		size := read(d, "size")
		kib, err := strconv.ParseInt(strings.TrimSuffix(size, "K"), 10, 64)
		if err != nil || !strings.HasSuffix(size, "K") {
			continue
		}
		caches = append(caches, cache{level, kib})
	}
	sort.Slice(caches, func(i, j int) bool { return caches[i].level < caches[j].level })
	parts := make([]string, len(caches))
	for i, c := range caches {
		if c.kib%1024 == 0 {
			parts[i] = fmt.Sprintf("L%d %d MiB", c.level, c.kib/1024)
		} else {
			parts[i] = fmt.Sprintf("L%d %d KiB", c.level, c.kib)
		}
	}
	return strings.Join(parts, ", ")
}
