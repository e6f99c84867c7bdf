// The io worker's blocking requests: its own bounded queue (queue_size, queue_timeout),
// the hand-off to an idle app worker, and the completion that gives the connection back.
#include <algorithm>
#include <array>
#include <chrono>
#include <exception>
#include <utility>
#include <vector>

#include "base/log.hpp"
#include "front/io_worker.hpp"
#include "http/response_head.hpp"
#include "http/response_plan.hpp"
#include "ipc/hand_off.hpp"
#include "os/fd_passing.hpp"

namespace forkd::front {
namespace {

// Buckets up to 1 ms, 10 ms, 100 ms, 1 s, 10 s, and longer (a bound belongs to its bucket,
// as Prometheus's `le` says).
void record_queue_wait(ipc::ScoreboardHeader& header, os::Clock::duration waited) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
    std::size_t bucket = 0;
    for (long long limit = 1000; bucket < 5 && micros > limit; limit *= 10)
        ++bucket;
    header.queue_wait_histogram[bucket].fetch_add(1, std::memory_order_relaxed);
    header.counters.queue_wait_us.fetch_add(static_cast<uint64_t>(std::max<long long>(micros, 0)),
                                            std::memory_order_relaxed);
}

}  // namespace

void IoWorker::queue_blocking(Client& client) {
    if (queue_.size() >= static_cast<std::size_t>(context_.config.queue_size)) {
        context_.scoreboard.header().counters.queue_full.fetch_add(1, std::memory_order_relaxed);
        Response busy = http::error_response(503, "Every worker is busy and the queue is full.");
        busy.headers.set("Retry-After", "1");
        return answer(client, std::move(busy), false);
    }
    client.phase = Phase::queued;
    client.queued_at = os::Clock::now();
    queue_.push_back(client.id);
    ipc::ScoreboardHeader& header = context_.scoreboard.header();
    uint64_t queued = header.queued.fetch_add(1, std::memory_order_relaxed) + 1;
    if (queued > header.max_queued.load(std::memory_order_relaxed)) header.max_queued = queued;
    // While it waits, the connection stays in the set as it was: a hang-up drops the
    // request unrun, and what the client sends meanwhile is read ahead (on_client_event).
    // Two epoll_ctl per queued request saved, which is most of them under load. The loop
    // hands it to an app worker once the turn's events are handled (go_on).
}

// Oldest first: a request is handed only to an app worker known to be idle. Called by the
// loop alone: what it finishes on the way (a dead worker's link settled, a 502) goes back
// to the loop as ready connections, never into the queue while this runs.
void IoWorker::dispatch_queue(os::Clock::time_point now) {
    while (!queue_.empty()) {
        Client* client = find(queue_.front());
        if (client == nullptr) {
            queue_.pop_front();
            continue;
        }
        std::optional<std::size_t> slot = sender_.claim_idle_worker();
        if (!slot) return;                                        // every app worker is busy
        if (!client->relay && !hand_off(*client, *slot)) return;  // tried again next turn
        queue_.pop_front();
        ipc::ScoreboardHeader& header = context_.scoreboard.header();
        header.queued.fetch_sub(1, std::memory_order_relaxed);
        record_queue_wait(header, now - client->queued_at);
        client->queue_wait = now - client->queued_at;
        client->handed_at = now;
        if (client->relay) {
            start_relay(*client, *slot);  // may answer (502) and even close the connection
            continue;
        }
        client->phase = Phase::handed_off;
    }
}

// Sends the client's request to the app worker claimed in `slot`, over the link with it
// (made now if this is their first hand-off). False, with the claim undone, when it could
// not be sent.
bool IoWorker::hand_off(Client& client, std::size_t slot) {
    pid_t pid = context_.scoreboard.pid(slot);
    Fd their_end;
    if (!link_to(slot, pid, their_end)) {
        sender_.unclaim(slot);
        return false;
    }
    ipc::HandOffFields hand_off;
    hand_off.worker_pid = pid;
    hand_off.io_pid = self_;
    hand_off.sequence = next_sequence_++;
    hand_off.connection = client.id;
    hand_off.keep_alive_allowed = http::may_keep_alive(*client.request, client.served,
                                                       options_.keepalive_requests, stopping_);
    hand_off.link_attached = their_end.valid();
    hand_off.body_in_file = client.body_file.valid();
    std::array<int, 4> fds{client.fd.get()};
    std::size_t fd_count = 1;
    if (their_end) {
        fds[fd_count++] = their_end.get();
        fds[fd_count++] = marks_.fd();
    }
    if (client.body_file) fds[fd_count++] = client.body_file.get();
    ipc::encode(hand_off, *client.request, hand_off_message_);
    if (!sender_.send(slot, hand_off_message_, std::span(fds.data(), fd_count))) {
        if (their_end) drop_link(slot);  // never reached the app worker
        return false;
    }
    // `their_end` closes here: the app worker holds the only copy, so its death closes
    // the link.
    links_[slot].pending.push_back({hand_off.sequence, client.id});
    client.handler_pid = pid;
    client.shared = true;
    client.body_file.reset();  // the app worker holds its own copy
    return true;
}

// Makes sure links_[slot] is the link with process `pid`, settling first what is left of
// a predecessor's (the master gives a slot a new process only after reaping the old one).
// A new link's other end is left in `their_end`, to be sent with the hand-off. False when
// this io worker is out of file descriptors (EMFILE): the request stays queued and is
// tried again, answered 503 at queue_timeout if none frees up.
bool IoWorker::link_to(std::size_t slot, pid_t pid, Fd& their_end) {
    WorkerLink& link = links_[slot];
    if (link.socket && link.pid == pid) return true;
    if (link.socket) settle_link(slot);
    try {
        auto [ours, theirs] = os::make_message_pair(true);
        link.pid = pid;
        link.socket = std::move(ours);
        their_end = std::move(theirs);
    } catch (const std::exception& e) {
        // The queue retries every few milliseconds: once a second is enough to tell.
        static auto last_logged = os::Clock::time_point{};
        auto now = os::Clock::now();
        if (now - last_logged >= std::chrono::seconds(1)) {
            last_logged = now;
            log::warn("cannot hand a request off: {} (it waits in the queue)", e.what());
        }
        return false;
    }
    loop_.add(link.socket.get(), EPOLLIN, [this, slot](uint32_t) { on_link_event(slot); });
    return true;
}

void IoWorker::drop_link(std::size_t slot) {
    WorkerLink& link = links_[slot];
    if (link.socket) loop_.remove(link.socket.get());
    link = WorkerLink{};
}

// One message per event: the set is level-triggered, so a second one (or the hang-up
// behind a last completion) brings the link back next turn, and the usual single
// completion costs one recvmsg.
void IoWorker::on_link_event(std::size_t slot) {
    WorkerLink& link = links_[slot];
    os::ReceivedMessage& message = link_message_;
    if (!os::receive_message(link.socket.get(), 64, message)) return;  // nothing yet
    if (message.closed) return settle_link(slot);
    std::optional<ipc::Completion> done = ipc::decode_completion(message.bytes);
    if (!done) {
        log::error("a malformed completion from the app worker {}; dropping its link", link.pid);
        return settle_link(slot);
    }
    complete(link, *done);
}

// Gives the connection of a completed hand-off back to the loop.
void IoWorker::complete(WorkerLink& link, const ipc::Completion& done) {
    auto found = std::ranges::find(link.pending, done.sequence, &PendingHandOff::sequence);
    if (found == link.pending.end()) return;  // for a hand-off already settled
    Client* client = find(found->client);
    link.pending.erase(found);
    if (client != nullptr && client->phase == Phase::handed_off) finish_hand_off(*client, done);
}

// The app worker at the other end is gone (or replaced). Completions it sent before it
// went still count; a hand-off left without one failed. The link leaves links_ first:
// finishing a hand-off may hand the connection's next request to the slot's new process.
void IoWorker::settle_link(std::size_t slot) {
    WorkerLink link = std::exchange(links_[slot], WorkerLink{});
    loop_.remove(link.socket.get());
    // Read before anything else runs: the slot's next process may soon mark the word anew.
    // Only the last hand-off can have been running; an earlier one left without its
    // completion (never expected) is not known to be untouched, so it is closed.
    uint64_t last = link.pending.empty() ? 0 : link.pending.back().sequence;
    bool last_started = last != 0 && marks_.marked(slot, last);
    while (!link.pending.empty()) {
        std::optional<os::ReceivedMessage> message = os::receive_message(link.socket.get(), 64);
        if (!message || message->closed) break;
        if (std::optional<ipc::Completion> done = ipc::decode_completion(message->bytes))
            complete(link, *done);
    }
    for (const PendingHandOff& failed : link.pending) {
        Client* client = find(failed.client);
        if (client != nullptr && client->phase == Phase::handed_off)
            worker_died(*client, failed.sequence != last || last_started);
    }
}

// The connection is the io worker's again (read_ahead may have taken it out of the set).
void IoWorker::watch_again(Client& client) {
    client.phase = Phase::reading;
    if (loop_.watches(client.fd.get())) return;
    uint64_t id = client.id;
    loop_.add(client.fd.get(), EPOLLIN | EPOLLRDHUP,
              [this, id](uint32_t events) { on_client_event(id, events); });
}

void IoWorker::finish_hand_off(Client& client, const ipc::Completion& done) {
    log_access(client, done.status, done.body_bytes);
    watch_again(client);
    if (!done.complete || !done.keep_alive) return linger(client);
    if (stopping_) return keep_alive_while_stopping(client);
    resume_reading(client);
}

// If nothing reached the client, it gets 502, or 504 when the worker was killed for
// outliving request_timeout; otherwise the connection can only be closed.
void IoWorker::worker_died(Client& client, bool response_started) {
    watch_again(client);
    if (response_started) return close_client(client);
    auto timeout = context_.config.request_timeout;
    bool timed_out = timeout.count() > 0 && os::Clock::now() - client.handed_at >= timeout;
    log::warn("{} {}: the app worker died before answering; {}", client.request->method,
              client.request->target, timed_out ? 504 : 502);
    answer(client,
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
        client->queue_wait = now - client->queued_at;
        watch_again(*client);  // read_ahead may have taken it out of the set
        Response busy = http::error_response(503, "Every worker stayed busy for queue_timeout.");
        busy.headers.set("Retry-After", "1");
        answer(*client, std::move(busy), false);
    }
}

}  // namespace forkd::front
