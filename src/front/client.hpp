// One client connection as an io worker holds it: bytes read and not yet parsed, the
// parser, the response being written, and where the connection is in its life.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/route_kind.hpp"
#include "base/fd.hpp"
#include "forkd/request.hpp"
#include "forkd/response.hpp"
#include "front/fastcgi_relay.hpp"
#include "http/request_parser.hpp"
#include "os/io.hpp"

namespace forkd::front {

enum class Phase {
    reading,     // waiting for (the rest of) a request
    queued,      // a blocking request waits for an idle app worker
    handed_off,  // an app worker owns the request and writes the response
    relaying,    // this io worker relays a spawned FastCGI application's answer
    writing,     // an inline response (or an error) is being written
    lingering,   // answered and half-closed: draining what the client still sends
};

struct Client {
    Client(uint64_t id_, Fd fd_, std::string peer_, const http::Limits& limits)
        : id(id_), fd(std::move(fd_)), peer(std::move(peer_)), parser(limits) {}

    uint64_t id;
    Fd fd;
    std::string peer;
    Phase phase = Phase::reading;
    std::string in;  // received, not yet consumed by the parser
    http::RequestParser parser;
    bool idle = true;  // no byte of the next request yet (keep-alive wait)
    // Accepted on a proxy_protocol listener and its PROXY header not read yet: the
    // connection stays idle (its first deadline running) until the header is taken.
    bool awaiting_proxy_header = false;
    bool continue_sent = false;
    int served = 0;
    os::Deadline deadline{};
    // The one timer this connection has in the io worker's heap: a deadline that moves
    // later (every read of a body) waits for it to fire, so the heap holds one entry per
    // connection, not one per read.
    os::Deadline timer_at = os::Deadline::max();
    Fd body_file;  // the request body beyond body_buffer_size (session/body_spool.hpp)

    // The request being answered, kept for the access log and the metrics, and what they
    // say about it: when it was read whole (or found bad), its kind, who ran it (0: this io
    // worker), how long it waited for an app worker. It is the parser's own request, used
    // in place (the parser reads nothing more until it is released, IoWorker::release_request),
    // or `made_request`, a local redirect's.
    Request* request = nullptr;
    std::optional<Request> made_request;
    int status = 0;
    os::Clock::time_point started_at{};
    api::RouteKind kind = api::RouteKind::none;
    pid_t handler_pid = 0;
    os::Clock::duration queue_wait{};

    // An inline response in progress.
    std::string out;
    std::size_t out_sent = 0;
    std::optional<FileBody> file;
    off_t file_offset = 0;
    off_t file_end = 0;
    std::size_t body_bytes = 0;
    bool close_after = false;
    bool cut_short = false;  // answered (an error) before the request was read whole
    // The fd went to another process (a hand-off, a hand-over) or came from one: closing
    // it then needs an explicit epoll_ctl DEL, as a copy may outlive ours.
    bool shared = false;
    // Pipelining: responses to requests that were already buffered wait in `out` and go out
    // in one write (io_worker.cpp, answer). Each is logged when it joins `out`.
    bool recorded = false;
    // A blocking request that came after such responses waits until they are written: the
    // app worker writes to the socket itself, so they must be out before it gets the fd.
    bool queue_after_flush = false;
    // In the io worker's ready list: a write to start, or input to parse once a response
    // is done, after the loop's turn (IoWorker::go_on).
    bool ready = false;

    // A blocking request: queued, then handed to an app worker.
    os::Clock::time_point queued_at{};
    os::Clock::time_point handed_at{};
    // A blocking request this io worker sends to a spawned FastCGI application itself.
    std::unique_ptr<FastcgiRelay> relay;
    int local_redirects = 0;  // of the current request
};

}  // namespace forkd::front
