package procstat

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// cgroupTree writes a /proc/self/cgroup file and cgroup files under a fake
// mount; files maps paths below the mount to their content.
func cgroupTree(t *testing.T, self string, files map[string]string) (selfFile, mount string) {
	t.Helper()
	dir := t.TempDir()
	selfFile, mount = filepath.Join(dir, "cgroup"), filepath.Join(dir, "mnt")
	require.NoError(t, os.WriteFile(selfFile, []byte(self), 0o644))
	for name, content := range files {
		p := filepath.Join(mount, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content+"\n"), 0o644))
	}
	return selfFile, mount
}

func TestCgroupRoom(t *testing.T) {
	for _, c := range []struct {
		name  string
		self  string
		files map[string]string
		want  int64
	}{
		{"v2, a container's limit on its own group", "0::/\n", map[string]string{
			"memory.max": "8589934592", "memory.current": "1073741824"}, 7 << 30},
		{"v2, the limit on an ancestor; the group itself unlimited", "0::/kubepods/pod1/ctr\n", map[string]string{
			"kubepods/pod1/ctr/memory.max": "max", "kubepods/pod1/ctr/memory.current": "100",
			"kubepods/pod1/memory.max": "4096", "kubepods/pod1/memory.current": "1096",
			"kubepods/memory.max": "max", "kubepods/memory.current": "5000"}, 3000},
		{"v2, no limit anywhere", "0::/a\n", map[string]string{
			"a/memory.max": "max", "a/memory.current": "100", "memory.max": "max", "memory.current": "7"}, -1},
		{"v1 (hybrid: v2 line too), the least room wins", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/docker/abc\n", map[string]string{
			"memory/docker/abc/memory.limit_in_bytes": "2000", "memory/docker/abc/memory.usage_in_bytes": "500",
			"memory/docker/memory.limit_in_bytes": "1800", "memory/docker/memory.usage_in_bytes": "600",
			"memory/memory.limit_in_bytes": "9223372036854771712", "memory/memory.usage_in_bytes": "1"}, 1200},
		{"v1, unlimited (the largest page-aligned int64)", "4:memory:/\n", map[string]string{
			"memory/memory.limit_in_bytes": "9223372036854771712", "memory/memory.usage_in_bytes": "1258881024"}, -1},
		{"usage above the limit: no room", "0::/\n", map[string]string{"memory.max": "100", "memory.current": "150"}, 0},
		{"files missing or garbled", "0::/x\n", map[string]string{"x/memory.max": "lots", "x/memory.current": "1"}, -1},
		{"no memory controller", "3:cpu:/\n", map[string]string{}, -1},
	} {
		self, mount := cgroupTree(t, c.self, c.files)
		require.Equal(t, c.want, cgroupRoom(self, mount), c.name)
	}
	require.Equal(t, int64(-1), cgroupRoom(filepath.Join(t.TempDir(), "none"), "/nonexistent"))
}
