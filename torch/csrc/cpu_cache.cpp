// cpu_cache.cpp: a caching allocator for libtorch's large CPU tensors.
//
// libtorch's default CPU allocator hands every request to malloc, and glibc
// maps a large block (a ResNet's activations: 3 to 100 MB at batch 32) with
// mmap and unmaps it when it is freed, so each forward pass faults its
// activations in again, a page at a time, zero-filled by the kernel: about
// 70,000 faults per ResNet-34 batch, a fifth of a 2-core machine's time.
// This allocator keeps the memory of requests of 256 KiB or more, as PyTorch's
// CUDA caching allocator does on the GPU: mapped segments, cut into spans
// (the smallest free span that holds a request, its remainder split off),
// freed spans joined with free neighbours. A network's passes repeat, so from
// the second batch on they fault nothing, and the segments come to about
// the passes' peak of live tensors (an activation freed early serves several
// smaller later ones). Smaller requests, and every request while caching is
// off, go to libtorch's own allocator (c10::alloc_cpu). A segment that no
// request has used for a while is unmapped once wholly free. Segments of
// 2 MiB or more are advised for transparent huge pages (huge_pages.h).
//
// It is installed once (tt_cpu_cache_install, from the Go package's init)
// and never replaced: oneDNN's tensors are freed through whichever CPU
// allocator is current at the time (raw_deleter), so the one deleter here
// must know every block, its own and c10's.
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <torch/version.h>
#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <unordered_map>

#include "huge_pages.h"
#include "shim.h"

namespace {

// A span of a mapped segment, in use or free; a segment's spans tile it in
// address order (prev, next).
struct Span {
  char *ptr;
  size_t size;
  bool free;
  Span *prev, *next;
  struct Segment *segment;
};

struct Segment {
  char *base;
  size_t size;
  size_t used = 0;        // bytes of its spans in tensors
  uint64_t last_use = 0;  // the tick of its last allocation
};

// Free spans, smallest first (then by address): a request takes the
// smallest that holds it.
struct BySize {
  bool operator()(const Span *a, const Span *b) const {
    return a->size != b->size ? a->size < b->size : a->ptr < b->ptr;
  }
};

class CachingCPUAllocator final : public c10::Allocator {
 public:
  // Requests of at least kMinBytes are cached; a free span's remainder of at
  // least kMinBytes is split off for later requests. 256 KiB takes in the
  // fine-tuned head's first layer (1000x256 float32: 1,000 KiB, its weight,
  // gradient and SGD's temporaries, each batch), which went to malloc under
  // a 1 MiB threshold: glibc gave each back to the system when it was freed
  // (its trim threshold, below) and faulted it in again at the next batch,
  // some 250 faults a tensor.
  static constexpr size_t kMinBytes = size_t(256) << 10;
  // A segment wholly free is unmapped once this many large requests have
  // passed without one using it (a ResNet-34 batch of 32 makes 40 to 70:
  // some 60 to 100 batches).
  static constexpr uint64_t kStaleAfter = 4096;

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return allocate_block(n); }
  void copy_data(void *dest, const void *src, std::size_t count) const override {
    std::memcpy(dest, src, count);
  }
#else
  c10::DataPtr allocate(size_t n) const override { return allocate_block(n); }
#endif

  c10::DeleterFnPtr raw_deleter() const override { return &free_block; }

  void set_enabled(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    enabled_ = on;
    if (!on) release_locked();
  }

  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    release_locked();
  }

  tt_cpu_cache_stats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    tt_cpu_cache_stats s{};
    s.enabled = enabled_ ? 1 : 0;
    s.segments = segments_;
    s.mapped_bytes = int64_t(mapped_bytes_);
    s.used_bytes = int64_t(used_bytes_);
    s.hits = hits_;
    s.misses = misses_;
    return s;
  }

  static CachingCPUAllocator &instance() {
    static CachingCPUAllocator *a = new CachingCPUAllocator();  // never destroyed: blocks outlive static destructors
    return *a;
  }

 private:
  c10::DataPtr allocate_block(size_t n) const {
    auto *self = const_cast<CachingCPUAllocator *>(this);
    void *p = self->take(n);
    return {p, p, &free_block, c10::Device(c10::DeviceType::CPU)};
  }

  // A block of at least n bytes: a cached span, a new segment, or c10's.
  void *take(size_t n) {
    if (n < kMinBytes) return c10::alloc_cpu(n);
    size_t want = tt::page_round(n);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!enabled_) return c10::alloc_cpu(n);
      if ((++tick_ & 255) == 0) drop_free_segments_locked(/*stale_only=*/true);
      Span key{nullptr, want, true, nullptr, nullptr, nullptr};
      auto it = free_.lower_bound(&key);
      if (it != free_.end()) {
        Span *s = *it;
        free_.erase(it);
        if (s->size - want >= kMinBytes) split_locked(s, want);
        use_locked(s);
        ++hits_;
        return s->ptr;
      }
      ++misses_;
    }
    void *p = tt::map_memory(want);
    if (p == nullptr) {
      release();  // the cache's free spans may be what the mapping lacked
      p = tt::map_memory(want);
    }
    TORCH_CHECK(p != nullptr, "CPU allocator: out of memory allocating ", n, " bytes");
    std::lock_guard<std::mutex> lock(mu_);
    auto *seg = new Segment{static_cast<char *>(p), want};
    ++segments_;
    mapped_bytes_ += want;
    auto *s = new Span{seg->base, want, true, nullptr, nullptr, seg};
    use_locked(s);
    return s->ptr;
  }

  // Cuts span s (free, out of free_) to size bytes; the rest becomes a free span.
  void split_locked(Span *s, size_t size) {
    auto *rest = new Span{s->ptr + size, s->size - size, true, s, s->next, s->segment};
    if (s->next != nullptr) s->next->prev = rest;
    s->next = rest;
    s->size = size;
    free_.insert(rest);
  }

  void use_locked(Span *s) {
    s->free = false;
    s->segment->used += s->size;
    s->segment->last_use = tick_;
    used_bytes_ += s->size;
    live_[s->ptr] = s;
  }

  static void free_block(void *p) { instance().give_back(p); }

  void give_back(void *p) {
    if (p == nullptr) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = live_.find(p);
      if (it != live_.end()) {
        Span *s = it->second;
        live_.erase(it);
        s->free = true;
        s->segment->used -= s->size;
        used_bytes_ -= s->size;
        s = merge_locked(s);
        if (!enabled_ && s->segment->used == 0) {
          unmap_locked(s->segment, s);
          return;
        }
        free_.insert(s);
        return;
      }
    }
    c10::free_cpu(p);  // c10's block (small, or made while caching was off)
  }

  // Joins free span s (out of free_) with its free neighbours; returns the whole.
  Span *merge_locked(Span *s) {
    if (s->prev != nullptr && s->prev->free) {
      Span *left = s->prev;
      free_.erase(left);
      absorb_locked(left, s);
      s = left;
    }
    if (s->next != nullptr && s->next->free) {
      free_.erase(s->next);
      absorb_locked(s, s->next);
    }
    return s;
  }

  // Adds span b to its left neighbour a, both out of free_, and deletes b.
  static void absorb_locked(Span *a, Span *b) {
    a->size += b->size;
    a->next = b->next;
    if (b->next != nullptr) b->next->prev = a;
    delete b;
  }

  // Unmaps segment seg, whose one span is s (free, out of free_).
  void unmap_locked(Segment *seg, Span *s) {
    munmap(seg->base, seg->size);
    mapped_bytes_ -= seg->size;
    --segments_;
    delete s;
    delete seg;
  }

  // Unmaps the wholly free segments: the stale ones, or every one.
  void drop_free_segments_locked(bool stale_only) {
    for (auto it = free_.begin(); it != free_.end();) {
      Span *s = *it;
      Segment *seg = s->segment;
      if (seg->used == 0 && (!stale_only || tick_ - seg->last_use > kStaleAfter)) {
        it = free_.erase(it);
        unmap_locked(seg, s);
      } else {
        ++it;
      }
    }
  }

  // Unmaps the wholly free segments and gives the pages of the other free
  // spans back to the system (they stay mapped, and fault in when reused).
  void release_locked() {
    drop_free_segments_locked(false);
    for (Span *s : free_) madvise(s->ptr, s->size, MADV_DONTNEED);
  }

  std::mutex mu_;
  bool enabled_ = true;
  std::set<Span *, BySize> free_;
  std::unordered_map<void *, Span *> live_;
  size_t mapped_bytes_ = 0, used_bytes_ = 0;
  uint64_t tick_ = 0;
  int64_t segments_ = 0, hits_ = 0, misses_ = 0;
};

std::once_flag g_installed;

// Whether the process's environment sets glibc's mmap threshold itself.
bool mmap_threshold_from_env() {
  const char *tunables = std::getenv("GLIBC_TUNABLES");
  return std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr ||
         (tunables != nullptr && std::strstr(tunables, "malloc.mmap_threshold") != nullptr);
}

// glibc maps a malloc of at least its mmap threshold and unmaps it when it is
// freed, but by default raises the threshold to the size of each mapped
// block freed (up to 32 MiB, the trim threshold to twice that); blocks of
// that size then come from its heaps, which keep freed memory resident and
// fragment. With the cache taking libtorch's large tensors, what else a
// process mallocs of 1 MiB or more (oneDNN's weight layouts and its work
// buffers) is mapped and unmapped at that fixed threshold: a one-epoch
// training run of the ResNet-34 with 26 Winograd convolutions peaked at
// 723-729 MiB against 744-760 MiB (three runs and five, 2-core Xeon). With
// the cache off, libtorch's tensors go to malloc again: a threshold once set
// cannot move by itself any more, so it is set where glibc's own would have
// risen to (the ResNet-34's backbone ran 17-27% slower at 1 MiB, each
// activation mapped and faulted in afresh: three alternating rounds). The
// environment's setting, if any, is left alone.
void tune_malloc(bool caching) {
#if defined(__GLIBC__)
  static std::mutex mu;       // the settings go together
  static bool tuned = false;  // whether mallopt was called: glibc's own adjustment is off
  std::lock_guard<std::mutex> lock(mu);
  if (mmap_threshold_from_env() || (!caching && !tuned)) return;
  constexpr int kMapThreshold = 1 << 20, kGlibcMaxThreshold = 32 << 20, kGlibcTrimThreshold = 128 << 10;
  mallopt(M_MMAP_THRESHOLD, caching ? kMapThreshold : kGlibcMaxThreshold);
  mallopt(M_TRIM_THRESHOLD, caching ? kGlibcTrimThreshold : 2 * kGlibcMaxThreshold);
  tuned = true;
#else
  (void)caching;
#endif
}

}  // namespace

extern "C" {

void tt_cpu_cache_install(int enabled) {
  std::call_once(g_installed, [enabled] {
    tt_cpu_cache_set_enabled(enabled);
    // Priority above the default allocator's, so a later registration at the
    // default priority does not displace it.
    c10::SetCPUAllocator(&CachingCPUAllocator::instance(), /*priority=*/100);
  });
}

void tt_cpu_cache_set_enabled(int enabled) {
  CachingCPUAllocator::instance().set_enabled(enabled != 0);
  tune_malloc(enabled != 0);
}

void tt_cpu_cache_release(void) { CachingCPUAllocator::instance().release(); }

tt_cpu_cache_stats tt_cpu_cache_get_stats(void) { return CachingCPUAllocator::instance().stats(); }

int tt_malloc_maps_after_free(int64_t bytes) {
#if defined(__GLIBC__)
  // Through volatile pointers and writes, so that the compiler keeps the
  // mallocs and frees.
  void *(*volatile alloc)(size_t) = std::malloc;
  void (*volatile release)(void *) = std::free;
  auto *a = static_cast<volatile char *>(alloc(size_t(bytes)));
  if (a == nullptr) return -1;
  a[0] = 1;
  release(const_cast<char *>(a));
  size_t before = mallinfo2().hblks;
  auto *b = static_cast<volatile char *>(alloc(size_t(bytes)));
  if (b == nullptr) return -1;
  b[0] = 1;
  size_t after = mallinfo2().hblks;
  release(const_cast<char *>(b));
  return after > before ? 1 : 0;
#else
  (void)bytes;
  return -1;
#endif
}

}  // extern "C"
