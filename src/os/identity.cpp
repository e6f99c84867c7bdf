#include "os/identity.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/fd.hpp"

namespace forkd::os {
namespace {

[[noreturn]] void fail(const std::string& what, int error) {
    throw std::runtime_error(what + ": " + std::strerror(error));
}

// getpwnam_r and getgrnam_r want a buffer for the entry's strings; ERANGE asks for more.
template <class Entry, class Lookup>
bool look_up(const std::string& name, Entry& entry, Lookup lookup) {
    std::vector<char> buffer(1024);
    for (;;) {
        Entry* found = nullptr;
        int error = lookup(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (error == ERANGE && buffer.size() < (1U << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        // 0 with no entry, or ENOENT, ESRCH, EBADF, EPERM: "not found" per getpwnam(3).
        if (found != nullptr) return true;
        if (error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM) {
            return false;
        }
        fail("cannot look up \"" + name + "\"", error);
    }
}

}  // namespace

std::optional<UserEntry> find_user(const std::string& name) {
    passwd entry{};
    if (!look_up(name, entry, ::getpwnam_r)) return std::nullopt;
    return UserEntry{entry.pw_uid, entry.pw_gid};
}

std::optional<gid_t> find_group(const std::string& name) {
    group entry{};
    if (!look_up(name, entry, ::getgrnam_r)) return std::nullopt;
    return entry.gr_gid;
}

std::vector<gid_t> supplementary_groups(const std::string& user, gid_t gid) {
    std::vector<gid_t> groups(32);
    for (;;) {
        int count = static_cast<int>(groups.size());
        if (::getgrouplist(user.c_str(), gid, groups.data(), &count) >= 0) {
            groups.resize(static_cast<std::size_t>(count));
            return groups;
        }
        groups.resize(static_cast<std::size_t>(count) > groups.size()
                          ? static_cast<std::size_t>(count)
                          : groups.size() * 2);
    }
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
