// SIGHUP: re-read the configuration and start a new generation of children with it.
//
// The listening sockets are never closed and re-created, so no queued connection is reset:
// addresses kept by the new configuration keep their socket, new ones are opened, removed
// ones are closed once no child of an older generation can still use them. An invalid
// configuration changes nothing: the error (with key and line) is logged and the running
// generation keeps serving.
#include "base/log.hpp"
#include "config/config_loader.hpp"
#include "master/master.hpp"
#include "os/systemd.hpp"

namespace forkd::master {
namespace {

config::Config read_configuration_again(const std::vector<std::string>& arguments) {
    std::vector<const char*> argv;
    for (const std::string& argument : arguments)
        argv.push_back(argument.c_str());
    return config::load_config(static_cast<int>(argv.size()), argv.data()).config;
}

// Why `next` cannot replace `running` without a restart, or "" when it can.
std::string why_not_reloadable(const config::Config& running, const config::Config& next,
                               std::size_t scoreboard_size) {
    if (next.mode != running.mode) return "mode cannot change on a reload; restart forkd";
    if (scoreboard_slots(next) > scoreboard_size) {
        return "the new pool is larger than the scoreboard made at start; restart forkd";
    }
    return "";
}

}  // namespace

void Master::reload(ProcessModel& model) {
    log::info("SIGHUP: reloading the configuration");
    os::notify_systemd_reloading();
    try {
        config::Config next = read_configuration_again(server_.arguments);
        std::string refusal = why_not_reloadable(server_.config, next, scoreboard().size());
        if (!refusal.empty()) throw std::runtime_error(refusal);
        std::optional<os::Identity> identity = children_identity(next);
        std::vector<Listener> unused;
        // Leaves server_.listeners whole when an address fails.
        std::vector<Listener> listeners = open_listeners_from(next, server_.listeners, &unused);
        server_.listeners = std::move(listeners);
        for (Listener& listener : unused)
            retired_listeners_.push_back(std::move(listener));
        bool new_error_log = next.error_log != server_.config.error_log ||
                             next.journal_socket != server_.config.journal_socket ||
                             next.log_level != server_.config.log_level;
        apply_config(server_, std::move(next));
        if (new_error_log) open_error_log(server_.config);
        server_.identity = std::move(identity);
        give_logs_to_children_or_say_why();
    } catch (const std::exception& e) {
        log::error("reload failed, the running configuration stays: {}", e.what());
        scoreboard().header().counters.failed_reloads.fetch_add(1, std::memory_order_relaxed);
        os::notify_systemd_ready();
        return;
    }
    ++generation_;
    scoreboard().header().generation = generation_;
    scoreboard().header().counters.reloads.fetch_add(1, std::memory_order_relaxed);
    model.reloaded(*this);
    log::info("configuration generation {} in force", generation_);
    os::notify_systemd_ready();
}

void Master::close_retired_listeners() {
    if (retired_listeners_.empty()) return;
    for (const Child& child : table_) {
        if (child.generation < generation_) return;  // may still accept on them
    }
    for (const Listener& listener : retired_listeners_) {
        log::info("no longer listening on {}", listener.address);
    }
    retired_listeners_.clear();
}

}  // namespace forkd::master
