package procstat

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFiguresMatchProc(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc here:", err)
	}
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
