// Hands a blocking request to an idle app worker: claims the worker's scoreboard slot
// (compare-and-swap idle -> claimed, so two io workers never pick the same one), then sends
// one message on the worker's dispatch socket with the client fd, a fresh completion
// socket and the body's temp file if it has one (ipc/hand_off.hpp).
#pragma once

#include <span>

#include "base/fd.hpp"
#include "forkd/request.hpp"
#include "ipc/scoreboard.hpp"

namespace forkd::front {

class HandOffSender {
  public:
    // `dispatch_sockets[i]` is the sending end for scoreboard slot i (-1 where none).
    HandOffSender(ipc::Scoreboard& scoreboard, std::span<const int> dispatch_sockets)
        : scoreboard_(scoreboard), dispatch_sockets_(dispatch_sockets) {}

    // The io worker's end of the completion socket when an idle worker took the request;
    // an invalid Fd when every app worker is busy. `body_file` (-1: none) holds the whole
    // body, read from offset 0, and request.body is then empty.
    Fd try_hand_off(const Request& request, int client_fd, uint64_t connection,
                    bool keep_alive_allowed, int body_file);

  private:
    ipc::Scoreboard& scoreboard_;
    std::span<const int> dispatch_sockets_;
    std::size_t next_slot_ = 0;  // where the next search starts, so work spreads
};

}  // namespace forkd::front
