// Opening files beneath a directory that no path may leave: the static-file handler's only
// way to the disk.
//
// open_beneath() resolves a relative path with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS): "..", absolute symlinks and symlinks that climb out of the root fail
// with EXDEV inside the kernel, atomically. Kernels before 5.6 lack openat2 (ENOSYS); there
// the path is walked one component at a time with O_NOFOLLOW, resolving each symlink by hand
// under the same rules. Callers pass paths already normalised (http/target_path.hpp); this
// module does not trust that they did.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.hpp"

namespace forkd::os {

// Which symlinks beneath the root are followed (config::Symlinks): all, those owned by the
// owner of what they point to (nginx's disable_symlinks if_not_owner), or none.
enum class SymlinkPolicy { follow, same_owner, refuse };

// An fd, or the errno that explains why there is none (ENOENT, EACCES, ELOOP for a refused
// symlink, EXDEV for a path that would leave the root, ...).
struct Opened {
    Fd fd;
    int error = 0;
};

// Opens a directory to serve files from (O_PATH). Throws std::runtime_error naming the path.
Fd open_root_directory(const std::string& path);

// Opens `relative` ("a/b.txt"; "" is the root itself) beneath `root` for reading. Never
// blocks on a FIFO (O_NONBLOCK) and never leaves `root`.
Opened open_beneath(int root, std::string_view relative, SymlinkPolicy policy);

// The fallback for kernels without openat2, public so that tests exercise it everywhere.
Opened open_beneath_by_walk(int root, std::string_view relative, SymlinkPolicy policy, int flags);

struct FileStatus {
    enum class Type { regular, directory, other };
    Type type = Type::other;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::time_t mtime = 0;      // seconds
    std::int64_t mtime_ns = 0;  // nanoseconds since the epoch
    // What the open-file cache checks: any change to the inode (a write, chmod, rename, link
    // or unlink) moves its ctime, and a file no name leads to any more has no links.
    std::int64_t ctime_ns = 0;
    std::uint64_t links = 0;
};
std::optional<FileStatus> file_status(int fd);

struct DirectoryEntry {
    std::string name;
    bool is_directory = false;
    std::uint64_t size = 0;
    std::time_t mtime = 0;
};
// The entries of the open directory `directory` except "." and "..", unsorted. Symlinks are
// described as themselves (never followed, so a listing reveals nothing outside the root).
std::vector<DirectoryEntry> list_directory(int directory);

// Reads `length` bytes at `offset` (pread); nullopt on an error or a file that shrank.
std::optional<std::string> read_at(int fd, off_t offset, std::size_t length);

}  // namespace forkd::os
