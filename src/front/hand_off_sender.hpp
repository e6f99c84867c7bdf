// Hands a blocking request to an idle app worker: claims the worker's scoreboard slot
// (compare-and-swap idle -> claimed, so two io workers never pick the same one), then sends
// one message on the worker's dispatch socket (ipc/hand_off.hpp). The io worker keeps the
// links the completions come back on (io_worker_blocking.cpp).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "ipc/scoreboard.hpp"

namespace forkd::front {

class HandOffSender {
  public:
    // `dispatch_sockets[i]` is the sending end for scoreboard slot i (-1 where none).
    HandOffSender(ipc::Scoreboard& scoreboard, std::span<const int> dispatch_sockets)
        : scoreboard_(scoreboard), dispatch_sockets_(dispatch_sockets) {}

    // The slot of an app worker now claimed for this io worker; nullopt when every app
    // worker is busy. Searching starts after the last one claimed, so work spreads.
    std::optional<std::size_t> claim_idle_worker();
    // Sends the hand-off to the claimed worker in `slot`; on failure the claim is undone
    // (the worker stays free for the next attempt) and false returned.
    bool send(std::size_t slot, std::string_view message, std::span<const int> fds);
    // Gives a claimed worker back unused.
    void unclaim(std::size_t slot) { scoreboard_.try_unclaim(slot); }

  private:
    ipc::Scoreboard& scoreboard_;
    std::span<const int> dispatch_sockets_;
    std::size_t next_slot_ = 0;
};

}  // namespace forkd::front
