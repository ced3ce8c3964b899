// Per-environment state (the main thread and each worker get their own), held as instance data.
#ifndef FLIGHTCACHE_BINDING_ADDON_STATE_H_
#define FLIGHTCACHE_BINDING_ADDON_STATE_H_

#include <memory>

#include "core/region.h"

namespace flightcache::binding {

struct AddonState {
  std::unique_ptr<core::RegionAllocator> allocator;
};

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_ADDON_STATE_H_
