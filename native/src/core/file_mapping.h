// A whole file mapped into memory (copy-on-write, so a stray write never reaches the file): reads are
// served from the page cache, and the kernel may drop clean pages under memory pressure.
#ifndef FLIGHTCACHE_CORE_FILE_MAPPING_H_
#define FLIGHTCACHE_CORE_FILE_MAPPING_H_

#include <cstddef>
#include <memory>
#include <string>

namespace flightcache::core {

class FileMapping {
 public:
  // Maps the file at `path`; nullptr on failure, with `*error` the errno and `*step` the call that
  // failed. An empty file gives a mapping of size 0 and no address.
  static std::unique_ptr<FileMapping> Map(const std::string& path, int* error, const char** step);
  ~FileMapping();
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  FileMapping(void* data, std::size_t size) : data_(data), size_(size) {}
  void* data_;
  std::size_t size_;
};

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_FILE_MAPPING_H_
