// The messages of hybrid mode's hand-off, in one place: both sides include this file.
//
//   io worker -> app worker, on the app worker's dispatch socket (SOCK_SEQPACKET):
//       HandOff (a fixed header, then the request's fields) with fds [client connection],
//       then, on the first hand-off between these two processes, [link, started marks],
//       then, for a body kept in a file, [body file].
//   app worker -> io worker, on their link: a SOCK_SEQPACKET pair the io worker makes at
//       its first hand-off to that app worker and keeps for the app worker's life:
//       a Completion per hand-off. The link closing means the app worker died (or left
//       after its last request); a hand-off still without its Completion then gets 502/504
//       when its started mark (ipc/started_marks.hpp) says no byte went out, else a close.
//       One link per pair instead of a socket per request: a unix socket passed with
//       SCM_RIGHTS costs a socketpair, two closes, two epoll_ctl and a kernel garbage
//       collection pass on every close while it is in flight.
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

// What travels beside the request.
struct HandOffFields {
    pid_t worker_pid = 0;     // the app worker it was claimed for (stale messages are dropped)
    pid_t io_pid = 0;         // the io worker: which link the Completion goes back on
    uint64_t sequence = 0;    // the io worker's number for this hand-off, echoed back
    uint64_t connection = 0;  // the io worker's connection id, for its logs
    bool keep_alive_allowed = true;
    bool link_attached = false;  // fds 2 and 3 are a new link and the io worker's marks
    bool body_in_file = false;   // the body is the last fd, not in the message
};

struct HandOff : HandOffFields {
    Request request;
};

// Writes the message into `out` (replacing what it held; a buffer kept from one hand-off to
// the next is not allocated again). The request is read where it is, not copied first.
void encode(const HandOffFields& fields, const Request& request, std::string& out);
std::string encode(const HandOff& hand_off);
// nullopt for a malformed message (never expected: both ends are forkd).
std::optional<HandOff> decode_hand_off(std::string_view bytes);
// Into a hand-off kept from one message to the next (an app worker's): its request is made
// anew first, keeping its storage (api::renew). False for a malformed message.
bool decode_hand_off(std::string_view bytes, HandOff& into);

struct IdleConnection {
    uint32_t served = 0;  // requests answered on it so far: keepalive_requests counts on
    std::string peer;     // the client's address, for the logs
};

std::string encode(const IdleConnection& idle);
std::optional<IdleConnection> decode_idle_connection(std::string_view bytes);
// Large enough for any IdleConnection message.
inline constexpr std::size_t kMaxIdleConnectionMessage = 512;

struct Completion {
    uint64_t sequence = 0;  // the HandOff's
    int status = 0;
    uint64_t body_bytes = 0;
    bool complete = false;    // every byte of the response went out
    bool keep_alive = false;  // the connection may serve another request
};

// Into `out`, as the HandOff's encode; or into a new string.
void encode(const Completion& completion, std::string& out);
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
