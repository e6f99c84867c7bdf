// How an io worker stops, and how a reload moves its idle connections to the next
// generation instead of closing them.
//
// A graceful stop accepts nothing more and finishes what is in flight. Requests that have
// begun are answered here with `Connection: close`; what happens to idle connections
// depends on why the io worker stops:
//
//   - the server stops, or a binary upgrade's new master takes over: they are closed, as
//     nginx does (a client reopens an idle connection that closed without a fuss);
//   - a reload started a newer generation (the scoreboard's generation is past ours, and
//     no stop is draining the server): each goes to an io worker of the new generation, on
//     the hand-over socket that every io worker shares (ipc/hand_off.hpp), and the client
//     never sees its connection close. The new io worker adopts it as an idle keep-alive
//     connection with a fresh timer.
//
// Only connections with no byte of their next request read are handed over, so the fd is
// all that travels: bytes still in the kernel's socket buffer go with the socket. One that
// had begun a request is served here, with `Connection: close`; one whose response was
// already promised keep-alive (an app worker had it) is handed over once that is done.
#include <fmt/format.h>

#include "base/log.hpp"
#include "front/io_worker.hpp"
#include "ipc/hand_off.hpp"
#include "os/fd_passing.hpp"
#include "os/process_title.hpp"

namespace forkd::front {
namespace {

// A connection still awaiting its PROXY header is not handed over: the adopting io worker
// would take the header for a request. It is served here, as one that has begun a request.
bool nothing_read(const Client& client) {
    return client.phase == Phase::reading && client.idle && client.in.empty() &&
           !client.awaiting_proxy_header;
}

}  // namespace

// A connection accepted but not yet served is not idle: its client has just connected to
// send a request (possibly still on the wire), so unless it can be handed over it is
// answered with `Connection: close`, as nginx does; closing it would fail that request
// during every reload.
void IoWorker::begin_stop() {
    stopping_ = true;
    watch_listeners(false);
    loop_.remove(context_.hand_over_receiver);  // a stopping io worker adopts nothing
    os::set_process_title(fmt::format("forkd: {} stopping", context_.role));
    bool hand_over = superseded();
    if (context_.scoreboard.header().draining.load() != 0) {
        // The server stops: no io worker will adopt what waits in the hand-over socket
        // (a reload just before the stop), so those connections close here.
        for (;;) {
            auto left =
                os::receive_message(context_.hand_over_receiver, ipc::kMaxIdleConnectionMessage);
            if (!left || left->closed) break;  // its fds close with it
        }
    }
    std::vector<uint64_t> to_close;
    for (const auto& [id, client] : clients_) {
        if (!nothing_read(*client)) continue;
        if (hand_over) {
            to_hand_over_.push_back(id);
        } else if (client->served > 0) {
            to_close.push_back(id);
        }
    }
    for (uint64_t id : to_close)
        close_client(*clients_.at(id));
    if (hand_over) hand_over_idle_connections();
}

bool IoWorker::superseded() const {
    const ipc::ScoreboardHeader& header = context_.scoreboard.header();
    return header.generation.load() > context_.generation && header.draining.load() == 0;
}

// Sends what it can; when the socket is full (the new io workers have not read yet) it goes
// on once the socket has room again. A connection waiting its turn is still watched: if its
// client sends a request meanwhile, that request is answered here.
void IoWorker::hand_over_idle_connections() {
    int socket = context_.hand_over_sender;
    while (!to_hand_over_.empty()) {
        Client* client = find(to_hand_over_.front());
        if (client == nullptr || !nothing_read(*client)) {
            to_hand_over_.pop_front();
            continue;
        }
        std::string message =
            ipc::encode(ipc::IdleConnection{static_cast<uint32_t>(client->served), client->peer});
        int fd = client->fd.get();
        os::Sent sent = os::try_send_message(socket, message, std::span<const int>(&fd, 1));
        if (sent == os::Sent::would_block) {
            if (!loop_.watches(socket)) {
                loop_.add(socket, EPOLLOUT, [this](uint32_t) { hand_over_idle_connections(); });
            }
            return;
        }
        to_hand_over_.pop_front();
        if (sent == os::Sent::done) {
            ++handed_over_;
        } else {
            log::warn("cannot hand an idle connection to the new generation; closing it");
        }
        client->shared = true;
        close_client(*client);  // our copy; the adopting io worker holds its own
    }
    if (loop_.watches(socket)) loop_.remove(socket);
}

// A response that promised keep-alive (decided before the stop) is done. On a reload the
// connection joins the next generation if nothing of a next request was read; otherwise,
// and on a stop, it closes.
void IoWorker::keep_alive_while_stopping(Client& client) {
    if (!superseded() || !client.in.empty()) return linger(client);
    client.phase = Phase::reading;
    release_request(client);
    client.idle = true;
    loop_.modify(client.fd.get(), EPOLLIN | EPOLLRDHUP);
    set_deadline(client, options_.keepalive_timeout);
    to_hand_over_.push_back(client.id);
    hand_over_idle_connections();
}

// Idle connections an io worker of an older generation handed over. Every io worker
// watches the socket; the first to read a message owns that connection. One that a
// reload has superseded (its SIGTERM is on the way) adopts nothing, or the old io workers
// would pass connections among themselves before they reach the new ones.
void IoWorker::adopt_connections() {
    if (superseded()) {
        loop_.remove(context_.hand_over_receiver);
        return;
    }
    for (;;) {
        std::optional<os::ReceivedMessage> message =
            os::receive_message(context_.hand_over_receiver, ipc::kMaxIdleConnectionMessage);
        if (!message) return;  // none left: another io worker may have taken it
        if (message->closed) {
            loop_.remove(
                context_.hand_over_receiver);  // never expected: the master holds both ends
            return;
        }
        std::optional<ipc::IdleConnection> idle = ipc::decode_idle_connection(message->bytes);
        if (!idle || message->fds.size() != 1) continue;
        if (!accepting_allowed()) {
            log::warn("worker_connections ({}) reached: a handed-over idle connection is closed",
                      context_.config.worker_connections);
            continue;  // its fd closes with the message, like any idle connection's
        }
        Client& client = add_client(std::move(message->fds[0]), std::move(idle->peer));
        client.served = static_cast<int>(idle->served);
        client.shared = true;  // the io worker that sent it may not have closed its copy yet
        set_deadline(client, client.served > 0 ? options_.keepalive_timeout
                                               : options_.client_header_timeout);
    }
}

}  // namespace forkd::front
