#include "os/fd_passing.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace forkd::os {

std::pair<Fd, Fd> make_message_pair(bool nonblocking) {
    int fds[2];
    int type = SOCK_SEQPACKET | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
    if (::socketpair(AF_UNIX, type, 0, fds) != 0) {
        throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
    }
    return {Fd(fds[0]), Fd(fds[1])};
}

bool send_message(int socket, std::string_view bytes, std::span<const int> fds) {
    return try_send_message(socket, bytes, fds) == Sent::done;
}

Sent try_send_message(int socket, std::string_view bytes, std::span<const int> fds) {
    iovec vector{const_cast<char*>(bytes.data()), bytes.size()};
    msghdr message{};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
    if (!fds.empty()) {
        if (fds.size() > kMaxPassedFds) return Sent::failed;
        message.msg_control = control;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        if (::sendmsg(socket, &message, MSG_NOSIGNAL) >= 0) return Sent::done;
        if (errno == EAGAIN) return Sent::would_block;
        if (errno != EINTR) return Sent::failed;
    }
}

bool receive_message(int socket, std::size_t max_bytes, ReceivedMessage& into) {
    // One scratch buffer per thread, sized once: zero-filling a fresh max_bytes buffer (a
    // hand-off's can be 100 KiB) for every message cost more than the message itself.
    thread_local std::vector<char> scratch;
    if (scratch.size() < max_bytes) scratch.resize(max_bytes);
    into.fds.clear();
    iovec vector{scratch.data(), max_bytes};
    msghdr message{};
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t got = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    if (got < 0) return false;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
            into.fds.emplace_back(fd);
        }
    }
    into.bytes.assign(scratch.data(), static_cast<std::size_t>(got));
    into.closed = got == 0 && into.fds.empty();
    return true;
}

std::optional<ReceivedMessage> receive_message(int socket, std::size_t max_bytes) {
    ReceivedMessage received;
    if (!receive_message(socket, max_bytes, received)) return std::nullopt;
    return received;
}

}  // namespace forkd::os
