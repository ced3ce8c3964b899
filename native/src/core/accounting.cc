#include "core/accounting.h"

#include <atomic>

namespace flightcache::core {
namespace {

// Relaxed ordering suffices: the counters are statistics, not synchronisation.
std::atomic<std::uint64_t> live_bytes{0};
std::atomic<std::uint64_t> live_regions{0};

}  // namespace

AccountingSnapshot CurrentAccounting() noexcept {
  return {live_bytes.load(std::memory_order_relaxed), live_regions.load(std::memory_order_relaxed)};
}

void RecordRegionCreated(std::size_t size) noexcept {
  live_bytes.fetch_add(size, std::memory_order_relaxed);
  live_regions.fetch_add(1, std::memory_order_relaxed);
}

void RecordRegionDestroyed(std::size_t size) noexcept {
  live_bytes.fetch_sub(size, std::memory_order_relaxed);
  live_regions.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace flightcache::core
