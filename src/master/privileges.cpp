// Who the children run as. The master stays root, as nginx's does: it must be able to bind
// privileged ports again on a reload and to reopen the logs on SIGUSR1. Everything that
// serves clients (workers, io and app workers, fork-mode children) drops to `user` and
// `group` right after fork (Master::spawn), before it reads a byte from anyone.
#include <stdexcept>

#include "base/log.hpp"
#include "config/config_loader.hpp"
#include "master/server.hpp"

namespace forkd::master {

std::optional<os::Identity> identity_for(const config::Config& config) {
    if (config.user.empty()) return std::nullopt;
    std::optional<os::UserEntry> user = os::find_user(config.user);
    if (!user) {
        throw std::runtime_error(config::where(config, "user") + ": no such user \"" + config.user +
                                 "\"");
    }
    gid_t gid = user->gid;
    if (!config.group.empty()) {
        std::optional<gid_t> group = os::find_group(config.group);
        if (!group) {
            throw std::runtime_error(config::where(config, "group") + ": no such group \"" +
                                     config.group + "\"");
        }
        gid = *group;
    }
    return os::Identity{config.user, user->uid, gid, os::supplementary_groups(config.user, gid)};
}

std::optional<os::Identity> children_identity(const config::Config& config) {
    std::optional<os::Identity> identity = identity_for(config);
    if (identity && !os::running_as_root()) {
        log::warn(
            "user \"{}\" applies only when forkd starts as root; every process keeps "
            "running as uid {}",
            config.user, os::effective_uid());
        return std::nullopt;
    }
    return identity;
}

// The children reopen the logs by name on SIGUSR1: after a logrotate, the master (root)
// creates the new files first, and they must be the children's to write (nginx chowns
// them too). The fds the children inherit at fork would work without it.
void give_logs_to_children(const Server& server) {
    if (!server.identity) return;
    std::string error_log = config::logs_to_journal(server.config) ? "" : server.config.error_log;
    for (const std::string& path : {error_log, server.config.access_log}) {
        if (!path.empty()) os::give_file_to(path, server.identity->uid);
    }
}

}  // namespace forkd::master
