// Standalone tests of the shared-memory segments and descriptor passing (no Node): built and run by
// native/lib/core.spec.ts with a scratch directory (ideally on a tmpfs) as its one argument.
#include <dirent.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/fd_passing.h"
#include "core/shm_segments.h"
#include "check.h"

namespace core = flightcache::core;

namespace {

using flightcache::test::Check;
using flightcache::test::failures;

std::size_t EntriesIn(const std::string& directory) {
  std::size_t count = 0;
  if (DIR* dir = opendir(directory.c_str())) {
    while (dirent* entry = readdir(dir)) {
      if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) ++count;
    }
    closedir(dir);
  }
  return count;
}

std::unique_ptr<core::ShmRegion> Allocate(core::ShmArena& arena, std::size_t size) {
  int error = 0;
  std::unique_ptr<core::ShmRegion> region = arena.Allocate(size, &error);
  Check(region != nullptr, "allocation succeeds");
  if (!region) std::fprintf(stderr, "  errno %d for %zu bytes\n", error, size);
  return region;
}

void RegionsAreAlignedBumpAllocatedAndNeverOverlap(const std::shared_ptr<core::ShmSpace>& space) {
  core::ShmArena arena(space);
  std::vector<std::unique_ptr<core::ShmRegion>> regions;
  for (std::size_t size : {1, 100, 64, 0, 4000, 65}) regions.push_back(Allocate(arena, size));
  std::size_t expected_offset = 0;
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const core::ShmRegion& region = *regions[i];
    Check(reinterpret_cast<std::uintptr_t>(region.data()) % core::kRegionAlignment == 0, "regions start 64-byte aligned");
    Check(region.offset() == expected_offset, "regions follow each other at the next 64-byte boundary");
    Check(&region.segment() == &regions[0]->segment(), "small regions share the arena's first segment");
    Check(region.data() == region.segment().base() + region.offset(), "data is the segment's base plus the offset");
    expected_offset = (region.offset() + region.size() + 63) / 64 * 64;
    std::memset(region.data(), static_cast<int>(i + 1), region.size());
  }
  for (std::size_t i = 0; i < regions.size(); ++i) {
    bool intact = true;
    for (std::size_t b = 0; b < regions[i]->size(); ++b) intact = intact && regions[i]->data()[b] == static_cast<std::byte>(i + 1);
    Check(intact, "writing one region changes no other");
  }
  Check(regions[0]->segment().capacity() == core::ShmArena::kFirstSegmentBytes, "the first segment is 1 MiB");
}

void SegmentsGrowAndLargeRegionsGetTheirOwn(const std::shared_ptr<core::ShmSpace>& space) {
  core::ShmArena arena(space);
  auto first = Allocate(arena, 600 * 1024);
  auto second = Allocate(arena, 600 * 1024);
  Check(&first->segment() != &second->segment(), "a region that does not fit opens a new segment");
  Check(second->segment().capacity() == 2 * core::ShmArena::kFirstSegmentBytes, "the next segment is twice as large");
  auto large = Allocate(arena, (5u << 20) + 1);
  Check(large->segment().capacity() >= (5u << 20) + 1 && large->offset() == 0, "a region larger than the next segment gets one of its size");
  core::ShmArena other(space);
  auto foreign = Allocate(other, 64);
  Check(&foreign->segment() != &first->segment() && &foreign->segment() != &second->segment(), "arenas never share a segment");
}

void SegmentsLiveUntilTheArenaAndEveryRegionAreGone(const std::shared_ptr<core::ShmSpace>& space) {
  const std::uint64_t before = space->Stats().segments;
  auto arena = std::make_unique<core::ShmArena>(space);
  auto region = Allocate(*arena, 1000);
  const std::uint64_t id = region->segment().id();
  Check(space->Stats().segments == before + 1, "a segment is counted while used");
  Check(space->Find(id) != nullptr, "a live segment is found by id");
  arena->Close();
  Check(space->Find(id) != nullptr, "a closed arena's segment lives while a region does");
  region.reset();
  Check(space->Find(id) == nullptr && space->Stats().segments == before, "the segment goes with its last region");
  auto again = Allocate(*arena, 10);
  Check(again->segment().id() != id, "a closed arena allocates from a new segment");
}

void SegmentsAreNeverVisibleInTheDirectory(const std::shared_ptr<core::ShmSpace>& space) {
  core::ShmArena arena(space);
  auto region = Allocate(arena, 4096);
  Check(EntriesIn(space->directory()) == 0, "no segment has a name in the directory");
}

void DescriptorsPassOverAUnixSocketAndMapTheSameBytes(const std::shared_ptr<core::ShmSpace>& space) {
  core::ShmArena arena(space);
  auto region = Allocate(arena, 256);
  std::memcpy(region->data(), "shared bytes", 12);
  int pair[2];
  Check(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair");
  const int fd = region->segment().fd();
  const char frame[] = "frame";
  Check(core::SendWithDescriptors(pair[0], reinterpret_cast<const std::byte*>(frame), 5, &fd, 1) == 5, "the frame is sent whole");

  char data[16] = {};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * core::kMaxPassedDescriptors)];
  iovec io{data, sizeof(data)};
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  Check(recvmsg(pair[1], &message, 0) == 5 && std::memcmp(data, "frame", 5) == 0, "the frame arrives");
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  Check(header != nullptr && header->cmsg_type == SCM_RIGHTS && header->cmsg_len == CMSG_LEN(sizeof(int)), "one descriptor arrives");
  if (header != nullptr) {
    int received = -1;
    std::memcpy(&received, CMSG_DATA(header), sizeof(int));
    const std::size_t capacity = region->segment().capacity();
    void* mapped = mmap(nullptr, capacity, PROT_READ, MAP_SHARED, received, 0);
    Check(mapped != MAP_FAILED, "the received descriptor maps read-only");
    if (mapped != MAP_FAILED) {
      const char* view = static_cast<const char*>(mapped) + region->offset();
      Check(std::memcmp(view, "shared bytes", 12) == 0, "the mapping shows the region's bytes");
      munmap(mapped, capacity);
    }
    close(received);
  }
  std::vector<int> too_many(core::kMaxPassedDescriptors + 1, fd);
  errno = 0;
  Check(core::SendWithDescriptors(pair[0], reinterpret_cast<const std::byte*>(frame), 5, too_many.data(), too_many.size()) == -1 && errno == EINVAL,
        "more than 16 descriptors are refused with EINVAL");
  close(pair[1]);
  errno = 0;
  Check(core::SendWithDescriptors(pair[0], reinterpret_cast<const std::byte*>(frame), 5, &fd, 1) == -1 && errno == EPIPE,
        "sending to a closed peer fails with EPIPE, without a signal");
  close(pair[0]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: shm_test DIRECTORY\n");
    return 2;
  }
  int error = 0;
  Check(core::ShmSpace::Open(std::string(argv[1]) + "/missing", &error) == nullptr && error == ENOENT, "a missing directory fails with ENOENT");
  std::shared_ptr<core::ShmSpace> space = core::ShmSpace::Open(argv[1], &error);
  Check(space != nullptr, "the scratch directory opens");
  if (space) {
    RegionsAreAlignedBumpAllocatedAndNeverOverlap(space);
    SegmentsGrowAndLargeRegionsGetTheirOwn(space);
    SegmentsLiveUntilTheArenaAndEveryRegionAreGone(space);
    SegmentsAreNeverVisibleInTheDirectory(space);
    DescriptorsPassOverAUnixSocketAndMapTheSameBytes(space);
    Check(space->Stats().segments == 0, "every segment is gone when its regions and arenas are");
  }
  if (failures == 0) std::puts("shm tests passed");
  return failures == 0 ? 0 : 1;
}
