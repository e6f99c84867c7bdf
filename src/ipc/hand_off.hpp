// The messages of hybrid mode's hand-off, in one place: both sides include this file.
//
//   io worker -> app worker, on the app worker's dispatch socket (SOCK_SEQPACKET):
//       HandOff (a fixed header, then the request's fields) with fds
//       [client connection, completion socket] and, for a body kept in a file, [body file].
//   app worker -> io worker, on the completion socket made for this one request:
//       "started" (one byte, before the first response byte), then a Completion.
//       The socket closing without a Completion means the app worker died; without
//       "started" as well, nothing reached the client and the io worker answers 502/504.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "forkd/request.hpp"

namespace forkd::ipc {

struct HandOff {
    pid_t worker_pid = 0;     // the app worker it was claimed for (stale messages are dropped)
    uint64_t connection = 0;  // the io worker's connection id, for its logs
    bool keep_alive_allowed = true;
    bool body_in_file = false;  // the body is the third fd, not in the message
    Request request;
};

std::string encode(const HandOff& hand_off);
// nullopt for a malformed message (never expected: both ends are forkd).
std::optional<HandOff> decode_hand_off(std::string_view bytes);

inline constexpr char kStarted = 'S';

struct Completion {
    int status = 0;
    uint64_t body_bytes = 0;
    bool complete = false;    // every byte of the response went out
    bool keep_alive = false;  // the connection may serve another request
};

std::string encode(const Completion& completion);
std::optional<Completion> decode_completion(std::string_view bytes);

// A body larger than this travels as a file even when body_buffer_size is larger: a
// SOCK_SEQPACKET message must fit the socket's send buffer (net.core.wmem_default, about
// 208 KiB), else every hand-off of such a request fails and it waits for queue_timeout.
inline constexpr std::size_t kMaxBodyInMessage = 64 * 1024;

// Whether a request body of `body_size` goes to the app worker as a file (third fd).
bool body_travels_in_file(std::size_t body_size, std::size_t body_buffer_size);

// Largest hand-off message: request line and headers at their limits plus the largest
// in-message body.
std::size_t max_hand_off_size(std::size_t max_request_line, std::size_t max_header_size,
                              std::size_t body_buffer_size);

}  // namespace forkd::ipc
