// Identity: the user and groups a process runs as. The master looks the names of `user`
// and `group` up once (the user and group databases, through NSS, by getent(1) in a process
// of its own); each child drops root for good right after fork, before it serves anything,
// as nginx's workers do.
//
// Only the master calls the lookups (never a child: NSS may open files or sockets, and a
// large group database should not be read once per fork); only a freshly forked child calls
// drop_privileges.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace forkd::os {

struct Identity {
    std::string user;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups, as initgroups(3) would set them
};

struct UserEntry {
    uid_t uid = 0;
    gid_t gid = 0;  // the user's primary group
};
// The user named `name` (`getent passwd`), or nullopt when there is none. Throws
// std::runtime_error when getent cannot be run.
std::optional<UserEntry> find_user(const std::string& name);
// The group named `name` (`getent group`), or nullopt when there is none.
std::optional<gid_t> find_group(const std::string& name);
// `user`'s supplementary groups, `gid` first (`getent initgroups`, as getgrouplist(3)).
std::vector<gid_t> supplementary_groups(const std::string& user, gid_t gid);

uid_t effective_uid();
bool running_as_root();

// setgroups, setgid, setuid, in that order (each one needs the privilege the next removes),
// then checks that real, effective and saved ids all changed and that root cannot be
// regained. Throws std::runtime_error naming the step that failed. The kernel clears the
// parent-death signal when the credentials change: set it again after this.
void drop_privileges(const Identity& identity);

// Lets this process leave a core dump when it crashes: the kernel makes a process that
// changed its credentials non-dumpable (PR_SET_DUMPABLE 0), which also hides it from
// ptrace; this sets it dumpable again and raises RLIMIT_CORE's soft limit to the hard one.
// Where the core goes is the kernel's core_pattern (systemd-coredump on most systems).
void allow_core_dumps();

// Makes the file at `path` owned by `uid` and writable by its owner (fchown, fchmod), so
// that children that dropped to `uid` can reopen it by name (SIGUSR1), as nginx does with
// its logs. Throws std::runtime_error naming the path.
void give_file_to(const std::string& path, uid_t uid);

}  // namespace forkd::os
