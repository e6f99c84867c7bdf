// The io worker's blocking requests: its own bounded queue (queue_size, queue_timeout),
// the hand-off to an idle app worker, and the completion that gives the connection back.
#include <algorithm>

#include "base/log.hpp"
#include "front/io_worker.hpp"
#include "http/response_head.hpp"
#include "ipc/hand_off.hpp"
#include "os/fd_passing.hpp"

namespace forkd::front {
namespace {

void record_queue_wait(ipc::ScoreboardHeader& header, os::Clock::duration waited) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
    std::size_t bucket = 0;
    for (long long limit = 1000; bucket < 5 && micros >= limit; limit *= 10)
        ++bucket;
    header.queue_wait_histogram[bucket].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void IoWorker::queue_blocking(Client& client) {
    if (queue_.size() >= static_cast<std::size_t>(context_.config.queue_size)) {
        Response busy = http::error_response(503, "Every worker is busy and the queue is full.");
        busy.headers.set("Retry-After", "1");
        return answer(client, std::move(busy), false);
    }
    client.phase = Phase::queued;
    client.queued_at = os::Clock::now();
    loop_.modify(client.fd.get(), EPOLLRDHUP);
    queue_.push_back(client.id);
    ipc::ScoreboardHeader& header = context_.scoreboard.header();
    uint64_t queued = header.queued.fetch_add(1, std::memory_order_relaxed) + 1;
    if (queued > header.max_queued.load(std::memory_order_relaxed)) header.max_queued = queued;
    dispatch_queue(os::Clock::now());
}

// Oldest first: a request is handed only to an app worker known to be idle.
void IoWorker::dispatch_queue(os::Clock::time_point now) {
    while (!queue_.empty()) {
        Client* client = find(queue_.front());
        if (client == nullptr) {
            queue_.pop_front();
            continue;
        }
        bool keep_alive = http::wants_keep_alive(*client->request) && !stopping_ &&
                          client->served < options_.keepalive_requests;
        Fd completion = sender_.try_hand_off(*client->request, client->fd.get(), client->id,
                                             keep_alive, client->body_file.get());
        if (!completion) return;  // every app worker is busy
        queue_.pop_front();
        client->body_file.reset();  // the app worker holds its own copy
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
        if (!done->complete || !done->keep_alive) return linger(*client);
        if (stopping_) return keep_alive_while_stopping(*client);
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
    bool timed_out = timeout.count() > 0 && os::Clock::now() - client->handed_at >= timeout;
    log::warn("{} {}: the app worker died before answering; {}", client->request->method,
              client->request->target, timed_out ? 504 : 502);
    answer(*client,
           http::error_response(timed_out ? 504 : 502,
                                timed_out ? "The request took longer than request_timeout."
                                          : "The worker serving this request failed."),
           false);
}

// Past queue_timeout a waiting request gets 503 at once, whether or not a worker frees up.
void IoWorker::expire_queue(os::Clock::time_point now) {
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
}

}  // namespace forkd::front
