#include "front/hand_off_sender.hpp"

#include <unistd.h>

#include <chrono>
#include <exception>
#include <utility>

#include "base/log.hpp"
#include "ipc/hand_off.hpp"
#include "os/fd_passing.hpp"

namespace forkd::front {
namespace {

// The per-request completion socket pair, or two empty fds when the io worker is out of
// file descriptors (EMFILE): the request stays queued and is tried again, answered 503 at
// queue_timeout if none frees up. Letting the exception out would kill the io worker with
// every connection it holds, and leave the claimed app worker claimed for good.
std::pair<Fd, Fd> make_completion_pair() {
    try {
        return os::make_message_pair(true);
    } catch (const std::exception& e) {
        // The queue retries every few milliseconds: once a second is enough to tell.
        static auto last_logged = std::chrono::steady_clock::time_point{};
        auto now = std::chrono::steady_clock::now();
        if (now - last_logged >= std::chrono::seconds(1)) {
            last_logged = now;
            log::warn("cannot hand a request off: {} (it waits in the queue)", e.what());
        }
        return {};
    }
}

}  // namespace

Fd HandOffSender::try_hand_off(const Request& request, int client_fd, uint64_t connection,
                               bool keep_alive_allowed, int body_file) {
    std::size_t slots = dispatch_sockets_.size();
    for (std::size_t i = 0; i < slots; ++i) {
        std::size_t slot = (next_slot_ + i) % slots;
        if (dispatch_sockets_[slot] < 0 || !scoreboard_.try_claim(slot)) continue;
        next_slot_ = slot + 1;

        ipc::HandOff hand_off;
        hand_off.worker_pid = scoreboard_.read(slot).pid;
        hand_off.connection = connection;
        hand_off.keep_alive_allowed = keep_alive_allowed;
        hand_off.body_in_file = body_file >= 0;
        hand_off.request = request;
        std::pair<Fd, Fd> pair = make_completion_pair();
        if (!pair.first) {
            scoreboard_.try_unclaim(slot);  // the worker stays free for the next attempt
            return Fd();
        }
        auto& [ours, theirs] = pair;
        std::vector<int> fds = {client_fd, theirs.get()};
        if (body_file >= 0) fds.push_back(body_file);
        if (os::send_message(dispatch_sockets_[slot], ipc::encode(hand_off), fds)) {
            return std::move(ours);  // `theirs` closes here: the app worker holds the only copy
        }
        log::warn("hand-off to the app worker in slot {} failed", slot);
        scoreboard_.try_unclaim(slot);
    }
    return Fd();
}

}  // namespace forkd::front
