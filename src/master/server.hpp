// What every mode needs to serve: the configuration, the application's routes, the session
// options and logs, and the open listeners. Built once in main(), before any fork.
#pragma once

#include <vector>

#include "config/config.hpp"
#include "forkd/handler.hpp"
#include "master/listeners.hpp"
#include "session/access_log.hpp"
#include "session/connection.hpp"

namespace forkd::master {

struct Server {
    config::Config config;
    Router router;
    session::Options options;
    session::AccessLog access_log;
    std::vector<Listener> listeners;
};

// Runs the mode the configuration names; returns the process's exit code.
int run(Server& server);

// The modes (one file each).
int run_single(Server& server);

}  // namespace forkd::master
