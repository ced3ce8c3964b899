// Regions: contiguous, 64-byte-aligned blocks of memory with one owner, and the allocators that make
// them. Plain C++ (no Node headers) so the core builds and tests on its own.
#ifndef FLIGHTCACHE_CORE_REGION_H_
#define FLIGHTCACHE_CORE_REGION_H_

#include <cstddef>
#include <memory>

namespace flightcache::core {

// Arrow IPC pads buffers to 64 bytes; regions start on that boundary so every body laid out at a
// 64-byte offset inside a region is aligned in absolute memory too.
inline constexpr std::size_t kRegionAlignment = 64;

// A block of memory owned by exactly one holder; destroying it returns the memory. Constructing and
// destroying a region updates the process-wide accounting, so every implementation is counted.
class Region {
 public:
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;
  virtual ~Region();

  // Never null, even for a zero-size region, and always kRegionAlignment-aligned.
  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 protected:
  Region(std::byte* data, std::size_t size) noexcept;

 private:
  std::byte* const data_;
  const std::size_t size_;
};

// Makes regions. Implementation: HeapRegionAllocator. Shared-memory regions come from a ShmArena
// (shm_segments.h) instead, whose allocation also reports why it failed (ENOSPC vs ENOMEM).
class RegionAllocator {
 public:
  virtual ~RegionAllocator() = default;

  // Returns a region of exactly `size` usable bytes (contents unspecified), or nullptr when the
  // memory cannot be obtained. Never throws.
  virtual std::unique_ptr<Region> Allocate(std::size_t size) noexcept = 0;
};

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_REGION_H_
