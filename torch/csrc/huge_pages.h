// huge_pages.h: anonymous mappings that the kernel may back with
// transparent huge pages (2 MiB), for the shim's large, long-lived or
// reused buffers: the caching CPU allocator's segments (cpu_cache.cpp) and
// the Winograd convolutions' transformed weights (onednn_conv.cpp).
//
// A fresh mapping faults in a page at a time, each zero-filled by the
// kernel: on some virtual machines a fault costs 10 us or more (a
// paravirtualised AMD EPYC: 11 us), so that a ResNet-34's first batch
// spent most of a second faulting in its activations and the Winograd
// weights (192 MiB with dogbreed's default). Where the kernel's transparent huge pages are set to
// "madvise" (Debian's default) or "always", one fault then maps 2 MiB.
#pragma once

#include <cstddef>

namespace tt {

// The size of a small page, and n rounded up to whole ones.
constexpr size_t kPage = 4096;
constexpr size_t page_round(size_t n) { return (n + kPage - 1) & ~(kPage - 1); }

// Maps n bytes (rounded up to whole pages) of zeroed, private, anonymous
// memory, aligned to 2 MiB and advised for huge pages when it spans at
// least one while huge pages are on (tt_huge_pages_set); nullptr when the
// system has no memory for it. Unmap it with munmap(p, page_round(n)).
void *map_memory(size_t n);

// Whether map_memory advises huge pages (on by default;
// tt_huge_pages_set).
bool huge_pages();

// Memory of map_memory's, unmapped with its owner; throws (a c10::Error)
// where the system has none to map.
class Mapping {
 public:
  explicit Mapping(size_t n);
  ~Mapping();
  Mapping(const Mapping &) = delete;
  Mapping &operator=(const Mapping &) = delete;
  void *data() const { return data_; }

 private:
  void *data_;
  size_t size_;
};

}  // namespace tt
