#include "os/identity.hpp"

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "base/decimal.hpp"
#include "base/fd.hpp"

namespace forkd::os {
namespace {

[[noreturn]] void fail(const std::string& what, int error) {
    throw std::runtime_error(what + ": " + std::strerror(error));
}

// What getent printed for one key, or nullopt when the database has no such entry (its
// exit status 2). Run as a program of its own: forkd's program is linked statically, and
// glibc cannot load the NSS modules a system may list in nsswitch.conf (systemd, sss,
// ldap) into a static program; getent reads the databases the way every other program on
// the system does. Throws std::runtime_error when getent cannot run or fails otherwise.
std::optional<std::string> getent(const char* database, const std::string& key) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail("pipe", errno);
    Fd output(pipe_fds[0]);
    Fd write_end(pipe_fds[1]);
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    const char* arguments[] = {"getent", database, key.c_str(), nullptr};
    pid_t pid = 0;
    int error = ::posix_spawnp(&pid, "getent", &actions, nullptr,
                               const_cast<char* const*>(arguments), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (error != 0) fail("cannot run getent to look up \"" + key + "\"", error);
    write_end.reset();
    std::string text;
    char chunk[4096];
    for (;;) {
        ssize_t got = ::read(output.get(), chunk, sizeof chunk);
        if (got > 0) {
            text.append(chunk, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
            break;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2) return std::nullopt;  // no such key
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("getent " + std::string(database) + " \"" + key + "\" failed");
    }
    return text;
}

// The colon-separated fields of the first line of a passwd or group entry.
std::vector<std::string_view> fields_of(std::string_view entry) {
    entry = entry.substr(0, entry.find('\n'));
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
        std::size_t colon = entry.find(':', start);
        fields.push_back(entry.substr(start, colon - start));
        if (colon == std::string_view::npos) return fields;
        start = colon + 1;
    }
}

// getent also looks a number up as an id ("0" is root): only an entry of that very name
// counts, as getpwnam(3) and getgrnam(3) find.
bool names(const std::vector<std::string_view>& fields, const std::string& name) {
    return !fields.empty() && fields[0] == name;
}

}  // namespace

std::optional<UserEntry> find_user(const std::string& name) {
    if (name.empty()) return std::nullopt;
    std::optional<std::string> entry = getent("passwd", name);
    if (!entry) return std::nullopt;
    std::vector<std::string_view> fields = fields_of(*entry);  // name:x:uid:gid:gecos:home:shell
    if (!names(fields, name)) return std::nullopt;
    std::optional<uid_t> uid = fields.size() > 3 ? whole_decimal<uid_t>(fields[2]) : std::nullopt;
    std::optional<gid_t> gid = fields.size() > 3 ? whole_decimal<gid_t>(fields[3]) : std::nullopt;
    if (!uid || !gid) throw std::runtime_error("getent passwd \"" + name + "\": not an entry");
    return UserEntry{*uid, *gid};
}

std::optional<gid_t> find_group(const std::string& name) {
    if (name.empty()) return std::nullopt;
    std::optional<std::string> entry = getent("group", name);
    if (!entry) return std::nullopt;
    std::vector<std::string_view> fields = fields_of(*entry);  // name:x:gid:members
    if (!names(fields, name)) return std::nullopt;
    std::optional<gid_t> gid = fields.size() > 2 ? whole_decimal<gid_t>(fields[2]) : std::nullopt;
    if (!gid) throw std::runtime_error("getent group \"" + name + "\": not an entry");
    return *gid;
}

std::vector<gid_t> supplementary_groups(const std::string& user, gid_t gid) {
    std::vector<gid_t> groups{gid};
    // "name   gid gid ...": the groups initgroups(3) would add to `gid`.
    std::optional<std::string> listed = getent("initgroups", user);
    if (!listed) return groups;
    std::string_view rest = *listed;
    rest = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), user.size()));
    for (std::size_t start = 0; start < rest.size();) {
        std::size_t end = rest.find(' ', start);
        if (end == std::string_view::npos) end = rest.size();
        std::optional<gid_t> group = whole_decimal<gid_t>(rest.substr(start, end - start));
        if (group && std::ranges::find(groups, *group) == groups.end()) groups.push_back(*group);
        start = end + 1;
    }
    return groups;
}

uid_t effective_uid() {
    return ::geteuid();
}

bool running_as_root() {
    return effective_uid() == 0;
}

void drop_privileges(const Identity& identity) {
    if (::setgroups(identity.groups.size(), identity.groups.data()) != 0) {
        fail("setgroups", errno);
    }
    if (::setgid(identity.gid) != 0) fail("setgid(" + std::to_string(identity.gid) + ")", errno);
    if (::setuid(identity.uid) != 0) fail("setuid(" + std::to_string(identity.uid) + ")", errno);
    uid_t ruid = 0, euid = 0, suid = 0;
    gid_t rgid = 0, egid = 0, sgid = 0;
    ::getresuid(&ruid, &euid, &suid);
    ::getresgid(&rgid, &egid, &sgid);
    bool changed = ruid == identity.uid && euid == identity.uid && suid == identity.uid &&
                   rgid == identity.gid && egid == identity.gid && sgid == identity.gid;
    if (!changed) throw std::runtime_error("the user and group ids did not change");
    if (identity.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
        throw std::runtime_error("root could be regained after setuid");
    }
}

void allow_core_dumps() {
    if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) fail("prctl(PR_SET_DUMPABLE)", errno);
    rlimit core{};
    if (::getrlimit(RLIMIT_CORE, &core) == 0 && core.rlim_cur != core.rlim_max) {
        core.rlim_cur = core.rlim_max;
        ::setrlimit(RLIMIT_CORE, &core);
    }
}

void give_file_to(const std::string& path, uid_t uid) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
    if (!fd) fail("cannot open " + path, errno);
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) fail("cannot stat " + path, errno);
    if (status.st_uid != uid && ::fchown(fd.get(), uid, static_cast<gid_t>(-1)) != 0) {
        fail("cannot chown " + path, errno);
    }
    if ((status.st_mode & S_IWUSR) == 0 && ::fchmod(fd.get(), status.st_mode | S_IWUSR) != 0) {
        fail("cannot chmod " + path, errno);
    }
}

}  // namespace forkd::os
