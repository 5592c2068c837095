package procstat

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestFiguresMatchProc(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc here:", err)
	}
	debug.FreeOSMemory() // what an earlier run in this process (-count) touched, returned first
	rss := ResidentMiB()
	require.Greater(t, rss, 1.0, "a Go test binary holds more than 1 MiB")
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = 1
	}
	require.Greater(t, ResidentMiB(), rss+200, "256 MiB touched shows in VmRSS")
	avail := AvailableBytes()
	require.Greater(t, avail, int64(0))
	require.Less(t, avail, int64(kibField("/proc/meminfo", "MemTotal:")*1024+1))
	require.Zero(t, kibField("/proc/meminfo", "NoSuchField:"))
	require.Zero(t, kibField("/nonexistent", "MemTotal:"))
	_ = big[len(big)-1]
}

// Mappings lists the mapping that holds a heap object, and the huge-page
// advice it reads follows VmFlags. The object comes first: the Go heap
// grows into address space it reserved unreadable, so a listing taken
// before may show its place without access.
func TestMappingsHoldTheProcessMemory(t *testing.T) {
	buf := make([]byte, 1<<20)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	maps, err := Mappings()
	if os.IsNotExist(err) {
		t.Skip("no /proc/self/smaps (not Linux)")
	}
	require.NoError(t, err)
	held := 0
	for _, m := range maps {
		require.Less(t, m.Start, m.End)
		require.NotEmpty(t, m.VmFlags, "%#x-%#x", m.Start, m.End)
		if m.Start <= addr && addr < m.End {
			held++
			require.Contains(t, m.VmFlags, "rd", "the heap is readable")
		}
	}
	require.Equal(t, 1, held, "one mapping holds the buffer")
	runtime.KeepAlive(buf)
	require.True(t, Mapping{VmFlags: []string{"rd", "wr", "hg"}}.HugePagesAdvised())
	require.False(t, Mapping{VmFlags: []string{"rd", "wr", "nh"}}.HugePagesAdvised())
}
