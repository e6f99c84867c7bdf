// What every mode needs to serve: the configuration, the application's routes, the session
// options and logs, the open listeners and the scoreboard. Built once in main(), before any
// fork, and rebuilt by a reload (SIGHUP) in the master.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/log.hpp"
#include "config/config.hpp"
#include "forkd/app.hpp"
#include "ipc/scoreboard.hpp"
#include "master/listeners.hpp"
#include "os/identity.hpp"
#include "session/access_log.hpp"
#include "session/connection.hpp"
#include "worker/serving_process.hpp"

namespace forkd::master {

struct Server {
    config::Config config;
    Router router;
    session::Options options;
    session::AccessLog access_log;
    std::vector<Listener> listeners;
    std::unique_ptr<ipc::Scoreboard> scoreboard;
    // Who the children run as: `user` and `group` when the master runs as root, else none
    // (children_identity). Set at start and by every reload.
    std::optional<os::Identity> identity;

    // Hybrid mode with spawned FastCGI applications: the directory where each app worker's
    // applications listen (cgi::application_socket), made by the master; empty otherwise.
    std::string application_sockets;

    // How this process was started: a reload parses the same arguments again, a binary
    // upgrade executes the same path with them.
    std::vector<std::string> arguments;
    std::string binary_path;

    // The embedding program's app (forkd::run): its routes come before the configuration's
    // and survive every reload; its hooks run in every serving process.
    const App* app = nullptr;

    worker::ServingContext serving_context();
};

// Every process's routes: the app's, in the order it declared them, with forkd's own where
// it mounted them (an app that mounts none: status and health first, static files last).
Router build_router(const App* app, const config::Config& config,
                    const ipc::Scoreboard* scoreboard);

// Settings, routes and logs from `config` (everything but the listeners and scoreboard).
// Throws std::runtime_error naming what failed (an access log that cannot be opened).
void apply_config(Server& server, config::Config config);

log::Level to_log_level(config::LogLevel level);
// Opens the error log `config` names: a file, stderr, or the journal (error_log = "journald").
// Throws std::runtime_error naming what could not be opened.
void open_error_log(const config::Config& config);

// privileges.cpp. The identity `user` and `group` name, none when `user` is empty; throws
// std::runtime_error naming the key and its line for a name that does not exist.
std::optional<os::Identity> identity_for(const config::Config& config);
// identity_for(config) when the master runs as root; otherwise none, with a warning when
// `user` is set (as nginx does).
std::optional<os::Identity> children_identity(const config::Config& config);
// Makes the log files the children's user's, so that they can reopen them; throws
// std::runtime_error naming the file.
void give_logs_to_children(const Server& server);

// Hybrid mode's io workers: `io_workers`, or one per CPU.
int io_worker_count(const config::Config& config);

// Scoreboard slots a configuration needs: one per child that can be alive at once, with
// room for a second generation during a reload.
std::size_t scoreboard_slots(const config::Config& config);

// Runs the mode the configuration names; returns the process's exit code.
int run(Server& server);

// The modes (one file each).
int run_single(Server& server);

}  // namespace forkd::master
