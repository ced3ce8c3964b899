#include "core/heap_allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace flightcache::core {
namespace {

class AlignedHeapRegion final : public Region {
 public:
  AlignedHeapRegion(std::byte* data, std::size_t size) noexcept : Region(data, size) {}
  ~AlignedHeapRegion() override { std::free(data()); }
};

class AnonymousMapRegion final : public Region {
 public:
  AnonymousMapRegion(std::byte* data, std::size_t size) noexcept : Region(data, size) {}
  ~AnonymousMapRegion() override { munmap(data(), size()); }
};

std::unique_ptr<Region> AllocateAligned(std::size_t size) noexcept {
  void* memory = nullptr;
  // A zero-byte request still gets a distinct, aligned, non-null block.
  if (posix_memalign(&memory, kRegionAlignment, size == 0 ? 1 : size) != 0) return nullptr;
  auto* bytes = static_cast<std::byte*>(memory);
  std::unique_ptr<Region> region(new (std::nothrow) AlignedHeapRegion(bytes, size));
  if (!region) std::free(memory);
  return region;
}

std::unique_ptr<Region> AllocateMapped(std::size_t size) noexcept {
  // Regions are filled right after allocation: populating the pages up front replaces one page
  // fault per 4 KiB with a single kernel call.
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  auto* bytes = static_cast<std::byte*>(memory);
  std::unique_ptr<Region> region(new (std::nothrow) AnonymousMapRegion(bytes, size));
  if (!region) munmap(memory, size);
  return region;
}

}  // namespace

std::unique_ptr<Region> HeapRegionAllocator::Allocate(std::size_t size) noexcept {
  return IsMapped(*this, size) ? AllocateMapped(size) : AllocateAligned(size);
}

}  // namespace flightcache::core
