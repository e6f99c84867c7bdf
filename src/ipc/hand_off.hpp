// The messages of hybrid mode's hand-off, in one place: both sides include this file.
//
//   io worker -> app worker, on the app worker's dispatch socket (SOCK_SEQPACKET):
//       HandOff (a fixed header, then the request's fields) with fds
//       [client connection, completion socket] and, for a body kept in a file, [body file].
//   app worker -> io worker, on the completion socket made for this one request:
//       "started" (one byte, before the first response byte), then a Completion.
//       The socket closing without a Completion means the app worker died; without
//       "started" as well, nothing reached the client and the io worker answers 502/504.
//
//   io worker of an older generation -> any io worker still serving, on the hand-over socket
//   (one SOCK_SEQPACKET pair the master makes before the first fork; every io worker sends
//   on one end and reads the other):
//       IdleConnection with fds [client connection], on a reload: a keep-alive connection
//       with no byte of its next request read, so nothing but the fd has to travel.
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

struct IdleConnection {
    uint32_t served = 0;  // requests answered on it so far: keepalive_requests counts on
    std::string peer;     // the client's address, for the logs
};

std::string encode(const IdleConnection& idle);
std::optional<IdleConnection> decode_idle_connection(std::string_view bytes);
// Large enough for any IdleConnection message.
inline constexpr std::size_t kMaxIdleConnectionMessage = 512;

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

// The largest request body that goes to the app worker inside the message; a larger one
// goes as a file (the third fd).
std::size_t max_body_in_message(std::size_t body_buffer_size);

// Largest hand-off message: request line and headers at their limits plus the largest
// in-message body.
std::size_t max_hand_off_size(std::size_t max_request_line, std::size_t max_header_size,
                              std::size_t body_buffer_size);

}  // namespace forkd::ipc
