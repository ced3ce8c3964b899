#include "core/gather.h"

#include <cmath>
#include <cstring>

namespace flightcache::core {
namespace {

// Run bounds arrive as JS numbers; only non-negative integers up to 2^53 are meaningful.
bool IsIndex(double value) noexcept {
  return value >= 0 && value <= 9007199254740991.0 && std::trunc(value) == value;
}

// Fixed-size copies the compiler can turn into a few moves: the widths rows of Arrow columns have.
template <std::size_t W>
void GatherFixed(std::byte* target, const std::byte* source, const double* starts, const double* lengths,
                 std::size_t count) noexcept {
  std::byte* out = target;
  for (std::size_t r = 0; r < count; ++r) {
    const auto start = static_cast<std::size_t>(starts[r]);
    const auto length = static_cast<std::size_t>(lengths[r]);
    const std::byte* in = source + start * W;
    if (length == 1) {
      std::memcpy(out, in, W);
    } else {
      std::memcpy(out, in, length * W);
    }
    out += length * W;
  }
}

}  // namespace

GatherCheck CheckGather(std::size_t target_bytes, std::size_t source_bytes, const double* starts,
                        const double* lengths, std::size_t count, std::size_t width) noexcept {
  if (width == 0) return GatherCheck::kBadRun;
  double total = 0;
  for (std::size_t r = 0; r < count; ++r) {
    if (!IsIndex(starts[r]) || !IsIndex(lengths[r])) return GatherCheck::kBadRun;
    if ((starts[r] + lengths[r]) * static_cast<double>(width) > static_cast<double>(source_bytes)) {
      return GatherCheck::kSourceTooShort;
    }
    total += lengths[r];
  }
  if (total * static_cast<double>(width) > static_cast<double>(target_bytes)) return GatherCheck::kTargetTooShort;
  return GatherCheck::kOk;
}

void Gather(std::byte* target, const std::byte* source, const double* starts, const double* lengths,
            std::size_t count, std::size_t width) noexcept {
  switch (width) {
    case 1: return GatherFixed<1>(target, source, starts, lengths, count);
    case 2: return GatherFixed<2>(target, source, starts, lengths, count);
    case 4: return GatherFixed<4>(target, source, starts, lengths, count);
    case 8: return GatherFixed<8>(target, source, starts, lengths, count);
    case 16: return GatherFixed<16>(target, source, starts, lengths, count);
    case 32: return GatherFixed<32>(target, source, starts, lengths, count);
    case 64: return GatherFixed<64>(target, source, starts, lengths, count);
    default: break;
  }
  std::byte* out = target;
  for (std::size_t r = 0; r < count; ++r) {
    const auto bytes = static_cast<std::size_t>(lengths[r]) * width;
    std::memcpy(out, source + static_cast<std::size_t>(starts[r]) * width, bytes);
    out += bytes;
  }
}

}  // namespace flightcache::core
