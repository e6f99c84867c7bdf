#include "os/file_beneath.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <stdexcept>

namespace forkd::os {
namespace {

constexpr int kReadFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
// As the kernel's own limit on symlinks in one lookup.
constexpr int kMaxSymlinks = 40;

std::vector<std::string> split_components(std::string_view path) {
    std::vector<std::string> components;
    while (!path.empty()) {
        const auto slash = path.find('/');
        std::string_view component = path.substr(0, slash);
        if (!component.empty() && component != ".") components.emplace_back(component);
        path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    }
    return components;
}

// openat2(2) has no glibc wrapper on Debian 12. nullopt: the kernel lacks the syscall.
std::optional<Opened> open_with_openat2(int root, std::string_view relative, SymlinkPolicy policy,
                                        int flags) {
    static bool kernel_lacks_openat2 = false;
    if (kernel_lacks_openat2) return std::nullopt;
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    if (policy == SymlinkPolicy::refuse) how.resolve |= RESOLVE_NO_SYMLINKS;
    const std::string path = relative.empty() ? std::string(".") : std::string(relative);
    for (int attempt = 0; attempt < 3; ++attempt) {
        const long fd = ::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how);
        if (fd >= 0) return Opened{Fd(static_cast<int>(fd)), 0};
        // EAGAIN: a concurrent rename may have raced RESOLVE_BENEATH's check; try again.
        if (errno == EAGAIN || errno == EINTR) continue;
        if (errno == ENOSYS) {
            kernel_lacks_openat2 = true;
            return std::nullopt;
        }
        return Opened{Fd(), errno};
    }
    return Opened{Fd(), EAGAIN};
}

Opened open_anyhow(int root, std::string_view relative, SymlinkPolicy policy, int flags) {
    if (auto opened = open_with_openat2(root, relative, policy, flags)) return std::move(*opened);
    return open_beneath_by_walk(root, relative, policy, flags);
}

// Owner policy: every symlink along `relative` must be owned by the owner of its target.
// Checked after the open (which already kept the path beneath the root), prefix by prefix.
int check_symlink_owners(int root, std::string_view relative) {
    std::string prefix;
    for (const auto& component : split_components(relative)) {
        prefix += (prefix.empty() ? "" : "/") + component;
        struct stat link {};
        if (::fstatat(root, prefix.c_str(), &link, AT_SYMLINK_NOFOLLOW) != 0) return errno;
        if (!S_ISLNK(link.st_mode)) continue;
        Opened target = open_anyhow(root, prefix, SymlinkPolicy::follow, O_PATH | O_CLOEXEC);
        struct stat status {};
        if (!target.fd) return target.error;
        if (::fstat(target.fd.get(), &status) != 0) return errno;
        if (status.st_uid != link.st_uid) return EACCES;
    }
    return 0;
}

}  // namespace

Fd open_root_directory(const std::string& path) {
    const int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw std::runtime_error("cannot open directory " + path + ": " + std::strerror(errno));
    }
    return Fd(fd);
}

Opened open_beneath(int root, std::string_view relative, SymlinkPolicy policy) {
    Opened opened = open_anyhow(root, relative, policy, kReadFlags);
    if (opened.fd && policy == SymlinkPolicy::same_owner) {
        if (const int error = check_symlink_owners(root, relative)) return Opened{Fd(), error};
    }
    return opened;
}

// Walks `relative` one component at a time. Each component is opened with O_PATH |
// O_NOFOLLOW beneath the directory before it; a symlink is read and its target's components
// replace it in the queue, under the rules RESOLVE_BENEATH enforces (no absolute target, no
// ".." above the root).
Opened open_beneath_by_walk(int root, std::string_view relative, SymlinkPolicy policy, int flags) {
    std::deque<std::string> pending;
    for (auto& component : split_components(relative))
        pending.push_back(std::move(component));
    std::vector<Fd> directories;  // the chain below `root`; its back is the current directory
    std::string final_name;       // empty: the target is the current directory itself
    int symlinks = 0;
    const auto current = [&] { return directories.empty() ? root : directories.back().get(); };
    while (!pending.empty()) {
        std::string name = std::move(pending.front());
        pending.pop_front();
        if (name == "..") {
            if (directories.empty()) return Opened{Fd(), EXDEV};
            directories.pop_back();
            continue;
        }
        Fd step(::openat(current(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        struct stat status {};
        if (!step || ::fstat(step.get(), &status) != 0) return Opened{Fd(), errno};
        if (S_ISLNK(status.st_mode)) {
            if (policy == SymlinkPolicy::refuse || ++symlinks > kMaxSymlinks)
                return Opened{Fd(), ELOOP};
            char target[PATH_MAX];
            const ssize_t length = ::readlinkat(step.get(), "", target, sizeof target);
            if (length < 0) return Opened{Fd(), errno};
            const std::string_view text(target, static_cast<std::size_t>(length));
            if (text.starts_with('/')) return Opened{Fd(), EXDEV};
            const auto parts = split_components(text);
            pending.insert(pending.begin(), parts.begin(), parts.end());
            continue;
        }
        if (pending.empty()) {
            final_name = std::move(name);  // reopened below with the caller's flags
            break;
        }
        if (!S_ISDIR(status.st_mode)) return Opened{Fd(), ENOTDIR};
        directories.push_back(std::move(step));
    }
    // Reopening by name could meet a symlink swapped in meanwhile: O_NOFOLLOW refuses it.
    const char* name = final_name.empty() ? "." : final_name.c_str();
    Fd file(::openat(current(), name, flags | O_NOFOLLOW));
    if (!file) return Opened{Fd(), errno};
    return Opened{std::move(file), 0};
}

std::optional<FileStatus> file_status(int fd) {
    struct stat status {};
    if (::fstat(fd, &status) != 0) return std::nullopt;
    FileStatus file;
    file.type = S_ISREG(status.st_mode)   ? FileStatus::Type::regular
                : S_ISDIR(status.st_mode) ? FileStatus::Type::directory
                                          : FileStatus::Type::other;
    file.inode = status.st_ino;
    file.size = static_cast<std::uint64_t>(status.st_size);
    file.mtime = status.st_mtim.tv_sec;
    file.mtime_ns =
        static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec;
    file.ctime_ns =
        static_cast<std::int64_t>(status.st_ctim.tv_sec) * 1'000'000'000 + status.st_ctim.tv_nsec;
    file.links = static_cast<std::uint64_t>(status.st_nlink);
    return file;
}

std::vector<DirectoryEntry> list_directory(int directory) {
    std::vector<DirectoryEntry> entries;
    // fdopendir takes ownership of its fd (closedir closes it): give it a duplicate opened
    // for reading, since `directory` may be an O_PATH fd.
    const int own = ::openat(directory, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (own < 0) return entries;
    DIR* stream = ::fdopendir(own);
    if (stream == nullptr) {
        ::close(own);
        return entries;
    }
    while (const dirent* entry = ::readdir(stream)) {
        const std::string_view name = entry->d_name;
        if (name == "." || name == "..") continue;
        struct stat status {};
        if (::fstatat(own, entry->d_name, &status, AT_SYMLINK_NOFOLLOW) != 0) continue;
        entries.push_back({std::string(name), S_ISDIR(status.st_mode),
                           static_cast<std::uint64_t>(status.st_size), status.st_mtim.tv_sec});
    }
    ::closedir(stream);
    return entries;
}

std::optional<std::string> read_at(int fd, off_t offset, std::size_t length) {
    std::string bytes(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        const ssize_t n =
            ::pread(fd, bytes.data() + done, length - done, offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        done += static_cast<std::size_t>(n);
    }
    return bytes;
}

}  // namespace forkd::os
