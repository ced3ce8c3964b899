// JavaScript entry points of the CSV reader (core/csv_block.h): the header, and blocks of records
// parsed on threads of their own into Arrow record batch bodies.
#ifndef FLIGHTCACHE_BINDING_CSV_H_
#define FLIGHTCACHE_BINDING_CSV_H_

#include <napi.h>

namespace flightcache::binding {

// csvHeader(bytes: Uint8Array, atEnd: boolean): { names: string[], consumed: number } | null —
// null when the bytes end inside the header; an Error coded CSV_NO_HEADER_LINE when the file has
// no record, or its header is not followed by a line end.
Napi::Value CsvHeader(const Napi::CallbackInfo& info);

// csvParseBlock(bytes: Uint8Array, atEnd: boolean, columns: number, kept: Int32Array,
//               types: Int32Array, inferRows: number, threads: number): Promise<CsvBlock> —
// { consumed, rows, types: Int32Array, batches: { rows, body: ArrayBuffer, nodes: Float64Array,
// buffers: Float64Array }[] }. The bytes must not change until it settles. Rejects with an Error
// coded CSV_FIELD_COUNT, CSV_CELL, CSV_STRING_TOO_LONG or ENOMEM carrying
// record (0-based in the block), column (index in kept), its type, fields and cell.
Napi::Value CsvParseBlock(const Napi::CallbackInfo& info);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_CSV_H_
