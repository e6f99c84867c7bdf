// The io worker's responses: an inline one (or an error) planned and serialised into the
// connection's output (http/response_plan.hpp, as the blocking sessions' send_response
// does), held back while pipelined requests are parsed, written without blocking, logged and
// counted; then the connection reads again, is handed its queued blocking request, lingers
// or closes. A write starts after the loop has handled the turn's events (start_writing), and
// input that waits once a response is done is parsed there too (resume_reading): nothing
// here calls back into reading or routing.
#include <ctime>

#include "api/respond.hpp"
#include "base/log.hpp"
#include "front/io_worker.hpp"
#include "http/request_parser.hpp"
#include "http/response_plan.hpp"
#include "os/io.hpp"
#include "os/socket.hpp"
#include "session/response_sender.hpp"

namespace forkd::front {
namespace {

using Clock = os::Clock;

// Responses to pipelined requests are held back and written together up to this much.
constexpr std::size_t kPipelineBatch = 64 * 1024;

}  // namespace

// Serialises an inline response into the client's output and starts writing it, or, when
// the client has pipelined more requests, holds it back so that several responses leave in
// one write (as nginx does; a write per response costs a system call each).
void IoWorker::answer(Client& client, Response response, bool keep_alive) {
    if (client.relay) end_relay(client, false);  // an error before its exchange began (503)
    int version = client.request ? client.request->version : 11;
    bool head_request = client.request && client.request->is_head();
    http::ResponsePlan plan = http::plan_response(response, version, head_request, keep_alive);
    http::append_head(client.out, response, plan, options_.server_tokens, std::time(nullptr));
    client.body_bytes = 0;
    client.file.reset();
    client.body_file.reset();  // the request's body is no longer needed
    client.status = response.status;
    client.close_after = !plan.keep_alive;
    switch (plan.source) {
        case http::BodySource::none:
            break;
        case http::BodySource::bytes:  // a cached file's bytes too: one copy, into `out`
            client.out += plan.bytes;
            client.body_bytes = plan.bytes.size();
            break;
        case http::BodySource::file: {
            client.body_bytes = static_cast<std::size_t>(plan.file->length);
            if (session::append_small_file(*plan.file, client.out)) break;
            auto& file = std::get<FileBody>(response.body);
            client.file_offset = file.offset;
            client.file_end = file.offset + file.length;
            client.file = std::move(file);
            break;
        }
        case http::BodySource::stream: {
            // Inline handlers must not block, so a stream is collected whole.
            std::string data = collect_body(response);
            client.body_bytes = data.size();
            if (plan.framing != http::Framing::chunked) {
                client.out += data;
                break;
            }
            http::append_chunk(client.out, data);
            client.out += http::kLastChunk;
            break;
        }
    }
    client.recorded = false;
    bool hold_back = plan.keep_alive && !client.file && !stopping_ && !client.in.empty() &&
                     client.out.size() - client.out_sent < kPipelineBatch;
    if (!hold_back) return start_writing(client);
    record_response(client);
    client.recorded = true;
    release_request(client);
    client.phase = Phase::reading;
    client.idle = false;
    set_deadline(client, options_.client_header_timeout);
}

// The write itself waits until the loop has handled this turn's events (serve_ready): the
// caller, reading or routing, finds the connection as it left it, never closed under it.
void IoWorker::start_writing(Client& client) {
    client.phase = Phase::writing;
    set_deadline(client, options_.send_timeout);
    mark_ready(client);
}

void IoWorker::answer_error(Client& client, int status, std::string_view detail) {
    release_request(client);
    client.started_at = Clock::now();
    client.kind = api::RouteKind::none;
    client.handler_pid = 0;
    client.queue_wait = {};
    client.cut_short = true;  // the rest of the request may still be on its way
    answer(client, http::error_response(status, detail), false);
}

// Writes what the client's output holds; the connection may be closed when it returns.
void IoWorker::flush(Client& client) {
    while (client.out_sent < client.out.size()) {
        std::string_view rest = std::string_view(client.out).substr(client.out_sent);
        os::AttemptResult sent =
            os::try_write(client.fd.get(), std::span<const std::string_view>(&rest, 1));
        if (sent.result == os::Attempt::closed) return close_client(client);
        if (sent.result == os::Attempt::would_block) {
            loop_.modify(client.fd.get(), EPOLLOUT | EPOLLRDHUP);
            return;
        }
        client.out_sent += sent.bytes;
        set_deadline(client, options_.send_timeout);
    }
    while (client.file && client.file_offset < client.file_end) {
        auto count = static_cast<std::size_t>(client.file_end - client.file_offset);
        os::AttemptResult sent =
            os::try_send_file(client.fd.get(), client.file->fd, client.file_offset, count);
        if (sent.result == os::Attempt::closed) return close_client(client);
        if (sent.result == os::Attempt::would_block) {
            loop_.modify(client.fd.get(), EPOLLOUT | EPOLLRDHUP);
            return;
        }
        set_deadline(client, options_.send_timeout);
    }
    if (client.relay) return relay_flushed(client);  // more of the answer is to come
    response_done(client);
}

void IoWorker::log_access(const Client& client, int status, std::size_t body_bytes) {
    if (!context_.access_log.enabled()) return;
    using std::chrono::duration_cast;
    using std::chrono::microseconds;
    context_.access_log.write(
        {.peer = client.request ? client.request->remote_addr : client.peer,
         .request = client.request,
         .status = status,
         .body_bytes = body_bytes,
         .duration = duration_cast<microseconds>(Clock::now() - client.started_at),
         .queue_wait = duration_cast<microseconds>(client.queue_wait),
         .worker_pid = client.handler_pid != 0 ? client.handler_pid : self_,
         .route_kind = api::to_string(client.kind)});
}

void IoWorker::record_response(Client& client) {
    ipc::ScoreboardHeader& header = context_.scoreboard.header();
    header.requests.fetch_add(1, std::memory_order_relaxed);
    // What an inline handler noted while it ran here (static files): taken here, not after
    // respond(), so that the response goes straight into answer() without a move.
    client.kind = api::take_route_kind(client.kind);
    log_access(client, client.status, client.body_bytes);
    if (!counts_requests_) return;
    auto took =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - client.started_at);
    ipc::record_response(header.counters, client.kind, client.status, took, client.body_bytes);
}

void IoWorker::response_done(Client& client) {
    if (!client.recorded) record_response(client);
    client.recorded = true;
    client.out.clear();
    client.out_sent = 0;
    client.file.reset();
    if (client.close_after) return linger(client);
    if (client.queue_after_flush) {
        client.queue_after_flush = false;
        return queue_blocking(client);
    }
    if (stopping_) return keep_alive_while_stopping(client);
    resume_reading(client);
}

// A lingering close: the client reads our answer instead of a reset caused by unread data.
// Only when the client may have sent more, as nginx's `lingering_close on` decides: bytes
// buffered, bytes waiting in the socket, or a request answered before it was read whole.
// Otherwise the connection closes at once: a connection per request (ab, HTTP/1.0) then
// costs no shutdown, no wait for the client's FIN and no last read.
void IoWorker::linger(Client& client) {
    // A client that asked for the close promised to send nothing more: no need to look.
    bool client_closes = client.request && !http::wants_keep_alive(*client.request);
    if (!client.cut_short && client.in.empty() &&
        (client_closes || os::pending_input(client.fd.get()) == 0))
        return close_client(client);
    os::shutdown_write(client.fd.get());
    client.phase = Phase::lingering;
    loop_.modify(client.fd.get(), EPOLLIN | EPOLLRDHUP);
    set_deadline(client, options_.lingering_timeout);
}

// A request that arrived meanwhile (pipelined, or read ahead during a hand-off) is parsed
// by the loop after this turn's events, not from here, inside the previous one's end.
void IoWorker::resume_reading(Client& client) {
    client.phase = Phase::reading;
    release_request(client);
    client.idle = client.in.empty();
    loop_.modify(client.fd.get(), EPOLLIN | EPOLLRDHUP);
    set_deadline(client, client.idle ? options_.keepalive_timeout : options_.client_header_timeout);
    if (!client.idle) mark_ready(client);
}

}  // namespace forkd::front
