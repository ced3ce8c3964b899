// Shared-memory regions: bump-allocated slices of segment files created with O_TMPFILE in a
// directory (a tmpfs such as /dev/shm), so another process can map them when handed the descriptor.
#ifndef FLIGHTCACHE_CORE_SHM_SEGMENTS_H_
#define FLIGHTCACHE_CORE_SHM_SEGMENTS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/region.h"

namespace flightcache::core {

class ShmSpace;

// One unnamed file of the space, mapped MAP_SHARED read/write. Lives while its arena or any of its
// regions does; then it is unmapped and closed (readers holding its descriptor keep the pages).
class ShmSegment {
 public:
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;
  ~ShmSegment();

  std::uint64_t id() const noexcept { return id_; }
  int fd() const noexcept { return fd_; }
  std::byte* base() const noexcept { return base_; }
  // The file's (sparse) size and the mapping's length.
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  friend class ShmSpace;
  friend class ShmArena;
  ShmSegment(std::shared_ptr<ShmSpace> space, std::uint64_t id, int fd, std::byte* base, std::size_t capacity) noexcept;

  const std::shared_ptr<ShmSpace> space_;
  const std::uint64_t id_;
  const int fd_;
  std::byte* const base_;
  const std::size_t capacity_;
  // Next free byte; space below it is never handed out again.
  std::size_t used_ = 0;
};

// A region inside a segment; keeps the segment alive.
class ShmRegion final : public Region {
 public:
  ShmRegion(std::shared_ptr<ShmSegment> segment, std::size_t offset, std::size_t size) noexcept;
  const ShmSegment& segment() const noexcept { return *segment_; }
  std::size_t offset() const noexcept { return offset_; }

 private:
  const std::shared_ptr<ShmSegment> segment_;
  const std::size_t offset_;
};

// Live segments of the space, for stats and tests.
struct ShmSpaceStats {
  std::uint64_t segments;
  std::uint64_t capacity_bytes;
};

// A directory segments are created in, and the registry of its live segments by id.
class ShmSpace : public std::enable_shared_from_this<ShmSpace> {
 public:
  // Opens `directory` and checks that an O_TMPFILE file can be created there; on failure returns
  // nullptr and sets `error` to the errno.
  static std::shared_ptr<ShmSpace> Open(const std::string& directory, int* error) noexcept;

  ShmSpace(const ShmSpace&) = delete;
  ShmSpace& operator=(const ShmSpace&) = delete;
  ~ShmSpace();

  const std::string& directory() const noexcept { return directory_; }

  // The live segment with this id, or nullptr.
  std::shared_ptr<ShmSegment> Find(std::uint64_t id) const noexcept;
  ShmSpaceStats Stats() const noexcept;

 private:
  friend class ShmSegment;
  friend class ShmArena;
  ShmSpace(std::string directory, int dir_fd) noexcept;
  // A new segment of `capacity` bytes (a page multiple), or nullptr with `error` set.
  std::shared_ptr<ShmSegment> CreateSegment(std::size_t capacity, int* error) noexcept;
  void Forget(std::uint64_t id, std::size_t capacity) noexcept;

  const std::string directory_;
  const int dir_fd_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::uint64_t capacity_bytes_ = 0;
  std::map<std::uint64_t, std::weak_ptr<ShmSegment>> segments_;
};

// Hands out 64-byte-aligned regions from segments no other arena uses: one arena per dataset write,
// so a segment only ever holds one dataset's messages. Segments start at kFirstSegmentBytes and
// double up to kMaxSegmentBytes (or one region's size, rounded to pages, when larger).
class ShmArena {
 public:
  static constexpr std::size_t kFirstSegmentBytes = std::size_t{1} << 20;
  static constexpr std::size_t kMaxSegmentBytes = std::size_t{256} << 20;

  explicit ShmArena(std::shared_ptr<ShmSpace> space) noexcept : space_(std::move(space)) {}

  // A region of `size` bytes with its pages reserved (fallocate), or nullptr with `error` set
  // (ENOSPC when the directory's file system is full, ENOMEM, EMFILE, ...). Never throws.
  std::unique_ptr<ShmRegion> Allocate(std::size_t size, int* error) noexcept;

  // Lets go of the current segment: it is freed once its regions are. Later allocations open new ones.
  void Close() noexcept;

 private:
  const std::shared_ptr<ShmSpace> space_;
  std::shared_ptr<ShmSegment> current_;
  std::size_t next_segment_bytes_ = kFirstSegmentBytes;
};

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_SHM_SEGMENTS_H_
