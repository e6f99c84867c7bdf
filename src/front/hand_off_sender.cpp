#include "front/hand_off_sender.hpp"

#include <unistd.h>

#include "base/log.hpp"
#include "ipc/hand_off.hpp"
#include "os/fd_passing.hpp"
#include "os/io.hpp"

namespace forkd::front {

Fd HandOffSender::try_hand_off(const Request& request, int client_fd, uint64_t connection,
                               bool keep_alive_allowed) {
    std::size_t slots = dispatch_sockets_.size();
    for (std::size_t i = 0; i < slots; ++i) {
        std::size_t slot = (next_slot_ + i) % slots;
        if (dispatch_sockets_[slot] < 0 || !scoreboard_.try_claim(slot)) continue;
        next_slot_ = slot + 1;

        ipc::HandOff hand_off;
        hand_off.worker_pid = scoreboard_.read(slot).pid;
        hand_off.connection = connection;
        hand_off.keep_alive_allowed = keep_alive_allowed;
        hand_off.body_in_file = ipc::body_travels_in_file(request.body.size(), body_buffer_size_);
        hand_off.request = request;
        Fd body_file;
        if (hand_off.body_in_file) {
            body_file = os::temp_file_with(request.body);
            hand_off.request.body.clear();
        }
        auto [ours, theirs] = os::make_message_pair(true);
        std::vector<int> fds = {client_fd, theirs.get()};
        if (body_file) fds.push_back(body_file.get());
        if (os::send_message(dispatch_sockets_[slot], ipc::encode(hand_off), fds)) {
            return std::move(ours);  // `theirs` closes here: the app worker holds the only copy
        }
        log::warn("hand-off to the app worker in slot {} failed", slot);
        scoreboard_.try_unclaim(slot);
    }
    return Fd();
}

}  // namespace forkd::front
