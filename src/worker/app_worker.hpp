// An app worker of hybrid mode: a blocking process that runs one request at a time, handed
// to it by an io worker over its dispatch socket (ipc/hand_off.hpp). It writes the response
// straight to the client fd it received (no proxy copy), then reports completion on its
// link with that io worker. Between requests it is `idle` in the scoreboard, which
// is how io workers find it.
#pragma once

#include <cstddef>

#include "ipc/scoreboard.hpp"
#include "session/connection.hpp"
#include "worker/status_reporter.hpp"

namespace forkd::worker {

// Serves hand-offs until a graceful stop. Precondition: os::enter_serving_signal_state().
void serve_hand_offs(int dispatch_socket, std::size_t max_message,
                     const session::Services& services, ipc::Scoreboard& scoreboard,
                     std::size_t slot, StatusReporter& status);

}  // namespace forkd::worker
