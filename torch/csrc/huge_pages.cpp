// huge_pages.cpp: see huge_pages.h.
#include "huge_pages.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>

#include "shim.h"

namespace tt {
namespace {

constexpr size_t kHugePage = size_t(2) << 20;

std::atomic<bool> g_huge{true};

}  // namespace

bool huge_pages() { return g_huge.load(std::memory_order_relaxed); }

void *map_memory(size_t n) {
  size_t size = page_round(n);
  bool huge = huge_pages() && size >= kHugePage;
  // A huge page maps an aligned 2 MiB: map that much more and unmap what
  // lies before the first boundary and after the block.
  size_t span = huge ? size + kHugePage : size;
  void *m = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  if (!huge) return m;
  auto start = reinterpret_cast<uintptr_t>(m);
  uintptr_t aligned = (start + kHugePage - 1) & ~uintptr_t(kHugePage - 1);
  if (aligned > start) munmap(m, aligned - start);
  size_t tail = start + span - (aligned + size);
  if (tail > 0) munmap(reinterpret_cast<void *>(aligned + size), tail);
  void *p = reinterpret_cast<void *>(aligned);
  madvise(p, size, MADV_HUGEPAGE);  // advice only: where the kernel has none, small pages
  return p;
}

Mapping::Mapping(size_t n) : data_(map_memory(n)), size_(page_round(n)) {
  TORCH_CHECK(data_ != nullptr, "out of memory mapping ", n, " bytes");
}

Mapping::~Mapping() { munmap(data_, size_); }

}  // namespace tt

extern "C" {

void tt_huge_pages_set(int enabled) { tt::g_huge.store(enabled != 0, std::memory_order_relaxed); }

int tt_huge_pages_enabled(void) { return tt::huge_pages() ? 1 : 0; }

}  // extern "C"
