package torch

// #include "tunetorch.h"
import "C"

import (
	"fmt"
	"os"

	"github.com/tunetorch/tunetorch/internal/envswitch"
)

// CPUCacheEnv names the environment variable that, set to a false value
// ("0", "false"), starts the process with the caching CPU allocator off
// (see SetCPUCaching).
const CPUCacheEnv = "TUNETORCH_CPU_CACHE"

// CPUCacheStats describes the caching CPU allocator (see SetCPUCaching).
type CPUCacheStats struct {
	Enabled     bool
	Segments    int64 // memory mappings it holds
	MappedBytes int64 // their bytes, in tensors or free for reuse
	UsedBytes   int64 // the bytes of them in tensors now
	Hits        int64 // large requests served from a held mapping
	Misses      int64 // large requests that mapped a new segment
}

// SetCPUCaching turns the caching CPU allocator on (the default) or off.
//
// libtorch's own CPU allocator hands every tensor to malloc, and glibc maps
// each large one (a ResNet's activations, 3 to 100 MB at batch 32) afresh and
// unmaps it when it is freed, so every forward pass faults its activations in
// again, a zero-filled page at a time: about 70,000 page faults per ResNet-34
// batch, a fifth of a 2-core machine's time. The caching allocator keeps the
// memory of tensors of 256 KiB or more once they are freed (the fine-tuned
// head's 1000×256 float32 layer among them), as PyTorch's CUDA
// caching allocator does on a GPU: mapped segments cut into spans, a request
// taking the smallest free span that holds it, freed spans joined again. A
// network's passes repeat, so from the second batch on they fault nothing,
// and the segments come to about the passes' peak of live tensors. Smaller
// tensors go to libtorch's allocator. A segment wholly free and unused over
// 4,096 large requests (60 to 100 ResNet-34 batches of 32) is unmapped;
// ReleaseCPUCache gives the free memory back at once. Off, new tensors come
// from libtorch's allocator, the free memory is released and each segment is
// unmapped when its last tensor goes (and the Winograd convolutions'
// scratchpads, which come from the allocator at each call, fault in at each
// call: 14% slower here). The environment variable
// TUNETORCH_CPU_CACHE=0 starts a process with it off.
//
// A process that starts with it on also has glibc map every other malloc of
// 1 MiB or more (oneDNN's weight layouts and work buffers) and unmap it when
// it is freed: by default glibc raises that threshold to the size of each
// such block freed (up to 32 MiB) and serves later ones from its heaps,
// which keep freed memory resident (a Winograd ResNet-34's training run
// peaked 15 to 37 MiB higher, and less predictably). Turned off, glibc
// serves mallocs of up to 32 MiB from its heaps, where its own threshold
// would have risen to (once set, it no longer moves by itself).
// MALLOC_MMAP_THRESHOLD_ or GLIBC_TUNABLES=glibc.malloc.mmap_threshold=N in
// the environment take precedence.
func SetCPUCaching(on bool) { C.tt_cpu_cache_set_enabled(cBool(on)) }

// ReleaseCPUCache gives the caching CPU allocator's free memory back to the
// system (as torch.cuda.empty_cache does for a GPU): the segments no tensor
// uses are unmapped, the free spans of the others leave the resident set.
// Tensors in use are not touched.
func ReleaseCPUCache() { C.tt_cpu_cache_release() }

// CPUCache returns the caching CPU allocator's state and counters.
func CPUCache() CPUCacheStats {
	s := C.tt_cpu_cache_get_stats()
	return CPUCacheStats{Enabled: s.enabled != 0, Segments: int64(s.segments), MappedBytes: int64(s.mapped_bytes),
		UsedBytes: int64(s.used_bytes), Hits: int64(s.hits), Misses: int64(s.misses)}
}

// mallocMapsAfterFree reports whether a malloc of bytes, right after one of
// that size was freed, is mapped on its own rather than served from glibc's
// heap (false also where the C library is not glibc).
func mallocMapsAfterFree(bytes int64) bool { return C.tt_malloc_maps_after_free(C.int64_t(bytes)) == 1 }

// installCPUCache makes the caching allocator libtorch's CPU allocator before
// any tensor exists, on unless TUNETORCH_CPU_CACHE says otherwise.
func installCPUCache() {
	on, err := switchFromEnv(CPUCacheEnv)
	if err != nil {
		panic(err)
	}
	C.tt_cpu_cache_install(cBool(on))
}

// switchFromEnv reads the on/off environment variable name
// (envswitch.Parse), its error said to be the torch package's.
func switchFromEnv(name string) (bool, error) {
	v, set := os.LookupEnv(name)
	return parseSwitch(name, v, set)
}

// parseSwitch is envswitch.Parse, its error said to be the torch package's.
func parseSwitch(name, v string, set bool) (bool, error) {
	on, err := envswitch.Parse(name, v, set)
	if err != nil {
		return false, fmt.Errorf("torch: %w", err)
	}
	return on, nil
}
