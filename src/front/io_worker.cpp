// The io worker's loop and one connection's life in it: accept, read and parse, route,
// time out. Responses are written in io_worker_response.cpp, blocking requests go on in
// io_worker_blocking.cpp, stopping and reloads in io_worker_reload.cpp.
#include "front/io_worker.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <array>

#include "api/respond.hpp"
#include "base/log.hpp"
#include "cgi/cgi_handler.hpp"
#include "http/proxy_protocol.hpp"
#include "http/response_head.hpp"
#include "http/response_plan.hpp"
#include "ipc/hand_off.hpp"
#include "os/process_title.hpp"
#include "os/signals.hpp"
#include "os/socket.hpp"
#include "session/request_id.hpp"

namespace forkd::front {
namespace {

using Clock = os::Clock;

// While requests wait for an app worker the loop looks for a free one this often; a
// completion of this io worker's own requests retries at once.
constexpr std::chrono::milliseconds kQueuePoll{2};
constexpr std::size_t kReadChunk = 16 * 1024;
// Read from one connection in one turn of the loop, at most: a fast uploader cannot hold
// the loop, and the epoll set (level-triggered) brings the connection back next turn.
constexpr std::size_t kReadPerTurn = 16 * kReadChunk;
// Where every read lands before it joins a connection's input. Not zero-filled: recv()
// writes what it returns, and clearing 16k per event costs more than parsing a small
// request. One buffer serves every connection (one thread).
std::array<char, kReadChunk> g_read_buffer;
// How long an io worker that ran out of file descriptors stops accepting.
constexpr std::chrono::milliseconds kAcceptPause{100};

}  // namespace

IoWorker::IoWorker(const IoContext& context)
    : context_(context),
      options_(context.options),
      sender_(context.scoreboard, context.dispatch_sockets),
      spool_(context.config.body_buffer_size, context.config.body_temp_path),
      links_(context.scoreboard.size()),
      marks_(ipc::StartedMarks::create(context.scoreboard.size())),
      self_(::getpid()),
      counts_requests_(!context.config.metrics_path.empty()) {
    if (!context.application_sockets.empty()) {
        for (const cgi::SpawnSpec& spec : cgi::spawn_specs(context.config))
            programs_.push_back(spec.program);
    }
}

int IoWorker::run() {
    context_.scoreboard.set_state(context_.slot, ipc::SlotState::reading);
    os::set_process_title(fmt::format("forkd: {} serving", context_.role));
    if (std::string problem = spool_.check(); !problem.empty()) {
        log::error("body_temp_path: {}; request bodies over body_buffer_size will get 500",
                   problem);
    }
    watch_listeners(true);
    loop_.add(context_.hand_over_receiver, EPOLLIN, [this](uint32_t) { adopt_connections(); });
    // The time is read once per turn, after the turn's events, and the next wait is timed
    // from it too: only the expiries and their answers run in between, briefly.
    Clock::time_point now = Clock::now();
    while (!(stopping_ && clients_.empty())) {
        loop_.run_once(wait_time(now), os::wait_mask());
        go_on();
        os::ServingRequests asked = os::take_serving_requests(loop_.woke_at());
        if (asked.stop && !stopping_) begin_stop();
        if (asked.reopen) {
            log::reopen();
            context_.access_log.reopen();
        }
        now = Clock::now();
        expire_queue(now);
        expire(now);
        go_on();  // the answers expiring gave
        if (!stopping_ && !listening_ && accepting_allowed() && now >= resume_accepting_at_) {
            watch_listeners(true);
        }
    }
    if (handed_over_ > 0) {
        log::info("handed {} idle connection(s) to the new generation", handed_over_);
    }
    return 0;
}

// What the turn's events left for the loop: writes to start, input to parse once a response
// is done, requests to hand to app workers. Each step runs here, from the top, instead of
// from inside the step before it, so none finds its connection closed or changed under it
// (docs/architecture.md, "One response path").
void IoWorker::go_on() {
    do {
        serve_ready();
        // A completion or a relay's end may have freed an app worker. The time is taken
        // now: a request queued a moment ago must not seem to have waited less than nothing.
        if (!queue_.empty()) dispatch_queue(Clock::now());
    } while (!ready_.empty());
}

void IoWorker::mark_ready(Client& client) {
    if (client.ready) return;
    client.ready = true;
    ready_.push_back(client.id);
}

// Writes what waits to be written, parses what waits to be parsed; answers may mark
// more connections (or the same one again), served in the same call.
void IoWorker::serve_ready() {
    while (!ready_.empty()) {
        serving_.swap(ready_);
        for (uint64_t id : serving_) {
            Client* client = find(id);
            if (client == nullptr) continue;  // closed since
            client->ready = false;
            if (client->phase == Phase::writing) {
                flush(*client);
            } else if (client->phase == Phase::reading) {
                process_input(*client);
            }
        }
        serving_.clear();
    }
}

std::chrono::milliseconds IoWorker::wait_time(Clock::time_point now) const {
    if (!ready_.empty()) return std::chrono::milliseconds(0);
    if (!queue_.empty()) return kQueuePoll;
    // Not listening (worker_connections or no fds left): look again soon.
    auto longest = listening_ || stopping_ ? std::chrono::milliseconds(1000) : kAcceptPause;
    if (timers_.empty()) return longest;
    auto until = std::chrono::duration_cast<std::chrono::milliseconds>(timers_.top().first - now);
    return std::clamp(until + std::chrono::milliseconds(1), std::chrono::milliseconds(0), longest);
}

bool IoWorker::accepting_allowed() const {
    return clients_.size() < static_cast<std::size_t>(context_.config.worker_connections);
}

void IoWorker::watch_listeners(bool on) {
    if (on == listening_) return;
    for (const session::ListeningSocket& listener : context_.listeners) {
        if (on) {
            loop_.add(listener.fd, EPOLLIN | EPOLLEXCLUSIVE,
                      [this, &listener](uint32_t) { accept_from(listener); });
        } else {
            loop_.remove(listener.fd);
        }
    }
    listening_ = on;
}

// One connection per event, as nginx does (multi_accept off): the listener is
// level-triggered, so one still pending brings it back next turn, together with whatever
// else is ready. Accepting until EAGAIN cost a failed accept4 per connection when they
// come one at a time, which is how a connection per request looks (W2).
void IoWorker::accept_from(const session::ListeningSocket& listener) {
    if (!accepting_allowed()) {
        log::warn("worker_connections ({}) reached: new connections wait in the listen queue",
                  context_.config.worker_connections);
        watch_listeners(false);
        return;
    }
    bool out_of_fds = false;
    std::optional<os::Accepted> accepted = os::accept_connection(listener.fd, &out_of_fds);
    if (out_of_fds) {
        // The listener stays readable while we cannot accept: look away for a moment
        // (as nginx does) instead of spinning; connections wait in the listen queue.
        watch_listeners(false);
        resume_accepting_at_ = Clock::now() + kAcceptPause;
        return;
    }
    if (!accepted) return;
    context_.scoreboard.header().accepted.fetch_add(1, std::memory_order_relaxed);
    Client& client = add_client(std::move(accepted->fd), std::move(accepted->peer));
    client.awaiting_proxy_header = listener.proxy_protocol;
    set_deadline(client, options_.client_header_timeout);
}

// A connection this io worker accepted, or adopted from an older generation.
Client& IoWorker::add_client(Fd fd, std::string peer) {
    uint64_t id = next_id_++;
    auto client = std::make_unique<Client>(id, std::move(fd), std::move(peer), options_.limits);
    int raw_fd = client->fd.get();
    Client& added = *clients_.emplace(id, std::move(client)).first->second;
    loop_.add(raw_fd, EPOLLIN | EPOLLRDHUP,
              [this, id](uint32_t events) { on_client_event(id, events); });
    return added;
}

// The PROXY header a proxy_protocol listener's connections begin with, taken from `in`: the
// client it names replaces the peer (v2's LOCAL and v1's UNKNOWN keep it). A bad header
// closes the connection unanswered: the peer is a proxy, not an HTTP client. Returns
// whether the header was taken; false when more bytes are needed or the client is gone.
bool IoWorker::take_proxy_header(Client& client) {
    http::ProxyHeader header = http::parse_proxy_header(client.in);
    if (header.progress == http::ProxyProgress::need_more) return false;
    if (header.progress == http::ProxyProgress::error) {
        log::info("{}: closed: not a valid PROXY protocol header ({})", client.peer, header.error);
        close_client(client);
        return false;
    }
    client.in.erase(0, header.length);
    if (header.source) client.peer = std::move(*header.source);
    client.awaiting_proxy_header = false;
    return true;
}

Client* IoWorker::find(uint64_t id) {
    auto found = clients_.find(id);
    return found == clients_.end() ? nullptr : found->second.get();
}

void IoWorker::on_client_event(uint64_t id, uint32_t events) {
    Client* client = find(id);
    if (client == nullptr) return;
    switch (client->phase) {
        case Phase::reading:
        case Phase::lingering:
            return read_from(*client);
        case Phase::writing:
            if (events & (EPOLLERR | EPOLLHUP)) return close_client(*client);
            return flush(*client);
        case Phase::queued:
            // A client that left is dropped unrun.
            if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) return close_client(*client);
            return read_ahead(*client, events);
        case Phase::handed_off:
            return read_ahead(*client, events);
        case Phase::relaying:
            return on_relaying_client_event(*client, events);
    }
}

// While an app worker writes the response, what the client sends next (a request it
// pipelined, or sent the moment the response arrived) is read and kept, one chunk at most,
// and parsed once the connection comes back. The connection stays in the epoll set: two
// epoll_ctl per hand-off saved. At a hang-up, an error or a full chunk it leaves the set
// until then, so that level-triggered events do not spin the loop.
void IoWorker::read_ahead(Client& client, uint32_t events) {
    if ((events & EPOLLIN) && !(events & (EPOLLHUP | EPOLLERR)) && client.in.size() < kReadChunk) {
        os::AttemptResult got = os::try_read(
            client.fd.get(), std::span(g_read_buffer.data(), kReadChunk - client.in.size()));
        if (got.result == os::Attempt::would_block) return;
        if (got.result == os::Attempt::done) {
            client.in.append(g_read_buffer.data(), got.bytes);
            if (client.in.size() < kReadChunk && !(events & EPOLLRDHUP)) return;
        }
    }
    loop_.remove(client.fd.get());
}

void IoWorker::read_from(Client& client) {
    std::array<char, kReadChunk>& chunk = g_read_buffer;
    for (std::size_t taken = 0; taken < kReadPerTurn; taken += kReadChunk) {
        os::AttemptResult got = os::try_read(client.fd.get(), chunk);
        if (got.result == os::Attempt::closed) return close_client(client);
        if (got.result == os::Attempt::would_block) return;
        if (client.phase == Phase::lingering) continue;  // discarded
        if (client.awaiting_proxy_header) {
            client.in.append(chunk.data(), got.bytes);
            if (!take_proxy_header(client)) return;  // more to come, or closed
            if (client.in.empty()) continue;         // still idle: no request byte yet
            client.idle = false;
            set_deadline(client, options_.client_header_timeout);
            process_input(client);
            if (client.phase != Phase::reading || got.bytes < chunk.size()) return;
            continue;
        }
        if (client.idle) {
            client.idle = false;
            set_deadline(client, options_.client_header_timeout);
        } else if (client.parser.headers_done()) {
            set_deadline(client, options_.client_body_timeout);
        }
        client.in.append(chunk.data(), got.bytes);
        // Parsed chunk by chunk, so that a body flows on to its file instead of piling up
        // in `in`. Reading stops once a request is being answered.
        process_input(client);
        if (client.phase != Phase::reading || got.bytes < chunk.size()) return;
    }
}

// Parses what `in` holds and routes each request read whole. Never closes the connection:
// answers are written after the turn's events (start_writing).
void IoWorker::process_input(Client& client) {
    while (client.phase == Phase::reading && !client.in.empty()) {
        http::ParseStep step = client.parser.feed(client.in);
        client.in.erase(0, step.consumed);
        if (step.progress == http::Progress::error) {
            return answer_error(client, step.error_status, step.error_reason);
        }
        if (client.parser.headers_done() && !spool_.absorb(client.parser, client.body_file)) {
            return answer_error(client, 500, "The request body could not be stored.");
        }
        if (step.progress == http::Progress::complete) {
            // The answer is written after the turn, or held back for the next pipelined
            // request (then the connection is reading again and the loop goes on).
            handle_request(client);
            continue;
        }
        if (client.parser.expects_continue() && !client.continue_sent) {
            client.continue_sent = true;
            std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
            os::try_write(client.fd.get(), std::span<const std::string_view>(&interim, 1));
        }
        break;  // need more bytes
    }
    // Responses held back for pipelined requests go out once no complete request is left.
    if (client.phase == Phase::reading && !client.out.empty()) start_writing(client);
}

// The request is answered where the parser made it, never moved: the parser is reset (and
// keeps its storage for the next request) once the request is released.
void IoWorker::handle_request(Client& client) {
    Request& request = client.parser.request();
    client.started_at = Clock::now();
    client.handler_pid = 0;
    client.queue_wait = {};
    session::name_client(request, client.peer, options_.trusted_proxies);
    session::assign_request_id(request, options_.trusted_proxies);
    client.continue_sent = false;
    ++client.served;
    client.request = &request;
    client.local_redirects = 0;
    route_current(client);
}

void IoWorker::release_request(Client& client) {
    client.request = nullptr;
    client.made_request.reset();
    client.parser.reset();
}

// Runs the client's current request (read, or made by a local redirect): inline here, or
// queued for an app worker or for a spawned FastCGI application.
void IoWorker::route_current(Client& client) {
    bool keep_alive = http::may_keep_alive(*client.request, client.served,
                                           options_.keepalive_requests, stopping_);
    Request& current = *client.request;
    RouteMatch route = api::route_request(context_.router, current);
    Handler* handler = route.handler;
    bool blocking = handler != nullptr && handler->dispatch(current) == Dispatch::blocking;
    client.kind = handler == nullptr ? api::RouteKind::none
                  : blocking         ? api::RouteKind::blocking
                                     : api::RouteKind::inline_;
    if (blocking && relay_if_direct(client, handler)) {
        if (client.out.empty()) return queue_blocking(client);
        client.queue_after_flush = true;  // earlier pipelined responses go first
        return start_writing(client);
    }
    // An app worker gets a body larger than a hand-off message as a file; an inline
    // handler reads request.body, so a body in a file comes back into memory for it.
    bool body_ready =
        blocking ? spool_.move_to_file(current, client.body_file,
                                       ipc::max_body_in_message(context_.config.body_buffer_size))
                 : !client.body_file || session::BodySpool::bring_back(current, client.body_file);
    if (!body_ready) {
        return answer(client, http::error_response(500, "The request body could not be stored."),
                      false);
    }
    if (blocking) {
        if (client.out.empty()) return queue_blocking(client);
        client.queue_after_flush = true;  // earlier pipelined responses go first
        return start_writing(client);
    }
    answer(client, api::respond(context_.router, route, current), keep_alive);
}

void IoWorker::close_client(Client& client) {
    if (client.phase == Phase::queued) {
        std::erase(queue_, client.id);
        context_.scoreboard.header().queued.fetch_sub(1, std::memory_order_relaxed);
    }
    if (client.relay) end_relay(client, false);
    // A handed-off client's completion, when it comes, finds no client and is dropped.
    if (client.shared)
        loop_.remove(client.fd.get());
    else
        loop_.forget(client.fd.get());  // the close below takes it out of the set
    clients_.erase(client.id);          // closes the fds
}

int run_io_worker(const IoContext& context) {
    if (context.app != nullptr) context.app->run_worker_start_hooks();
    int code = IoWorker(context).run();
    if (context.app != nullptr) context.app->run_worker_exit_hooks();
    return code;
}

}  // namespace forkd::front
