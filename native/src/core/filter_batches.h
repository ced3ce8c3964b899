// One predicate over many record batches of a dataset on a few threads: each batch is still one
// EvaluateFilter call, the threads only share out the batches, so each batch's selection is the one
// EvaluateFilter gives it alone.
#ifndef FLIGHTCACHE_CORE_FILTER_BATCHES_H_
#define FLIGHTCACHE_CORE_FILTER_BATCHES_H_

#include <cstddef>
#include <vector>

#include "core/filter.h"

namespace flightcache::core {

// The columns and row count of one record batch.
struct FilterBatchInput {
  std::vector<FilterColumn> columns;
  std::size_t rows = 0;
};

// Threads a scan of `batches` uses when asked for `threads`: never more than one per batch; 0 picks
// the hardware's concurrency, but one thread for little work, where starting threads costs more than it saves.
unsigned ScanThreads(unsigned threads, const std::vector<FilterBatchInput>& batches);

// Evaluates `program` over each batch, in batch order as far as the first failing batch: the
// result holds the batches before it and then its failure (later batches are not evaluated). An
// exception of a pool thread (std::bad_alloc) is thrown again here, on the calling thread.
std::vector<FilterResult> EvaluateFilterBatches(const FilterProgram& program, const std::vector<FilterBatchInput>& batches, unsigned threads);

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_FILTER_BATCHES_H_
