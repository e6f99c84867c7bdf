// Unix-socket pairs and messages that carry file descriptors (SCM_RIGHTS): how hybrid mode's
// io workers hand a client connection to an app worker.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.hpp"

namespace forkd::os {

// A connected pair of SOCK_SEQPACKET unix sockets (message boundaries kept), close-on-exec;
// `nonblocking` applies to both ends.
std::pair<Fd, Fd> make_message_pair(bool nonblocking);

inline constexpr std::size_t kMaxPassedFds = 4;

// Sends one message carrying `fds` (at most kMaxPassedFds). Returns false when the peer is
// gone or the socket is full (EAGAIN on a non-blocking socket).
bool send_message(int socket, std::string_view bytes, std::span<const int> fds = {});

// The same, telling a full non-blocking socket (worth another try once it is writable)
// from a failure.
enum class Sent { done, would_block, failed };
Sent try_send_message(int socket, std::string_view bytes, std::span<const int> fds = {});

struct ReceivedMessage {
    std::string bytes;    // empty with `closed`: the peer closed its end
    std::vector<Fd> fds;  // owned: closed unless the receiver moves them out
    bool closed = false;
};
// Receives one message of at most `max_bytes`; nullopt when none is waiting (EAGAIN) or
// the wait was interrupted (EINTR).
std::optional<ReceivedMessage> receive_message(int socket, std::size_t max_bytes);
// The same into `into`, whose buffers are reused (a caller that receives message after
// message allocates nothing once they are large enough); false where the other is nullopt.
bool receive_message(int socket, std::size_t max_bytes, ReceivedMessage& into);

}  // namespace forkd::os
