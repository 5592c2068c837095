package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tunetorch/tunetorch/internal/procstat"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"6GiB": 6 << 30, "512MiB": 512 << 20, "2GB": 2e9, "1.5G": 3 << 29, "64M": 64 << 20,
		"1048576": 1 << 20, "100B": 100, "0": 0, "off": 0, " 3 GiB": 3 << 30,
	} {
		got, err := parseByteSize("--cache-images", in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "lots", "-1GiB", "5XB", "GiB", "1e30GB", "Inf"} {
		_, err := parseByteSize("--cache-images", bad)
		require.ErrorContains(t, err, `--cache-images "`+bad+`": want auto, off`, bad)
	}
	_, err := parseFlags([]string{"--cache-images", "lots"})
	require.ErrorContains(t, err, `--cache-images "lots"`)
	_, err = parseFlags([]string{"--device-images", "auto"})
	require.ErrorContains(t, err, `--device-images "auto": want off, or a size`)
}

func TestAutoImageCacheOnlyOnAGPU(t *testing.T) {
	if procstat.AvailableBytes() == 0 {
		t.Skip("no /proc/meminfo here")
	}
	cpu, err := imageCacheBudget("auto", false, true, 1)
	require.NoError(t, err)
	require.Zero(t, cpu, "the CPU's loader hides behind the backbone: no cache")
	before := procstat.AvailableBytes()
	gpu, err := imageCacheBudget("auto", true, true, 1)
	after := procstat.AvailableBytes()
	require.NoError(t, err)
	require.InDelta(t, float64(before+after)/8, float64(gpu), float64(before)/20+float64(max(before-after, after-before)))
	four, err := imageCacheBudget("auto", true, true, 4)
	require.NoError(t, err)
	require.InDelta(t, float64(gpu)/4, float64(four), float64(gpu)/20, "shared by the machine's processes")
	once, err := imageCacheBudget("auto", true, false, 1)
	require.NoError(t, err)
	require.Zero(t, once, "a run that reads the images once: no cache")
	given, err := imageCacheBudget("2GiB", false, false, 8)
	require.NoError(t, err)
	require.Equal(t, int64(2<<30), given, "a size is taken as given")

	t.Setenv("LOCAL_WORLD_SIZE", "3")
	require.Equal(t, 3, localProcesses(8))
	t.Setenv("LOCAL_WORLD_SIZE", "")
	require.Equal(t, 8, localProcesses(8))
	require.Equal(t, 1, localProcesses(0))
}

// TestImageCacheAndPixelBatchesKeepTheRunsResults runs the chapter with and without the
// cache: the same submission, and train+valid (hard links of the training
// and validation files) found in the cache instead of cached twice; and
// with --pixel-batches, and with --augment-on-device (its inputs made
// ahead): the same submission.
func TestImageCacheAndPixelBatchesKeepTheRunsResults(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	plain := runOptions(t, data, "--cache-images", "off")
	var plainLog bytes.Buffer
	require.NoError(t, run(context.Background(), plain, &plainLog))
	require.NotContains(t, plainLog.String(), "image cache")

	cached := runOptions(t, data, "--cache-images", "512MiB")
	var log bytes.Buffer
	require.NoError(t, run(context.Background(), cached, &log))
	require.Contains(t, log.String(), "image cache: up to 512 MiB of decoded training images (--cache-images 512MiB)")
	want, err := os.ReadFile(plain.out)
	require.NoError(t, err)
	got, err := os.ReadFile(cached.out)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the same submission")

	// Bytes converted by libtorch instead of float32 batches from Go: the
	// same submission too.
	pixels := runOptions(t, data, "--cache-images", "off", "--pixel-batches")
	require.NoError(t, run(context.Background(), pixels, &bytes.Buffer{}))
	got, err = os.ReadFile(pixels.out)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the same submission with --pixel-batches")

	// The training augmentation carried out by libtorch from the loader's
	// plans, with the cache, each input made a batch ahead on a thread of
	// its own: the same submission too.
	planned := runOptions(t, data, "--cache-images", "512MiB", "--augment-on-device", "--prefetch-inputs")
	var plannedLog bytes.Buffer
	require.NoError(t, run(context.Background(), planned, &plannedLog))
	require.Contains(t, plannedLog.String(), "note: --augment-on-device with the model on the cpu: libtorch's tensor operations augment far slower")
	require.Regexp(t, `(?m)^training input: \d+ loader workers? 1 batch ahead, decoded images cached, augmentation on the model's device, inputs made a batch ahead by 1 thread$`, plannedLog.String())
	got, err = os.ReadFile(planned.out)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the same submission with --augment-on-device")

	// The training images kept on the model's device as well, the crops
	// read there: the same submission too.
	kept := runOptions(t, data, "--cache-images", "512MiB", "--augment-on-device", "--device-images", "256MiB")
	var keptLog bytes.Buffer
	require.NoError(t, run(context.Background(), kept, &keptLog))
	require.Regexp(t, `(?m)^device images: [1-9]\d* images, \d+ MiB$`, keptLog.String())
	require.Contains(t, keptLog.String(), "note: --device-images with the model on the cpu keeps a second copy")
	got, err = os.ReadFile(kept.out)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the same submission with --device-images")
	ignored := runOptions(t, data, "--cache-images", "off", "--device-images", "256MiB", "--epochs", "1")
	var ignoredLog bytes.Buffer
	require.NoError(t, run(context.Background(), ignored, &ignoredLog))
	require.Contains(t, ignoredLog.String(), "note: --device-images 256MiB does nothing without --augment-on-device and --cache-images")
	require.NotContains(t, ignoredLog.String(), "device images:")

	stats := regexp.MustCompile(`(?m)^image cache: (\d+) images, .*, (\d+) hits, (\d+) misses$`).FindAllStringSubmatch(log.String(), -1)
	require.Len(t, stats, 2, "a line after training and one after retraining:\n%s", log.String())
	entries, err := os.ReadDir(filepath.Join(data, "train"))
	require.NoError(t, err)
	images, _ := strconv.Atoi(stats[1][1])
	hits, _ := strconv.Atoi(stats[1][2])
	require.LessOrEqual(t, images, len(entries), "each labelled image once at most: train+valid's links share train's")
	require.Greater(t, images, len(entries)/2)
	require.Greater(t, hits, 0)
}
