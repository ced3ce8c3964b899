// Standalone tests of native/src/core (no Node): built and run by native/lib/core.spec.ts.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/accounting.h"
#include "core/heap_allocator.h"

namespace core = flightcache::core;

namespace {

int failures = 0;

void Check(bool condition, const char* what, std::size_t size) {
  if (!condition) {
    std::fprintf(stderr, "FAILED: %s (size %zu)\n", what, size);
    ++failures;
  }
}

bool Aligned(const void* pointer, std::uintptr_t alignment) {
  return reinterpret_cast<std::uintptr_t>(pointer) % alignment == 0;
}

void RegionsAreAlignedWritableAndCounted(core::HeapRegionAllocator& allocator, std::size_t size) {
  const core::AccountingSnapshot before = core::CurrentAccounting();
  {
    std::unique_ptr<core::Region> region = allocator.Allocate(size);
    Check(region != nullptr, "allocation succeeds", size);
    if (!region) return;
    Check(region->data() != nullptr, "data is never null", size);
    Check(region->size() == size, "size is the requested size", size);
    Check(Aligned(region->data(), core::kRegionAlignment), "data is 64-byte aligned", size);
    if (core::IsMapped(allocator, size)) Check(Aligned(region->data(), 4096), "mapped data is page aligned", size);
    std::memset(region->data(), 0xAB, size);
    const core::AccountingSnapshot during = core::CurrentAccounting();
    Check(during.live_bytes == before.live_bytes + size, "live bytes grow by the size", size);
    Check(during.live_regions == before.live_regions + 1, "live regions grow by one", size);
  }
  const core::AccountingSnapshot after = core::CurrentAccounting();
  Check(after.live_bytes == before.live_bytes, "live bytes return after destruction", size);
  Check(after.live_regions == before.live_regions, "live regions return after destruction", size);
}

void ZeroSizeRegionsAreDistinct(core::HeapRegionAllocator& allocator) {
  std::unique_ptr<core::Region> a = allocator.Allocate(0);
  std::unique_ptr<core::Region> b = allocator.Allocate(0);
  Check(a && b && a->data() != b->data(), "zero-size regions have distinct addresses", 0);
}

void ManyRegionsAreAllCounted(core::HeapRegionAllocator& allocator) {
  const core::AccountingSnapshot before = core::CurrentAccounting();
  std::vector<std::unique_ptr<core::Region>> regions;
  for (std::size_t i = 0; i < 100; ++i) regions.push_back(allocator.Allocate(i * 1000));
  const core::AccountingSnapshot during = core::CurrentAccounting();
  Check(during.live_regions == before.live_regions + 100, "100 live regions are counted", 100);
  Check(during.live_bytes == before.live_bytes + 4950000, "their bytes sum exactly", 100);
  regions.clear();
  Check(core::CurrentAccounting().live_bytes == before.live_bytes, "all bytes return", 100);
}

}  // namespace

int main() {
  core::HeapRegionAllocator heap;
  core::HeapRegionAllocator small_threshold(4096);
  for (std::size_t size : {0, 1, 63, 64, 65, 4095, 4096, 100000, 262143, 262144, 1 << 20, 3 << 20}) {
    RegionsAreAlignedWritableAndCounted(heap, size);
    RegionsAreAlignedWritableAndCounted(small_threshold, size);
  }
  Check(core::IsMapped(heap, 262144) && !core::IsMapped(heap, 262143), "the default threshold is 256 KiB", 262144);
  Check(!core::IsMapped(small_threshold, 0), "zero-size regions are never mapped", 0);
  ZeroSizeRegionsAreDistinct(heap);
  ManyRegionsAreAllCounted(small_threshold);
  if (failures == 0) std::puts("core tests passed");
  return failures == 0 ? 0 : 1;
}
