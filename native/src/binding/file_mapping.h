// JavaScript entry point for mapping files: thin glue that validates arguments and calls the core.
#ifndef FLIGHTCACHE_BINDING_FILE_MAPPING_H_
#define FLIGHTCACHE_BINDING_FILE_MAPPING_H_

#include <napi.h>

namespace flightcache::binding {

// mapFile(path: string): ArrayBuffer — an external ArrayBuffer over the whole file, mapped
// copy-on-write (page-aligned, so 64-byte aligned); unmapped by the buffer's finalizer. Not counted
// as native region memory. An Error whose code is the errno name (e.g. 'ENOENT') when it cannot be mapped.
Napi::Value MapFile(const Napi::CallbackInfo& info);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_FILE_MAPPING_H_
