// The io worker's requests to spawned FastCGI applications (front/fastcgi_relay.hpp): the
// claim of an idle one, the exchange in the loop, and the answer relayed to the client.
#include <signal.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <variant>

#include "api/respond.hpp"
#include "base/log.hpp"
#include "cgi/cgi_handler.hpp"
#include "cgi/fastcgi_exchange.hpp"
#include "cgi/program_head.hpp"
#include "cgi/spawned_application.hpp"
#include "front/io_worker.hpp"
#include "http/response_head.hpp"
#include "http/response_plan.hpp"
#include "ipc/hand_off.hpp"
#include "os/connect.hpp"
#include "os/process.hpp"

namespace forkd::front {
namespace {

using Clock = os::Clock;

// Answer bytes waiting for the client beyond this: the application is not read from until
// the client has taken them (a slow client holds its application, not the io worker's memory).
constexpr std::size_t kRelayBacklog = 256 * 1024;
constexpr std::size_t kReadPiece = 64 * 1024;
std::array<char, kReadPiece> g_piece;

}  // namespace

bool IoWorker::relay_if_direct(Client& client, Handler* handler) {
    if (context_.application_sockets.empty() || client.body_file) return false;
    auto* scripts = dynamic_cast<cgi::CgiHandler*>(handler);
    if (scripts == nullptr) return false;
    std::optional<cgi::DirectRequest> direct = scripts->direct_request(*client.request);
    if (!direct) return false;
    auto program = std::ranges::find(programs_, direct->program);
    if (program == programs_.end()) return false;
    auto relay = std::make_unique<FastcgiRelay>(std::move(direct->label), scripts->limits());
    relay->program = static_cast<std::size_t>(program - programs_.begin());
    relay->records = std::move(direct->records);
    client.kind = api::take_route_kind(api::RouteKind::blocking);
    client.relay = std::move(relay);
    return true;
}

void IoWorker::start_relay(Client& client, std::size_t slot) {
    FastcgiRelay& relay = *client.relay;
    int error = 0;
    std::string socket = cgi::application_socket(context_.application_sockets, slot, relay.program);
    Fd upstream = os::connect_stream("unix:" + socket, Clock::now(), error);
    if (!upstream) return hand_off_instead(client, slot, error);
    Request& request = *client.request;
    relay.upstream = std::move(upstream);
    relay.slot = slot;
    relay.owner = context_.scoreboard.pid(slot);
    relay.claimed = true;
    relay.started = relay.last_output = Clock::now();
    relay.keep_alive =
        http::may_keep_alive(request, client.served, options_.keepalive_requests, stopping_);
    context_.scoreboard.begin_request(slot, request.method, request.target, request.remote_addr,
                                      relay.label);
    client.handler_pid = context_.scoreboard.application(slot);
    client.phase = Phase::relaying;
    // The socket is new: the request goes out at once, all of it unless it is large.
    if (!send_records(client)) return;
    uint64_t id = client.id;
    loop_.add(relay.upstream.get(), relay.sent < relay.records.size() ? EPOLLOUT : EPOLLIN,
              [this, id](uint32_t events) { on_relay_event(id, events); });
    set_deadline(client, relay_wait(relay));
}

// Nothing listens where the app worker in `slot` should: one started before a reload put
// the spawned application in the configuration, or one whose application is in its
// start-up back-off. The claimed app worker runs the request itself (and answers 502 in the
// back-off).
void IoWorker::hand_off_instead(Client& client, std::size_t slot, int error) {
    log::debug("cgi {}: the application of slot {} is not listening ({}); handed to its worker",
               client.relay->label, slot, std::strerror(error));
    client.relay.reset();
    std::size_t in_message = ipc::max_body_in_message(context_.config.body_buffer_size);
    if (!spool_.move_to_file(*client.request, client.body_file, in_message)) {
        sender_.unclaim(slot);
    } else if (hand_off(client, slot)) {  // which gives the claim back when it fails
        client.phase = Phase::handed_off;
        return;
    }
    answer(client, http::error_response(502, "The worker serving this request failed."), false);
}

// Sends what is left of the request. False when the application took none of it (the
// client got 502).
bool IoWorker::send_records(Client& client) {
    FastcgiRelay& relay = *client.relay;
    std::string_view rest = std::string_view(relay.records).substr(relay.sent);
    os::AttemptResult wrote =
        os::try_write(relay.upstream.get(), std::span<const std::string_view>(&rest, 1));
    if (wrote.result == os::Attempt::closed) {
        log::error("cgi {}: the FastCGI application did not take the request; answered 502",
                   relay.label);
        relay_failed(client, 502, false);
        return false;
    }
    if (wrote.result == os::Attempt::done) relay.sent += wrote.bytes;
    if (relay.sent == relay.records.size()) {
        relay.records = std::string();
        relay.sent = 0;
    }
    return true;
}

// How long the relay may wait for the application's next output: cgi_idle_timeout, within
// cgi_timeout and request_timeout of its start.
Clock::duration IoWorker::relay_wait(const FastcgiRelay& relay) const {
    Clock::time_point now = Clock::now();
    Clock::time_point until =
        std::min(now + relay.limits.idle_timeout, relay.started + relay.limits.timeout);
    if (context_.config.request_timeout.count() > 0)
        until = std::min(until, relay.started + context_.config.request_timeout);
    return std::max(until - now, Clock::duration::zero());
}

void IoWorker::on_relay_event(uint64_t id, uint32_t events) {
    Client* client = find(id);
    if (client == nullptr || !client->relay) return;
    FastcgiRelay& relay = *client->relay;
    if (relay.sent < relay.records.size()) {
        if (!send_records(*client)) return;
        if (relay.records.empty()) loop_.modify(relay.upstream.get(), EPOLLIN);  // all of it is out
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_from_application(*client);
}

void IoWorker::read_from_application(Client& client) {
    FastcgiRelay& relay = *client.relay;
    bool closed = false;
    os::AttemptResult got = os::try_read(relay.upstream.get(), g_piece);
    if (got.result == os::Attempt::done) relay.received.append(g_piece.data(), got.bytes);
    closed = got.result == os::Attempt::closed;
    fastcgi::ReadStep step = relay.reader.feed(relay.received);
    std::size_t before = relay.output.size();
    for (const fastcgi::ResponseEvent& event : step.events) {
        if (auto* data = std::get_if<fastcgi::StdoutData>(&event)) {
            relay.output.append(data->bytes);
        } else if (auto* errors = std::get_if<fastcgi::StderrData>(&event)) {
            relay.errors.append(errors->bytes);
        }
    }
    relay.received.erase(0, step.consumed);
    bool finished = relay.reader.finished();
    if (relay.reader.error() && !finished) {
        log::error("cgi {}: the FastCGI application broke the protocol: {}", relay.label,
                   *relay.reader.error());
        return relay_failed(client, 502, true);
    }
    if (closed && !finished) {
        log::error("cgi {}: the FastCGI application closed the connection mid-response",
                   relay.label);
        return relay_failed(client, 502, false);
    }
    if (relay.client_gone) {
        relay.output.clear();
        if (!finished) return;
        end_relay(client, false);
        log_access(client, 499, 0);
        return close_client(client);
    }
    if (relay.output.size() > before) {
        relay.last_output = Clock::now();
        set_deadline(client, relay_wait(relay));
    }
    if (!relay.head_sent) return pass_head(client, finished);
    pass_output(client, finished);
}

void IoWorker::pass_head(Client& client, bool finished) {
    FastcgiRelay& relay = *client.relay;
    std::size_t head_end = cgi::end_of_head(relay.output);
    if (head_end == std::string::npos) {
        if (finished) {
            log::error("cgi {}: {}; answered 502", relay.label,
                       relay.output.empty() ? "it wrote nothing"
                                            : "its output ended inside the header block");
            return relay_failed(client, 502, false);
        }
        if (relay.output.size() > cgi::kMaxHeaderBlock) {
            log::error("cgi {}: its header block is longer than 64 KiB; answered 502", relay.label);
            return relay_failed(client, 502, true);
        }
        return;  // more to come
    }
    auto head = cgi::parse_program_head(std::string_view(relay.output).substr(0, head_end), false);
    if (auto* problem = std::get_if<std::string>(&head)) {
        log::error("cgi {}: {}; answered 502", relay.label, *problem);
        return relay_failed(client, 502, !finished);
    }
    cgi::ProgramHead& parsed = std::get<cgi::ProgramHead>(head);
    if (!parsed.local_redirect.empty()) {
        // Whatever body came with it is not for the client; an answer still coming is cut.
        end_relay(client, false);
        watch_again(client);
        return redirect_locally(client, parsed.local_redirect);
    }
    Response response;
    response.status = parsed.status;
    response.headers = std::move(parsed.headers);
    if (finished) {
        // The whole answer came with its head (a small page): bytes with a Content-Length.
        response.body = relay.output.substr(head_end);
        bool keep_alive = relay.keep_alive;
        end_relay(client, false);
        watch_again(client);
        return answer(client, std::move(response), keep_alive);
    }
    relay.output.erase(0, head_end);
    response.body = StreamBody{};  // its length is not known yet
    http::ResponsePlan plan = http::plan_response(response, client.request->version,
                                                  client.request->is_head(), relay.keep_alive);
    http::append_head(client.out, response, plan, options_.server_tokens, std::time(nullptr));
    client.status = response.status;
    client.close_after = !plan.keep_alive;
    client.body_bytes = 0;
    client.recorded = false;
    relay.chunked = plan.framing == http::Framing::chunked;
    relay.head_only = plan.source == http::BodySource::none;
    relay.head_sent = true;
    pass_output(client, false);
}

void IoWorker::pass_output(Client& client, bool finished) {
    FastcgiRelay& relay = *client.relay;
    if (!relay.output.empty() && !relay.head_only) {
        client.body_bytes += relay.output.size();
        if (relay.chunked) {
            http::append_chunk(client.out, relay.output);
        } else {
            client.out += relay.output;
        }
    }
    relay.output.clear();
    if (finished) {
        if (relay.chunked && !relay.head_only) client.out += http::kLastChunk;
        end_relay(client, false);
        watch_again(client);
        return start_writing(client);
    }
    if (!relay.paused && client.out.size() - client.out_sent > kRelayBacklog) {
        relay.paused = true;
        loop_.modify(relay.upstream.get(), 0);
    }
    if (client.out_sent < client.out.size()) flush(client);
}

// flush() wrote all there was while the answer is still coming: wait for more of it.
void IoWorker::relay_flushed(Client& client) {
    FastcgiRelay& relay = *client.relay;
    client.out.clear();
    client.out_sent = 0;
    if (loop_.watches(client.fd.get())) loop_.modify(client.fd.get(), EPOLLIN | EPOLLRDHUP);
    if (relay.paused) {
        relay.paused = false;
        loop_.modify(relay.upstream.get(), EPOLLIN);
    }
    set_deadline(client, relay_wait(relay));
}

// While the answer is written, as for an inline one; otherwise what the client sends next
// is read ahead as during a hand-off (a hang-up shows when the answer is written).
void IoWorker::on_relaying_client_event(Client& client, uint32_t events) {
    if (client.out_sent < client.out.size()) {
        if (events & (EPOLLERR | EPOLLHUP)) return close_client(client);
        return flush(client);
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) return relay_client_left(client);
    read_ahead(client, events);
}

// Nobody waits for the answer any more. One about to end gets a moment to (a client that
// left while a fast page was made costs nothing); one that does not end in it is abandoned,
// and its application killed rather than left running a script for nobody.
void IoWorker::relay_client_left(Client& client) {
    FastcgiRelay& relay = *client.relay;
    relay.client_gone = true;
    relay.output.clear();
    loop_.remove(client.fd.get());
    set_deadline(client, cgi::kAbandonGrace);
}

// The deadline of a relaying connection: the application stayed silent too long (504, and
// it is killed), or the client took nothing for send_timeout.
void IoWorker::relay_timed_out(Client& client) {
    FastcgiRelay& relay = *client.relay;
    if (relay.client_gone) {
        end_relay(client, true);
        log_access(client, 499, 0);
        return close_client(client);
    }
    if (relay.paused || client.out_sent < client.out.size()) return close_client(client);
    log::error(
        "cgi {}: no answer within cgi_timeout, cgi_idle_timeout or request_timeout; "
        "answered 504",
        relay.label);
    relay_failed(client, 504, true);
}

void IoWorker::relay_failed(Client& client, int status, bool kill) {
    bool head_sent = client.relay->head_sent;
    end_relay(client, kill);
    if (head_sent) return close_client(client);
    watch_again(client);
    answer(client,
           http::error_response(status, status == 504
                                            ? "The program did not answer in time."
                                            : "The program behind this address did not answer "
                                              "properly."),
           false);
}

// The exchange is over: the connection to the application closes and its slot is idle
// again (the caller puts the client's connection back in the set if it goes on: read_ahead
// may have taken it out). With `kill`, the application's state is unknown and it is killed (its app
// worker starts a new one).
void IoWorker::end_relay(Client& client, bool kill) {
    std::unique_ptr<FastcgiRelay> relay = std::move(client.relay);
    if (relay->upstream) loop_.forget(relay->upstream.get());
    relay->errors.finish();
    if (!relay->claimed) return;
    // An app worker that died meanwhile left its slot to the master, which clears it for the
    // next one: not ours to make idle.
    if (context_.scoreboard.pid(relay->slot) != relay->owner) return;
    if (kill) os::signal_process_group(context_.scoreboard.application(relay->slot), SIGKILL);
    context_.scoreboard.end_request(relay->slot, ipc::SlotState::idle, client.body_bytes, false);
    // The application is free: the loop hands it the next request waiting for one before
    // its next wait (go_on).
}

void IoWorker::redirect_locally(Client& client, const std::string& target) {
    if (++client.local_redirects > api::kMaxLocalRedirects) {
        log::error("{} {}: more than {} local redirects; answered 500", client.request->method,
                   client.request->target, api::kMaxLocalRedirects);
        return answer(
            client,
            http::error_response(500, "The server redirected this request to itself too often."),
            false);
    }
    client.made_request = api::redirected(*client.request, target);
    client.request = &*client.made_request;
    client.phase = Phase::reading;
    route_current(client);
}

}  // namespace forkd::front
