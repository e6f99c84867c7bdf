#include "front/io_worker.hpp"

#include <fmt/format.h>

#include <array>
#include <deque>
#include <queue>
#include <unordered_map>

#include "base/log.hpp"
#include "event/loop.hpp"
#include "front/client.hpp"
#include "front/hand_off_sender.hpp"
#include "http/response_head.hpp"
#include "ipc/hand_off.hpp"
#include "os/fd_passing.hpp"
#include "os/process_title.hpp"
#include "os/signals.hpp"
#include "os/socket.hpp"
#include "session/respond.hpp"

namespace forkd::front {
namespace {

using Clock = os::Clock;

constexpr int kAcceptBatch = 64;
// While requests wait for an app worker the loop looks for a free one this often; a
// completion of this io worker's own requests retries at once.
constexpr std::chrono::milliseconds kQueuePoll{2};
constexpr std::size_t kReadChunk = 16 * 1024;
// How long an io worker that ran out of file descriptors stops accepting.
constexpr std::chrono::milliseconds kAcceptPause{100};

class IoWorker {
  public:
    explicit IoWorker(const IoContext& context)
        : context_(context),
          options_(context.options),
          sender_(context.scoreboard, context.dispatch_sockets, context.config.body_buffer_size) {}

    int run();

  private:
    // Connections.
    void accept_from(int listener);
    void on_client_event(uint64_t id, uint32_t events);
    void read_from(Client& client);
    void process_input(Client& client);
    void handle_request(Client& client, Request request);
    void answer(Client& client, Response response, bool keep_alive);
    void answer_error(Client& client, int status, std::string_view detail);
    void flush(Client& client);
    void response_done(Client& client);
    void resume_reading(Client& client);
    void linger(Client& client);
    void close_client(Client& client);
    void set_deadline(Client& client, Clock::duration after);
    // Blocking requests.
    void queue_blocking(Client& client);
    void dispatch_queue(Clock::time_point now);
    void on_completion(uint64_t id);
    // Housekeeping.
    void expire(Clock::time_point now);
    void begin_stop();
    bool accepting_allowed() const;
    void watch_listeners(bool on);
    std::chrono::milliseconds wait_time(Clock::time_point now) const;
    Client* find(uint64_t id);

    const IoContext& context_;
    const session::Options& options_;
    HandOffSender sender_;
    event::Loop loop_;
    std::unordered_map<uint64_t, std::unique_ptr<Client>> clients_;
    std::deque<uint64_t> queue_;  // blocking requests waiting for an app worker, oldest first
    using Timer = std::pair<Clock::time_point, uint64_t>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
    uint64_t next_id_ = 1;
    bool listening_ = false;
    Clock::time_point resume_accepting_at_{};  // after running out of file descriptors
    bool stopping_ = false;
};

int IoWorker::run() {
    context_.scoreboard.set_state(context_.slot, ipc::SlotState::reading);
    os::set_process_title(fmt::format("forkd: {} serving", context_.role));
    watch_listeners(true);
    while (!(stopping_ && clients_.empty())) {
        Clock::time_point now = Clock::now();
        loop_.run_once(wait_time(now), os::wait_mask());
        if (os::stop_requested() && !stopping_) begin_stop();
        if (os::take_reopen_request()) {
            log::reopen();
            context_.access_log.reopen();
        }
        now = Clock::now();
        dispatch_queue(now);
        expire(now);
        if (!stopping_ && !listening_ && accepting_allowed() && now >= resume_accepting_at_) {
            watch_listeners(true);
        }
    }
    return 0;
}

std::chrono::milliseconds IoWorker::wait_time(Clock::time_point now) const {
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
    for (int listener : context_.listeners) {
        if (on) {
            loop_.add(listener, EPOLLIN | EPOLLEXCLUSIVE,
                      [this, listener](uint32_t) { accept_from(listener); });
        } else {
            loop_.remove(listener);
        }
    }
    listening_ = on;
}

void IoWorker::accept_from(int listener) {
    for (int i = 0; i < kAcceptBatch; ++i) {
        if (!accepting_allowed()) {
            log::warn("worker_connections ({}) reached: new connections wait in the listen queue",
                      context_.config.worker_connections);
            watch_listeners(false);
            return;
        }
        bool out_of_fds = false;
        std::optional<os::Accepted> accepted = os::accept_connection(listener, &out_of_fds);
        if (out_of_fds) {
            // The listener stays readable while we cannot accept: look away for a moment
            // (as nginx does) instead of spinning; connections wait in the listen queue.
            watch_listeners(false);
            resume_accepting_at_ = Clock::now() + kAcceptPause;
            return;
        }
        if (!accepted) return;
        context_.scoreboard.header().accepted.fetch_add(1, std::memory_order_relaxed);
        os::set_tcp_nodelay(accepted->fd.get());
        uint64_t id = next_id_++;
        auto client = std::make_unique<Client>(id, std::move(accepted->fd),
                                               std::move(accepted->peer), options_.limits);
        int fd = client->fd.get();
        Client& added = *clients_.emplace(id, std::move(client)).first->second;
        set_deadline(added, options_.client_header_timeout);
        loop_.add(fd, EPOLLIN | EPOLLRDHUP,
                  [this, id](uint32_t events) { on_client_event(id, events); });
    }
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
            // Only hang-ups are watched while queued: a client that left is dropped unrun.
            if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) return close_client(*client);
            return;
        case Phase::handed_off:
            return;
    }
}

void IoWorker::read_from(Client& client) {
    // Not zero-filled: recv() writes what it returns, and clearing 16k per event costs more
    // than parsing a small request. One buffer serves every connection (one thread).
    static std::array<char, kReadChunk> chunk;
    for (;;) {
        os::AttemptResult got = os::try_read(client.fd.get(), chunk);
        if (got.result == os::Attempt::closed) return close_client(client);
        if (got.result == os::Attempt::would_block) break;
        if (client.phase == Phase::lingering) continue;  // discarded
        if (client.idle) {
            client.idle = false;
            set_deadline(client, options_.client_header_timeout);
        } else if (client.parser.headers_done()) {
            set_deadline(client, options_.client_body_timeout);
        }
        client.in.append(chunk.data(), got.bytes);
        if (got.bytes < chunk.size()) break;
    }
    if (client.phase == Phase::reading) process_input(client);
}

void IoWorker::process_input(Client& client) {
    while (client.phase == Phase::reading && !client.in.empty()) {
        http::ParseStep step = client.parser.feed(client.in);
        client.in.erase(0, step.consumed);
        if (step.progress == http::Progress::error) {
            return answer_error(client, step.error_status, step.error_reason);
        }
        if (step.progress == http::Progress::complete) {
            // Answering goes on to the next pipelined request by itself (resume_reading).
            return handle_request(client, client.parser.take_request());
        }
        if (client.parser.expects_continue() && !client.continue_sent) {
            client.continue_sent = true;
            std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
            os::try_write(client.fd.get(), std::span<const std::string_view>(&interim, 1));
        }
        return;  // need more bytes
    }
}

void IoWorker::handle_request(Client& client, Request request) {
    request.remote_addr = client.peer;
    client.parser.reset();
    client.continue_sent = false;
    ++client.served;
    bool keep_alive = http::wants_keep_alive(request) && !stopping_ &&
                      client.served < options_.keepalive_requests;
    client.request = std::move(request);
    const Request& current = *client.request;
    Handler* handler = session::handler_for(context_.router, current);
    if (handler != nullptr && handler->dispatch(current) == Dispatch::blocking) {
        return queue_blocking(client);
    }
    answer(client, session::respond(context_.router, current), keep_alive);
}

// Serialises an inline response into the client's output and starts writing it.
void IoWorker::answer(Client& client, Response response, bool keep_alive) {
    int version = client.request ? client.request->version : 11;
    bool head_only = client.request && client.request->is_head();
    http::Framing framing = http::framing_for(response, version);
    if (framing == http::Framing::close_delimited || response.close) keep_alive = false;
    client.out = http::serialize_head(
        response, {version, keep_alive, options_.server_tokens, std::time(nullptr)});
    client.out_sent = 0;
    client.body_bytes = 0;
    client.file.reset();
    client.status = response.status;
    client.close_after = !keep_alive;
    if (!head_only && framing != http::Framing::none) {
        if (auto* bytes = std::get_if<std::string>(&response.body)) {
            client.out += *bytes;
            client.body_bytes = bytes->size();
        } else if (auto* file = std::get_if<FileBody>(&response.body)) {
            client.file_offset = file->offset;
            client.file_end = file->offset + file->length;
            client.body_bytes = static_cast<std::size_t>(file->length);
            client.file = std::move(*file);
        } else if (auto* stream = std::get_if<StreamBody>(&response.body)) {
            // Inline handlers must not block, so a stream is collected whole.
            struct Collector final : BodyWriter {
                std::string data;
                bool write(std::string_view piece) override {
                    data += piece;
                    return true;
                }
            } collector;
            if (stream->produce) stream->produce(collector);
            client.body_bytes = collector.data.size();
            if (framing == http::Framing::chunked) {
                client.out +=
                    fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", collector.data.size(), collector.data);
            } else {
                client.out += collector.data;
            }
        }
    }
    client.phase = Phase::writing;
    set_deadline(client, options_.send_timeout);
    flush(client);
}

void IoWorker::answer_error(Client& client, int status, std::string_view detail) {
    client.request.reset();
    answer(client, http::error_response(status, detail), false);
}

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
    response_done(client);
}

void IoWorker::response_done(Client& client) {
    context_.access_log.write(client.peer, client.request ? &*client.request : nullptr,
                              client.status, client.body_bytes);
    context_.scoreboard.header().requests.fetch_add(1, std::memory_order_relaxed);
    client.out.clear();
    client.file.reset();
    if (client.close_after || stopping_) return linger(client);
    resume_reading(client);
}

// A lingering close: the client reads our answer instead of a reset caused by unread data.
void IoWorker::linger(Client& client) {
    os::shutdown_write(client.fd.get());
    client.phase = Phase::lingering;
    loop_.modify(client.fd.get(), EPOLLIN | EPOLLRDHUP);
    set_deadline(client, options_.lingering_timeout);
}

void IoWorker::resume_reading(Client& client) {
    client.phase = Phase::reading;
    client.request.reset();
    client.idle = client.in.empty();
    loop_.modify(client.fd.get(), EPOLLIN | EPOLLRDHUP);
    set_deadline(client, client.idle ? options_.keepalive_timeout : options_.client_header_timeout);
    process_input(client);
}

void IoWorker::close_client(Client& client) {
    if (client.phase == Phase::queued) {
        std::erase(queue_, client.id);
        context_.scoreboard.header().queued.fetch_sub(1, std::memory_order_relaxed);
    }
    if (client.completion) loop_.remove(client.completion.get());
    if (client.phase != Phase::handed_off) loop_.remove(client.fd.get());
    clients_.erase(client.id);  // closes the fds
}

void IoWorker::set_deadline(Client& client, Clock::duration after) {
    client.deadline = Clock::now() + after;
    timers_.emplace(client.deadline, client.id);
}

// --- Blocking requests -------------------------------------------------------------------

void IoWorker::queue_blocking(Client& client) {
    if (queue_.size() >= static_cast<std::size_t>(context_.config.queue_size)) {
        Response busy = http::error_response(503, "Every worker is busy and the queue is full.");
        busy.headers.set("Retry-After", "1");
        return answer(client, std::move(busy), false);
    }
    client.phase = Phase::queued;
    client.queued_at = Clock::now();
    loop_.modify(client.fd.get(), EPOLLRDHUP);
    queue_.push_back(client.id);
    ipc::ScoreboardHeader& header = context_.scoreboard.header();
    uint64_t queued = header.queued.fetch_add(1, std::memory_order_relaxed) + 1;
    if (queued > header.max_queued.load(std::memory_order_relaxed)) header.max_queued = queued;
    dispatch_queue(Clock::now());
}

void record_queue_wait(ipc::ScoreboardHeader& header, Clock::duration waited) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
    std::size_t bucket = 0;
    for (long long limit = 1000; bucket < 5 && micros >= limit; limit *= 10)
        ++bucket;
    header.queue_wait_histogram[bucket].fetch_add(1, std::memory_order_relaxed);
}

// Oldest first: a request is handed only to an app worker known to be idle.
void IoWorker::dispatch_queue(Clock::time_point now) {
    while (!queue_.empty()) {
        Client* client = find(queue_.front());
        if (client == nullptr) {
            queue_.pop_front();
            continue;
        }
        bool keep_alive = http::wants_keep_alive(*client->request) && !stopping_ &&
                          client->served < options_.keepalive_requests;
        Fd completion =
            sender_.try_hand_off(*client->request, client->fd.get(), client->id, keep_alive);
        if (!completion) return;  // every app worker is busy
        queue_.pop_front();
        ipc::ScoreboardHeader& header = context_.scoreboard.header();
        header.queued.fetch_sub(1, std::memory_order_relaxed);
        record_queue_wait(header, now - client->queued_at);
        loop_.remove(client->fd.get());  // the app worker owns the connection meanwhile
        client->phase = Phase::handed_off;
        client->handed_at = now;
        client->started = false;
        client->completion = std::move(completion);
        uint64_t id = client->id;
        loop_.add(client->completion.get(), EPOLLIN, [this, id](uint32_t) { on_completion(id); });
    }
}

// The app worker reports "started", then its Completion; the socket closing before the
// Completion means it died.
void IoWorker::on_completion(uint64_t id) {
    Client* client = find(id);
    if (client == nullptr) return;
    for (;;) {
        std::optional<os::ReceivedMessage> message =
            os::receive_message(client->completion.get(), 64);
        if (!message) return;  // nothing more yet
        if (message->closed) break;
        if (message->bytes.size() == 1 && message->bytes[0] == ipc::kStarted) {
            client->started = true;
            continue;
        }
        std::optional<ipc::Completion> done = ipc::decode_completion(message->bytes);
        if (!done) break;
        loop_.remove(client->completion.get());
        client->completion.reset();
        context_.access_log.write(client->peer, &*client->request, done->status, done->body_bytes);
        loop_.add(client->fd.get(), EPOLLIN | EPOLLRDHUP,
                  [this, id](uint32_t events) { on_client_event(id, events); });
        client->phase = Phase::reading;
        if (!done->complete || !done->keep_alive || stopping_) return linger(*client);
        return resume_reading(*client);
    }
    // The app worker died. If nothing reached the client, it gets 502, or 504 when the
    // worker was killed for outliving request_timeout.
    loop_.remove(client->completion.get());
    client->completion.reset();
    loop_.add(client->fd.get(), EPOLLIN | EPOLLRDHUP,
              [this, id](uint32_t events) { on_client_event(id, events); });
    if (client->started) return close_client(*client);
    auto timeout = context_.config.request_timeout;
    bool timed_out = timeout.count() > 0 && Clock::now() - client->handed_at >= timeout;
    log::warn("{} {}: the app worker died before answering; {}", client->request->method,
              client->request->target, timed_out ? 504 : 502);
    answer(*client,
           http::error_response(timed_out ? 504 : 502,
                                timed_out ? "The request took longer than request_timeout."
                                          : "The worker serving this request failed."),
           false);
}

// --- Housekeeping ------------------------------------------------------------------------

void IoWorker::expire(Clock::time_point now) {
    while (!queue_.empty()) {
        Client* client = find(queue_.front());
        if (client != nullptr && now - client->queued_at < context_.config.queue_timeout) break;
        queue_.pop_front();
        if (client == nullptr) continue;
        context_.scoreboard.header().queued.fetch_sub(1, std::memory_order_relaxed);
        context_.scoreboard.header().queue_timeouts.fetch_add(1, std::memory_order_relaxed);
        client->phase = Phase::reading;
        loop_.modify(client->fd.get(), EPOLLIN | EPOLLRDHUP);
        Response busy = http::error_response(503, "Every worker stayed busy for queue_timeout.");
        busy.headers.set("Retry-After", "1");
        answer(*client, std::move(busy), false);
    }
    while (!timers_.empty() && timers_.top().first <= now) {
        auto [when, id] = timers_.top();
        timers_.pop();
        Client* client = find(id);
        if (client == nullptr || client->deadline != when)
            continue;  // a later deadline replaced it
        if (client->phase == Phase::reading && !client->idle) {
            answer_error(*client, 408, "timed out reading the request");
        } else if (client->phase == Phase::reading || client->phase == Phase::writing ||
                   client->phase == Phase::lingering) {
            close_client(*client);  // idle keep-alive, a reader too slow, or done lingering
        }
    }
}

// A graceful stop: accept nothing more, close idle keep-alive connections, finish the rest.
// A connection accepted but not yet served is not idle: its client has just connected to
// send a request (possibly still on the wire), so it is answered with `Connection: close`,
// as nginx does; closing it would fail that request during every reload.
void IoWorker::begin_stop() {
    stopping_ = true;
    watch_listeners(false);
    os::set_process_title(fmt::format("forkd: {} stopping", context_.role));
    std::vector<uint64_t> idle;
    for (const auto& [id, client] : clients_) {
        if (client->phase == Phase::reading && client->idle && client->served > 0)
            idle.push_back(id);
    }
    for (uint64_t id : idle)
        close_client(*clients_.at(id));
}

}  // namespace

int run_io_worker(const IoContext& context) {
    IoWorker worker(context);
    return worker.run();
}

}  // namespace forkd::front
