#include "front/hand_off_sender.hpp"

#include <algorithm>

#include "base/log.hpp"
#include "os/fd_passing.hpp"

namespace forkd::front {

std::optional<std::size_t> HandOffSender::claim_idle_worker() {
    std::size_t slots = std::min(dispatch_sockets_.size(), scoreboard_.slots_used());
    std::size_t slot = next_slot_ < slots ? next_slot_ : 0;
    for (std::size_t i = 0; i < slots; ++i, slot = slot + 1 < slots ? slot + 1 : 0) {
        if (dispatch_sockets_[slot] < 0 || !scoreboard_.try_claim(slot)) continue;
        next_slot_ = slot + 1;
        return slot;
    }
    return std::nullopt;
}

bool HandOffSender::send(std::size_t slot, std::string_view message, std::span<const int> fds) {
    if (os::send_message(dispatch_sockets_[slot], message, fds)) return true;
    log::warn("hand-off to the app worker in slot {} failed", slot);
    scoreboard_.try_unclaim(slot);
    return false;
}

}  // namespace forkd::front
