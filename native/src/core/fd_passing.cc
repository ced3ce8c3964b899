#include "core/fd_passing.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace flightcache::core {

ssize_t SendWithDescriptors(int socket, const std::byte* data, std::size_t length, const int* fds, std::size_t count) noexcept {
  if (count > kMaxPassedDescriptors || length == 0) {
    errno = EINVAL;
    return -1;
  }
  iovec io{const_cast<std::byte*>(data), length};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedDescriptors)];
  msghdr message{};
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  if (count > 0) {
    std::memset(control, 0, sizeof(control));
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * count);
    std::memcpy(CMSG_DATA(header), fds, sizeof(int) * count);
  }
  ssize_t sent;
  do {
    sent = sendmsg(socket, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent;
}

}  // namespace flightcache::core
