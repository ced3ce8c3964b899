// The row gather behind server-side shuffles: copies runs of fixed-width elements from a source
// buffer into consecutive places of a target. Plain C++, no Node headers.
#ifndef FLIGHTCACHE_CORE_GATHER_H_
#define FLIGHTCACHE_CORE_GATHER_H_

#include <cstddef>

namespace flightcache::core {

// Where a gather would read or write out of bounds; kOk when every run fits.
enum class GatherCheck { kOk, kSourceTooShort, kTargetTooShort, kBadRun };

// Checks runs [starts[i], starts[i] + lengths[i]) of `width`-byte elements against the buffers.
GatherCheck CheckGather(std::size_t target_bytes, std::size_t source_bytes, const double* starts,
                        const double* lengths, std::size_t count, std::size_t width) noexcept;

// Copies each run's elements, in order, to consecutive elements of `target`. The runs must have
// passed CheckGather.
void Gather(std::byte* target, const std::byte* source, const double* starts, const double* lengths,
            std::size_t count, std::size_t width) noexcept;

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_GATHER_H_
