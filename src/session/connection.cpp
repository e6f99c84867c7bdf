#include "session/connection.hpp"

#include <unistd.h>

#include <array>
#include <ctime>
#include <exception>

#include "api/respond.hpp"
#include "base/log.hpp"
#include "http/proxy_protocol.hpp"
#include "http/response_head.hpp"
#include "http/response_plan.hpp"
#include "os/request_guard.hpp"
#include "os/signals.hpp"
#include "os/socket.hpp"
#include "session/kept_storage.hpp"
#include "session/request_id.hpp"
#include "session/response_sender.hpp"

namespace forkd::session {

Options Options::from(const config::Config& config) {
    Options options;
    options.limits = {config.max_request_line, config.max_header_size, config.max_body_size};
    options.client_header_timeout = config.client_header_timeout;
    options.client_body_timeout = config.client_body_timeout;
    options.keepalive_timeout = config.keepalive_timeout;
    options.send_timeout = config.send_timeout;
    options.lingering_timeout = config.lingering_timeout;
    options.request_timeout = config.request_timeout;
    options.keepalive_requests = config.keepalive_requests;
    options.server_tokens = config.server_tokens;
    options.body_spool = BodySpool(config.body_buffer_size, config.body_temp_path);
    options.trusted_proxies = TrustedProxies(config.trusted_proxies);
    return options;
}

namespace {

// A response that ends the connection is followed by the lingering close's shutdown (or,
// when its writing failed, by the close): send_response may let its bytes wait for the FIN.
constexpr bool kShutDownAfter = true;

// How a connection ends when no further request will be read.
enum class Ending {
    close,     // the client is gone or the exchange ended cleanly
    finished,  // we answered the last request the client said it would send: the FIN
    linger,    // we answered without reading everything: drain before closing
};

class Connection {
  public:
    Connection(Fd client, const std::string& peer, const Services& services,
               ConnectionStorage& storage)
        : fd_(std::move(client)),
          peer_(peer),
          services_(services),
          options_(services.options),
          parser_(storage.parser),
          buffer_(storage.received),
          pid_(services.access_log.enabled() ? ::getpid() : 0) {
        buffer_.clear();
    }
    // The kept parser lets go of the last request now: a body's temporary file closes with
    // the connection, not at the next one.
    ~Connection() { parser_.reset(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void serve(bool proxy_header);

  private:
    bool read_proxy_header();
    // The parser's own request, used in place until the next read_request (which resets
    // the parser first, keeping the request's storage); null when the connection ends.
    Request* read_request(Ending& ending);
    Request* take_request(Ending& ending);
    bool answer_error(int status, const std::string& reason);
    void log_access(const Request& request, int status, std::size_t body_bytes,
                    os::Clock::time_point started, api::RouteKind kind);
    void close(Ending ending);

    Fd fd_;
    std::string peer_;  // the socket's peer, or the client a PROXY header named
    const Services& services_;
    const Options& options_;
    http::RequestParser& parser_;  // kept by the thread (kept_storage.hpp), as is buffer_
    std::string& buffer_;          // received, not yet consumed
    Fd body_file_;                 // the request body beyond body_buffer_size, while it arrives
    int served_ = 0;
    pid_t pid_;  // for the access log: this process runs every handler it reads
};

void Connection::serve(bool proxy_header) {
    if (proxy_header && !read_proxy_header()) return;
    for (;;) {
        Ending ending = Ending::close;
        Request* request = read_request(ending);
        if (!request) return close(ending);

        os::Clock::time_point started = os::Clock::now();
        name_client(*request, peer_, options_.trusted_proxies);
        assign_request_id(*request, options_.trusted_proxies);
        // Routed first, so that the scoreboard (and a crash's log line) names the route.
        RouteMatch route = api::route_request(services_.router, *request);
        services_.observer.request_started(*request);
        // Unguarded (single mode) the client is still named, for handlers that watch it.
        os::begin_guarded_request(
            fd_.get(),
            options_.guard_requests ? options_.request_timeout : std::chrono::milliseconds(0),
            options_.guard_requests);
        Response response = api::respond(services_.router, route, *request);
        api::RouteKind kind = api::take_route_kind(route.handler, *request);
        ++served_;
        bool keep_alive = http::may_keep_alive(*request, served_, options_.keepalive_requests,
                                               os::stop_requested());
        SendResult sent =
            send_response(fd_.get(), *request, response, keep_alive, options_, kShutDownAfter);
        os::end_guarded_request();
        if (services_.access_log.enabled())
            log_access(*request, response.status, sent.body_bytes, started, kind);
        services_.observer.request_finished(*request, response.status, sent.body_bytes, kind);
        if (!sent.complete) return;  // the client is gone or too slow: nothing to linger for
        if (!sent.keep_alive)
            return close(http::wants_keep_alive(*request) ? Ending::linger : Ending::finished);
    }
}

void Connection::log_access(const Request& request, int status, std::size_t body_bytes,
                            os::Clock::time_point started, api::RouteKind kind) {
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(os::Clock::now() - started);
    services_.access_log.write({.peer = request.remote_addr,
                                .request = &request,
                                .status = status,
                                .body_bytes = body_bytes,
                                .duration = took,
                                .worker_pid = pid_,
                                .route_kind = api::to_string(kind)});
}

// The PROXY header before the first request, within client_header_timeout of the accept.
// What follows it stays in buffer_ for the first request. A proxy that sends a bad header
// gets no answer: it is not an HTTP client, and answering would put bytes on the wire that
// its client never asked for.
bool Connection::read_proxy_header() {
    os::Deadline deadline = os::Clock::now() + options_.client_header_timeout;
    std::array<char, 4096> chunk;  // not zero-filled: recv() writes what it returns
    for (;;) {
        http::ProxyHeader header = http::parse_proxy_header(buffer_);
        if (header.progress == http::ProxyProgress::complete) {
            buffer_.erase(0, header.length);
            if (header.source) peer_ = std::move(*header.source);
            return true;
        }
        if (header.progress == http::ProxyProgress::error) {
            log::info("{}: closed: not a valid PROXY protocol header ({})", peer_, header.error);
            return false;
        }
        os::ReadOutcome got = os::read_some(fd_.get(), chunk, deadline);
        if (got.result == os::ReadResult::data) {
            buffer_.append(chunk.data(), got.bytes);
        } else if (got.result != os::ReadResult::interrupted || os::stop_requested()) {
            return false;  // gone, timed out, or the server stops
        }
    }
}

// Reads and parses the next request. Deadlines: the first request's header must arrive
// within client_header_timeout of the accept; between requests the connection may idle for
// keepalive_timeout, then the header must complete within client_header_timeout of its
// first byte; the body may pause for client_body_timeout between reads.
Request* Connection::read_request(Ending& ending) {
    parser_.reset();
    body_file_.reset();
    bool idle = served_ > 0 && buffer_.empty();
    bool continue_sent = false;
    os::Deadline deadline =
        os::Clock::now() + (idle ? options_.keepalive_timeout : options_.client_header_timeout);
    std::array<char, 16 * 1024> chunk;  // not zero-filled: recv() writes what it returns
    for (;;) {
        if (!buffer_.empty()) {
            http::ParseStep step = parser_.feed(buffer_);
            buffer_.erase(0, step.consumed);
            if (step.progress == http::Progress::error) {
                ending = answer_error(step.error_status, step.error_reason) ? Ending::linger
                                                                            : Ending::close;
                return nullptr;
            }
            if (parser_.headers_done() && !options_.body_spool.absorb(parser_, body_file_)) {
                ending = answer_error(500, "The request body could not be stored.") ? Ending::linger
                                                                                    : Ending::close;
                return nullptr;
            }
            if (step.progress == http::Progress::complete) return take_request(ending);
            if (parser_.headers_done() && parser_.expects_continue() && !continue_sent) {
                continue_sent = true;
                if (os::write_all(fd_.get(), "HTTP/1.1 100 Continue\r\n\r\n",
                                  os::Clock::now() + options_.send_timeout) !=
                    os::WriteResult::done) {
                    return nullptr;
                }
            }
        }
        os::ReadOutcome got = os::read_some(fd_.get(), chunk, deadline);
        switch (got.result) {
            case os::ReadResult::data:
                buffer_.append(chunk.data(), got.bytes);
                if (idle) {
                    idle = false;
                    deadline = os::Clock::now() + options_.client_header_timeout;
                } else if (parser_.headers_done()) {
                    deadline = os::Clock::now() + options_.client_body_timeout;
                }
                continue;
            case os::ReadResult::interrupted:
                if (os::stop_requested() && idle) return nullptr;
                continue;
            case os::ReadResult::timeout:
                // Nothing of a request yet (an idle keep-alive or a speculative browser
                // connection): close quietly. A partial request gets 408, also when the
                // parser has consumed all of it (a stalled body leaves the buffer empty).
                if (!idle && (!buffer_.empty() || parser_.headers_done())) {
                    ending = answer_error(408, "timed out reading the request") ? Ending::linger
                                                                                : Ending::close;
                }
                return nullptr;
            case os::ReadResult::closed:
            case os::ReadResult::error:
                return nullptr;
        }
    }
}

// The parsed request, its body in memory or, past body_buffer_size, in its temp file (which
// the request then owns, so it closes with the request).
Request* Connection::take_request(Ending& ending) {
    Request& request = parser_.request();
    if (options_.body_spool.settle_body(request, body_file_)) return &request;
    ending =
        answer_error(500, "The request body could not be stored.") ? Ending::linger : Ending::close;
    return nullptr;
}

// Bad client bytes (or a body that could not be stored): a status and a close, logged at
// debug only (the spool logs its own failures). Returns whether the answer went out (then
// the connection lingers so that the client reads it instead of a reset).
bool Connection::answer_error(int status, const std::string& reason) {
    log::debug("{}: {} {}", peer_, status, reason);
    Response response = http::error_response(status, reason);
    Request request;  // what little is known: a 1.1 client that will be disconnected
    SendResult sent = send_response(fd_.get(), request, response, false, options_, kShutDownAfter);
    services_.access_log.write({.peer = peer_,
                                .request = nullptr,
                                .status = status,
                                .body_bytes = sent.body_bytes,
                                .worker_pid = pid_});
    services_.observer.error_answered(status, sent.body_bytes);
    return sent.complete;
}

// A lingering close: stop sending, then read and discard what the client still sends, for
// at most lingering_timeout, so that the client reads our last response instead of a reset
// caused by unread data (RFC 9112 §9.6). Skipped when nothing can be unread: nothing is
// buffered, and nothing waits in the socket, or the client asked for the close and so sends
// nothing more (RFC 9112 §9.6 again; the io worker's rule, nginx's `lingering_close on`).
void Connection::close(Ending ending) {
    if (ending == Ending::close) return;
    os::shutdown_write(fd_.get());
    if (buffer_.empty() && (ending == Ending::finished || os::pending_input(fd_.get()) == 0))
        return;
    os::Deadline deadline = os::Clock::now() + options_.lingering_timeout;
    std::array<char, 16 * 1024> sink{};
    for (;;) {
        os::ReadOutcome got = os::read_some(fd_.get(), sink, deadline);
        if (got.result != os::ReadResult::data && got.result != os::ReadResult::interrupted) {
            return;
        }
    }
}

}  // namespace

void serve_connection(Fd client, const std::string& peer, const Services& services,
                      bool proxy_header) {
    Connection connection(std::move(client), peer, services,
                          kept_connection_storage(services.options.limits));
    connection.serve(proxy_header);
}

}  // namespace forkd::session
