// Column-against-constant comparisons that write the selected rows directly, 64 rows a block (a
// mask of the block's results ANDed with the validity bitmap's word, its rows written from a table
// of positions), without the general evaluator's per-row registers:
// - utf8 (in)equality (`tag = 'x'`): the lengths compared first, then only the bytes of rows of the
//   constant's length, prefetched a group of blocks ahead; a selection keeping more than one row in
//   16 of the first 1024 is left to the general path.
// - integer and float comparisons (`score < 0.1`): each 4,096-row chunk compared by the general
//   path's own scan, so values, NaN order and range checks are the same; float64 with AVX2
//   straight into the mask, four rows a compare, under the same NaN order.
// - dictionary comparisons (`lang = 'en'`): the entries compared once, int32 indices then mapped
//   eight rows a gather (AVX2), other index types a chunk at a time by the general path's mapping.
// Anything else (other programs, every batch the general evaluator would
// refuse) is left to the general evaluator, so results and errors are the same either way.
#ifndef FLIGHTCACHE_CORE_FILTER_FUSED_H_
#define FLIGHTCACHE_CORE_FILTER_FUSED_H_

#include <cstddef>
#include <vector>

#include "core/filter.h"

namespace flightcache::core {

// True with `result` filled when `program` is one of the comparisons above over a well-formed
// column without struct parents; false otherwise.
bool FusedFilter(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows, FilterResult* result);

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_FILTER_FUSED_H_
