// Process-wide accounting of live regions, shared by every allocator and every Node environment.
#ifndef FLIGHTCACHE_CORE_ACCOUNTING_H_
#define FLIGHTCACHE_CORE_ACCOUNTING_H_

#include <cstddef>
#include <cstdint>

namespace flightcache::core {

// Requested bytes and count of regions not yet destroyed.
struct AccountingSnapshot {
  std::uint64_t live_bytes;
  std::uint64_t live_regions;
};

// Reads the counters; the two values are each exact but not read as one atomic pair.
AccountingSnapshot CurrentAccounting() noexcept;

// Called by Region's constructor and destructor only.
void RecordRegionCreated(std::size_t size) noexcept;
void RecordRegionDestroyed(std::size_t size) noexcept;

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_ACCOUNTING_H_
