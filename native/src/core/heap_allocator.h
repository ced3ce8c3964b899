// The process-private region allocator: small regions from the C heap, large ones from anonymous
// memory mappings.
#ifndef FLIGHTCACHE_CORE_HEAP_ALLOCATOR_H_
#define FLIGHTCACHE_CORE_HEAP_ALLOCATOR_H_

#include <cstddef>
#include <memory>

#include "core/region.h"

namespace flightcache::core {

// Regions below the threshold come from posix_memalign (64-byte aligned). Regions at or above it
// are private anonymous mappings (page aligned): munmap returns them to the OS at once, whereas
// glibc raises its own mmap threshold after large frees and would keep later large blocks in a
// fragmenting heap that does not shrink after a dataset is dropped.
class HeapRegionAllocator final : public RegionAllocator {
 public:
  static constexpr std::size_t kDefaultMapThreshold = 256 * 1024;

  explicit HeapRegionAllocator(std::size_t map_threshold = kDefaultMapThreshold) noexcept
      : map_threshold_(map_threshold) {}

  std::unique_ptr<Region> Allocate(std::size_t size) noexcept override;

  std::size_t map_threshold() const noexcept { return map_threshold_; }

 private:
  const std::size_t map_threshold_;
};

// True when a region of this size from `allocator` would be a memory mapping.
inline bool IsMapped(const HeapRegionAllocator& allocator, std::size_t size) noexcept {
  return size > 0 && size >= allocator.map_threshold();
}

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_HEAP_ALLOCATOR_H_
