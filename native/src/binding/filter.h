// JavaScript entry point of the filter kernel (core/filter.h): validates the program and column
// descriptions, evaluates, returns the selected row indices or a computed column.
#ifndef FLIGHTCACHE_BINDING_FILTER_H_
#define FLIGHTCACHE_BINDING_FILTER_H_

#include <napi.h>

namespace flightcache::binding {

// filterBatch(code: Int32Array, ints: BigInt64Array, floats: Float64Array, strings: string[],
//             columns: FilterColumn[], rows: number): Uint32Array — rows where the predicate is TRUE.
// TypeError/RangeError for malformed arguments; an Error with code FILTER_EVALUATION for an
// evaluation error of the query (division by zero, failed cast), FILTER_UNSUPPORTED for values the
// kernel does not represent (uint64 above 2^63-1), FILTER_MALFORMED for a program or batch it cannot read.
Napi::Value FilterBatch(const Napi::CallbackInfo& info);

// filterBatches(code, ints, floats, strings, batches: FilterColumn[][], rows: number[], threads):
// {selected: Uint32Array[], error?: Error} — filterBatch over every batch on `threads` native threads
// (0: the hardware's concurrency), in batch order up to the first batch that fails, whose error (the
// codes of filterBatch) is returned rather than thrown; argument errors throw as in filterBatch.
Napi::Value FilterBatches(const Napi::CallbackInfo& info);

// evaluateColumn(code, ints, floats, strings, columns, rows, type: column type code): the value of
// the program's last register per row as Arrow buffers {nullCount, validity, offsets, values} (empty
// arrays where absent); the same errors as filterBatch.
Napi::Value EvaluateColumn(const Napi::CallbackInfo& info);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_FILTER_H_
