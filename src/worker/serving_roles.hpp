// The bodies of the processes that serve requests blocking, one per role, each a few lines
// on ServingProcess: the master forks and calls one of them (master/*_mode.cpp), and the
// return value is the process's exit code. Precondition for each: the common child set-up
// of Master::spawn (signals, process group, privileges) has run.
#pragma once

#include <span>
#include <string>

#include "base/fd.hpp"
#include "worker/serving_process.hpp"

namespace forkd::worker {

// Prefork mode: accepts on the shared listeners and serves one connection at a time until
// a graceful stop or max_requests.
int run_prefork_worker(const ServingContext& context, std::size_t slot, const std::string& label,
                       std::span<const session::ListeningSocket> listeners);

// Fork mode: serves the one connection it was forked for (keep-alive included), then exits.
// With `proxy_header` the connection begins with a PROXY protocol header.
int run_connection_child(const ServingContext& context, std::size_t slot, std::string_view label,
                         Fd client, const std::string& peer, bool proxy_header);

// Hybrid mode's app worker: serves the hand-offs that arrive on its dispatch socket
// (worker/app_worker.hpp).
int run_app_worker(const ServingContext& context, std::size_t slot, const std::string& label,
                   int dispatch_socket, std::size_t max_message);

}  // namespace forkd::worker
