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

// Largest hand-off message: request line and headers at their limits plus an in-message
// body of `body_buffer_size`.
std::size_t max_hand_off_size(std::size_t max_request_line, std::size_t max_header_size,
                              std::size_t body_buffer_size);

}  // namespace forkd::ipc
