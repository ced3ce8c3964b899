#include "core/file_mapping.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace flightcache::core {

std::unique_ptr<FileMapping> FileMapping::Map(const std::string& path, int* error, const char** step) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    *step = "open";
    return nullptr;
  }
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    *error = errno;
    *step = "fstat";
    close(fd);
    return nullptr;
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  void* data = nullptr;
  if (size > 0) {
    data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      *error = errno;
      *step = "mmap";
      close(fd);
      return nullptr;
    }
  }
  // The mapping keeps the file's pages; the descriptor is not needed any more.
  close(fd);
  return std::unique_ptr<FileMapping>(new FileMapping(data, size));
}

FileMapping::~FileMapping() {
  if (data_ != nullptr) munmap(data_, size_);
}

}  // namespace flightcache::core
