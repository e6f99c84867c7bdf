// One client connection served blocking, with deadlines: read -> parse -> handle ->
// write -> keep-alive? (Boost.Beast's sync server is the model). Runs in whichever process
// owns the connection: the single-mode process, a prefork worker, a fork-mode child. A body
// over body_buffer_size waits in an unlinked temp file (body_spool.hpp), never in memory,
// and reaches the handler as that file.
//
// It never throws: bad client bytes become a status and a close, a handler's exception a
// 500, a vanished client a quiet close. A graceful stop (os::stop_requested) ends the
// connection at the next request boundary, never in the middle of a request.
#pragma once

#include <string>

#include "api/route_kind.hpp"
#include "base/fd.hpp"
#include "config/config.hpp"
#include "forkd/handler.hpp"
#include "http/request_parser.hpp"
#include "os/io.hpp"
#include "session/access_log.hpp"
#include "session/body_spool.hpp"
#include "session/client_address.hpp"

namespace forkd::session {

struct Options {
    http::Limits limits;
    config::Duration client_header_timeout;
    config::Duration client_body_timeout;
    config::Duration keepalive_timeout;
    config::Duration send_timeout;
    config::Duration lingering_timeout;
    config::Duration request_timeout{0};  // 0: no deadline (single mode: nobody to replace us)
    int keepalive_requests = 1000;
    bool server_tokens = true;
    bool guard_requests = false;  // answer 504/502 from signal handlers (os/request_guard.hpp)
    BodySpool body_spool{64 * 1024, ""};  // body_buffer_size and body_temp_path
    TrustedProxies trusted_proxies;       // whose forwarding headers name the client

    static Options from(const config::Config& config);
};

// What the serving process wants to know as requests come and go (its process title, its
// scoreboard slot, the metrics' counters).
class Observer {
  public:
    virtual ~Observer() = default;
    virtual void request_started(const Request&) {}
    virtual void request_finished(const Request&, int /*status*/, std::size_t /*body_bytes*/,
                                  api::RouteKind) {}
    // A request that could not be read whole (bad bytes, a timeout, a body that could not be
    // stored) was answered with `status`.
    virtual void error_answered(int /*status*/, std::size_t /*body_bytes*/) {}
};

struct Services {
    const Options& options;
    const Router& router;
    AccessLog& access_log;
    Observer& observer;
};

// A listening socket as the processes that accept on it see it: connections on a `listen`
// entry marked proxy_protocol begin with a PROXY header (http/proxy_protocol.hpp).
struct ListeningSocket {
    int fd = -1;
    bool proxy_protocol = false;
};

// Serves `client` until it closes, times out, asks to close, or a stop is requested. With
// `proxy_header`, the connection must begin with a PROXY protocol header, within
// client_header_timeout of the accept: the client it names replaces `peer`; a bad header, or
// none in time, closes the connection without an answer.
void serve_connection(Fd client, const std::string& peer, const Services& services,
                      bool proxy_header = false);

}  // namespace forkd::session
