#include "core/region.h"

#include "core/accounting.h"

namespace flightcache::core {

Region::Region(std::byte* data, std::size_t size) noexcept : data_(data), size_(size) {
  RecordRegionCreated(size);
}

Region::~Region() { RecordRegionDestroyed(size_); }

}  // namespace flightcache::core
