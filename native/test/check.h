// The failure counter and check of the native core's test programs (native/lib/core.spec.ts builds them).
#pragma once

#include <cstdio>

namespace flightcache::test {

/** Checks failed so far; main returns non-zero when any did. */
inline int failures = 0;

/** Reports `what` and counts a failure unless `condition` holds. */
inline void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace flightcache::test
