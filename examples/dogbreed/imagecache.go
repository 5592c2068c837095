package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/tunetorch/tunetorch/dataset"
	"github.com/tunetorch/tunetorch/finetune"
	"github.com/tunetorch/tunetorch/internal/memtune"
	"github.com/tunetorch/tunetorch/internal/procstat"
)

// autoCacheShare is the part of the memory available at start that
// --cache-images auto gives the decoded training images with the model on
// a GPU, shared by the processes of the machine.
const autoCacheShare = 0.25

// imageCacheBudget resolves --cache-images into bytes (0: no cache).
// "auto" caches with the model on a GPU, where the loader is the limit and
// decoding is most of its work, up to a quarter of the memory available
// (MemAvailable, or what a container's memory limit leaves when less) divided
// among the machine's processes (localProcs), provided the run reads the
// training images more than once (reread): filling the cache decodes whole
// images, not only the crops, so a single pass is slower with it. On the
// CPU the backbone is the limit, the loader's work hides behind it, and a
// cache would only cost memory. "off" or 0 turns it off; a size (6GiB,
// 512MiB, 2GB, a number of bytes) sets the budget.
func imageCacheBudget(flag string, gpu, reread bool, localProcs int) (int64, error) {
	if flag != "auto" {
		return parseByteSize("--cache-images", flag)
	}
	if !gpu || !reread {
		return 0, nil
	}
	return int64(float64(procstat.AvailableBytes()) * autoCacheShare / float64(max(1, localProcs))), nil
}

// localProcesses is the number of processes of a distributed run on this
// machine: torchrun's LOCAL_WORLD_SIZE, else the whole world (at most).
func localProcesses(worldSize int) int {
	if n, err := strconv.Atoi(os.Getenv("LOCAL_WORLD_SIZE")); err == nil && n > 0 {
		return n
	}
	return max(1, worldSize)
}

// byteUnits are the suffixes parseByteSize accepts, longest first.
var byteUnits = []struct {
	suffix string
	scale  float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// parseByteSize reads the value of flag name: "off", or a size such as
// 6GiB, 1.5G (binary), 2GB (decimal) or 1048576 (bytes).
func parseByteSize(name, s string) (int64, error) {
	if s == "off" {
		return 0, nil
	}
	num, scale := strings.TrimSpace(s), 1.0
	for _, u := range byteUnits {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, scale = strings.TrimSpace(rest), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || v*scale >= math.MaxInt64 {
		auto := "auto, "
		if name != "--cache-images" {
			auto = ""
		}
		return 0, fmt.Errorf("%s %q: want %soff, or a size such as 6GiB, 512MiB or 2GB", name, s, auto)
	}
	return int64(v * scale), nil
}

// newImageCache makes the cache --cache-images asks for (nil for none) and
// sets the Go runtime's memory limit around it.
func newImageCache(flag string, gpu, reread bool, localProcs int, out io.Writer) (*dataset.ImageCache, error) {
	budget, err := imageCacheBudget(flag, gpu, reread, localProcs)
	if err != nil || budget == 0 {
		return nil, err
	}
	cache, err := dataset.NewImageCache(budget)
	if err != nil {
		return nil, err
	}
	memtune.LimitForCache(budget)
	fmt.Fprintf(out, "image cache: up to %.0f MiB of decoded training images (--cache-images %s)\n", float64(budget)/(1<<20), flag)
	return cache, nil
}

// reportCache prints what the cache holds and served so far, and what the
// net keeps on its devices (--device-images).
func reportCache(out io.Writer, cache *dataset.ImageCache, net *finetune.Net) {
	if images, bytes, stopped := net.DeviceImages(); images > 0 || stopped != nil {
		fmt.Fprintf(out, "device images: %d images, %.0f MiB\n", images, float64(bytes)/(1<<20))
		if stopped != nil {
			fmt.Fprintf(out, "warning: the device took no more images (the others' crops were copied from the host): %v\n", stopped)
		}
	}
	if cache != nil {
		fmt.Fprintf(out, "image cache: %s\n", cache.Stats())
	}
}
