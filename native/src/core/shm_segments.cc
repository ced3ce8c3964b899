#include "core/shm_segments.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <new>

namespace flightcache::core {
namespace {

// Linux 5.14+; older kernels answer EINVAL and the pages fault in on first write instead.
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

std::size_t PageSize() noexcept {
  static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

std::size_t RoundUp(std::size_t value, std::size_t multiple) noexcept {
  return (value + multiple - 1) / multiple * multiple;
}

int CreateUnnamedFile(int dir_fd) noexcept {
  return openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

}  // namespace

ShmSegment::ShmSegment(std::shared_ptr<ShmSpace> space, std::uint64_t id, int fd, std::byte* base, std::size_t capacity) noexcept
    : space_(std::move(space)), id_(id), fd_(fd), base_(base), capacity_(capacity) {}

ShmSegment::~ShmSegment() {
  munmap(base_, capacity_);
  close(fd_);
  space_->Forget(id_, capacity_);
}

ShmRegion::ShmRegion(std::shared_ptr<ShmSegment> segment, std::size_t offset, std::size_t size) noexcept
    : Region(segment->base() + offset, size), segment_(std::move(segment)), offset_(offset) {}

ShmSpace::ShmSpace(std::string directory, int dir_fd) noexcept : directory_(std::move(directory)), dir_fd_(dir_fd) {}

ShmSpace::~ShmSpace() { close(dir_fd_); }

std::shared_ptr<ShmSpace> ShmSpace::Open(const std::string& directory, int* error) noexcept {
  const int dir_fd = open(directory.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dir_fd < 0) {
    *error = errno;
    return nullptr;
  }
  const int probe = CreateUnnamedFile(dir_fd);
  if (probe < 0) {
    *error = errno;
    close(dir_fd);
    return nullptr;
  }
  close(probe);
  std::shared_ptr<ShmSpace> space(new (std::nothrow) ShmSpace(directory, dir_fd));
  if (!space) {
    *error = ENOMEM;
    close(dir_fd);
  }
  return space;
}

std::shared_ptr<ShmSegment> ShmSpace::Find(std::uint64_t id) const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = segments_.find(id);
  return found == segments_.end() ? nullptr : found->second.lock();
}

ShmSpaceStats ShmSpace::Stats() const noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  return {segments_.size(), capacity_bytes_};
}

std::shared_ptr<ShmSegment> ShmSpace::CreateSegment(std::size_t capacity, int* error) noexcept {
  const int fd = CreateUnnamedFile(dir_fd_);
  if (fd < 0) {
    *error = errno;
    return nullptr;
  }
  // Sparse: pages are reserved region by region as they are allocated.
  if (ftruncate(fd, static_cast<off_t>(capacity)) != 0) {
    *error = errno;
    close(fd);
    return nullptr;
  }
  void* base = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    *error = errno;
    close(fd);
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const std::uint64_t id = next_id_;
  std::shared_ptr<ShmSegment> segment(new (std::nothrow) ShmSegment(shared_from_this(), id, fd, static_cast<std::byte*>(base), capacity));
  if (!segment) {
    *error = ENOMEM;
    munmap(base, capacity);
    close(fd);
    return nullptr;
  }
  ++next_id_;
  capacity_bytes_ += capacity;
  segments_.emplace(id, segment);
  return segment;
}

void ShmSpace::Forget(std::uint64_t id, std::size_t capacity) noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  segments_.erase(id);
  capacity_bytes_ -= capacity;
}

std::unique_ptr<ShmRegion> ShmArena::Allocate(std::size_t size, int* error) noexcept {
  std::size_t offset = current_ ? RoundUp(current_->used_, kRegionAlignment) : 0;
  if (!current_ || offset > current_->capacity_ || size > current_->capacity_ - offset) {
    const std::size_t needed = RoundUp(size == 0 ? 1 : size, PageSize());
    const std::size_t capacity = needed > next_segment_bytes_ ? needed : next_segment_bytes_;
    std::shared_ptr<ShmSegment> segment = space_->CreateSegment(capacity, error);
    if (!segment) return nullptr;
    if (next_segment_bytes_ < kMaxSegmentBytes) next_segment_bytes_ *= 2;
    current_ = std::move(segment);
    offset = 0;
  }
  if (size > 0) {
    // Reserving the pages now turns a full file system into an error here rather than a SIGBUS on
    // the first write.
    if (fallocate(current_->fd_, 0, static_cast<off_t>(offset), static_cast<off_t>(size)) != 0) {
      *error = errno;
      return nullptr;
    }
    const std::size_t first_page = offset / PageSize() * PageSize();
    madvise(current_->base_ + first_page, offset + size - first_page, MADV_POPULATE_WRITE);
  }
  std::unique_ptr<ShmRegion> region(new (std::nothrow) ShmRegion(current_, offset, size));
  if (!region) {
    *error = ENOMEM;
    return nullptr;
  }
  current_->used_ = offset + size;
  return region;
}

void ShmArena::Close() noexcept { current_.reset(); }

}  // namespace flightcache::core
