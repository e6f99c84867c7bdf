// An io worker of hybrid mode: an epoll loop that accepts, reads and parses requests with
// timeouts, keeps idle keep-alive connections for a few hundred bytes each, answers inline
// routes itself, and hands blocking ones to idle app workers with the client fd
// (SCM_RIGHTS). A blocking request waits in the io worker's own bounded queue, never in a
// kernel buffer that cannot be withdrawn: past queue_timeout it gets 503 at once, and one
// whose client left is dropped unrun. While an app worker owns a connection the io worker
// does not watch it; it resumes it when the completion arrives, and answers 502 or 504
// itself when the app worker died before writing anything.
#pragma once

#include <span>

#include "config/config.hpp"
#include "forkd/handler.hpp"
#include "ipc/scoreboard.hpp"
#include "session/access_log.hpp"
#include "session/connection.hpp"

namespace forkd::front {

struct IoContext {
    const config::Config& config;
    const session::Options& options;
    const Router& router;
    session::AccessLog& access_log;
    ipc::Scoreboard& scoreboard;
    std::size_t slot;                       // this io worker's scoreboard slot
    std::span<const int> listeners;         // shared with the other io workers
    std::span<const int> dispatch_sockets;  // per scoreboard slot; -1 where none
    std::string role;                       // "io 1": process title and logs
};

// Runs until a graceful stop has finished every request in flight; returns the exit code.
// Precondition: os::enter_serving_signal_state() was called.
int run_io_worker(const IoContext& context);

}  // namespace forkd::front
