// A sparse utf8 (in)equality with a constant (`tag = 'x'`) in one pass over the column's offsets,
// bytes and validity bitmap that writes the selected rows directly (64 rows a block: the lengths
// compared, packed into a mask, ANDed with the bitmap's word, the candidates' bytes compared, the
// mask's rows written). No per-row registers. Anything else (other programs, a selection keeping
// more than one row in 16 of the first 1024, every batch the general evaluator would refuse) is
// left to the general evaluator, so results and errors are the same either way. Numeric
// comparisons fused the same way measured slower than the general path's vectorised scans.
#ifndef FLIGHTCACHE_CORE_FILTER_FUSED_H_
#define FLIGHTCACHE_CORE_FILTER_FUSED_H_

#include <cstddef>
#include <vector>

#include "core/filter.h"

namespace flightcache::core {

// True with `result` filled when `program` is `utf8 column = constant` (or <>, either operand
// order) over a well-formed column without struct parents, keeping few rows; false otherwise.
bool FusedFilter(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows, FilterResult* result);

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_FILTER_FUSED_H_
