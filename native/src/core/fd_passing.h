// Sending file descriptors over a Unix socket (SCM_RIGHTS), which Node's own sockets cannot do.
#ifndef FLIGHTCACHE_CORE_FD_PASSING_H_
#define FLIGHTCACHE_CORE_FD_PASSING_H_

#include <cstddef>
#include <sys/types.h>

namespace flightcache::core {

// The most descriptors one call attaches; receivers size their ancillary buffers for it.
inline constexpr std::size_t kMaxPassedDescriptors = 16;

// Sends `data` on the connected Unix stream socket with `fds` attached to its first byte, without
// blocking and without SIGPIPE. Returns the bytes sent (the descriptors travel whenever it is > 0),
// or -1 with errno set (EAGAIN: nothing was sent; EINVAL: count > kMaxPassedDescriptors or no data).
ssize_t SendWithDescriptors(int socket, const std::byte* data, std::size_t length, const int* fds, std::size_t count) noexcept;

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_FD_PASSING_H_
