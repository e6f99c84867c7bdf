// An app worker of hybrid mode: a blocking process that runs one request at a time, handed
// to it by an io worker over its dispatch socket (ipc/hand_off.hpp). It writes the response
// straight to the client fd it received (no proxy copy), then reports completion on its
// link with that io worker. Between requests it is `idle` in the scoreboard, which
// is how io workers find it.
#pragma once

#include <cstddef>

#include "ipc/scoreboard.hpp"
#include "session/connection.hpp"
#include "worker/serving_process.hpp"
#include "worker/status_reporter.hpp"

namespace forkd::worker {

// Serves hand-offs until a graceful stop. Precondition: os::enter_serving_signal_state().
// `applications` (may be null): the FastCGI applications this worker keeps, which the io
// workers may also send requests to directly (front/io_worker_fastcgi.cpp).
void serve_hand_offs(int dispatch_socket, std::size_t max_message,
                     const session::Services& services, ipc::Scoreboard& scoreboard,
                     std::size_t slot, StatusReporter& status, KeptApplications* applications);

}  // namespace forkd::worker
