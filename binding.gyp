{
  'targets': [
    {
      'target_name': 'flightcache_native',
      'sources': [
        'native/src/addon.cc',
        'native/src/binding/arguments.cc',
        'native/src/binding/bpe.cc',
        'native/src/binding/csv.cc',
        'native/src/binding/file_mapping.cc',
        'native/src/binding/regions.cc',
        'native/src/binding/shared_memory.cc',
        'native/src/binding/filter.cc',
        'native/src/binding/kernels.cc',
        'native/src/core/accounting.cc',
        'native/src/core/bpe_encoder.cc',
        'native/src/core/csv_block.cc',
        'native/src/core/csv_cells.cc',
        'native/src/core/csv_tokenizer.cc',
        'native/src/core/fd_passing.cc',
        'native/src/core/file_mapping.cc',
        'native/src/core/filter.cc',
        'native/src/core/filter_batches.cc',
        'native/src/core/filter_fused.cc',
        'native/src/core/filter_scan.cc',
        'native/src/core/gather.cc',
        'native/src/core/heap_allocator.cc',
        'native/src/core/region.cc',
        'native/src/core/shm_segments.cc',
      ],
      'include_dirs': ['native/src'],
      # C++ exceptions on throughout: the glue throws Napi::TypeError/RangeError; core never throws.
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'defines': ['NAPI_VERSION=8', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
      'cflags_cc': ['-std=c++17', '-Wall', '-Wextra', '-O3'],
      'xcode_settings': {
        'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
        'OTHER_CPLUSPLUSFLAGS': ['-Wall', '-Wextra'],
      },
    },
  ],
}
