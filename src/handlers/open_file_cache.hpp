// The open-file cache: descriptors of the files the static handler served, kept so that a hot
// file costs one fstat per request instead of openat2, fstat and close (nginx's
// open_file_cache, with a stricter freshness rule).
//
// Freshness: every lookup fstats the cached descriptor. A file that changed in any way since
// its path was resolved (written, truncated, chmod'ed, renamed, linked or unlinked: each moves
// its ctime) or that no name leads to any more (no links: deleted, or replaced by a rename) has
// its path resolved again at once. What fstat of the file cannot see, a change of the path
// itself (a symlink retargeted, a directory above the file renamed or replaced, a file created
// where there was none), is seen once the entry is older than `valid`.
//
// Safety: an entry is what open_beneath() answered for (served directory, relative path) under
// the handler's symlink policy, so the kernel's containment check stands behind every entry;
// the request-path checks (decoding, "..", dotfiles) run before the cache is asked.
//
// One cache per process, never shared: the master builds the handler before it forks and never
// serves, so every child starts with an empty cache. Not thread-safe (no process has threads).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/fd.hpp"
#include "handlers/file_head.hpp"
#include "os/file_beneath.hpp"

namespace forkd::handlers {

// An open through the cache: a shared descriptor and its status read by this call, or why
// there is none.
struct CachedOpen {
    std::shared_ptr<const Fd> fd;  // null when the open or its fstat failed
    os::FileStatus status;         // fstat of `fd` now, never a remembered one
    int error = 0;                 // the open's errno when `fd` is null; 0: the fstat failed
    // The whole file, when it is small and its bytes are remembered (see below); null
    // otherwise: read it from `fd`.
    std::shared_ptr<const std::string> content = nullptr;
    // The head a response made for this file (keep_head), or null; check it describes
    // `status` before use.
    std::shared_ptr<const FileHead> head = nullptr;
};

// A small file's bytes are remembered too (up to kContentUpTo each, kContentBudget in all),
// so that a hot small file costs no read: one fstat and the response's one sendmsg. They
// are read at the file's second request, and only once its ctime is a second old: a change
// after that moves the ctime the next fstat compares (timestamps are far finer than a
// second), so the bytes can never be older than the status that vouches for them. (A change
// within the same tick as the ctime, before the bytes were read, is in the bytes read.)
inline constexpr std::uint64_t kContentUpTo = 32 * 1024;  // as the sessions' kFileReadUpTo
inline constexpr std::uint64_t kContentBudget = 4 * 1024 * 1024;

class OpenFileCache {
  public:
    using Clock = std::chrono::steady_clock;

    // At most `max_entries` descriptors (0: no cache; every call opens, and the descriptor
    // closes with the last response that sends it); a path is trusted for `valid`.
    OpenFileCache(std::size_t max_entries, std::chrono::milliseconds valid,
                  os::SymlinkPolicy policy);

    // Opens `relative` beneath `directory` (a served directory's fd, open for the cache's
    // whole life) with os::open_beneath() and fstats it; from the cache when the entry is
    // fresh as the header says. Regular files and directories are remembered, errors are not,
    // except ENOENT when `remember_missing` (for a lookup whose miss is no error to anyone: a
    // precompressed sibling), which then holds for `valid`.
    CachedOpen open(int directory, std::string_view relative, bool remember_missing = false);

    // Keeps `head` in the entry of (directory, relative), if there is one, for the next
    // open() to return: the response of a file formats its fields once per state.
    void keep_head(int directory, std::string_view relative, std::shared_ptr<const FileHead> head);

    std::size_t size() const { return entries_.size(); }

  private:
    struct Entry {
        int directory = -1;
        std::string relative;
        std::shared_ptr<const Fd> fd;  // null: a remembered ENOENT
        std::int64_t ctime_ns = 0;     // at resolution: any change to the file moves it
        Clock::time_point expires;
        std::shared_ptr<const std::string> content = nullptr;  // the bytes, at ctime_ns
        std::shared_ptr<const FileHead> head = nullptr;
    };
    using Entries = std::list<Entry>;  // most recently used first
    // Views into the entry's own strings: list nodes never move, so the key needs no copy.
    struct Key {
        int directory;
        std::string_view relative;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& key) const {
            return std::hash<std::string_view>{}(key.relative) ^
                   (static_cast<std::size_t>(key.directory) * 0x9e3779b97f4a7c15ULL);
        }
    };

    CachedOpen resolve(int directory, std::string_view relative, bool remember_missing,
                       Clock::time_point now);
    void remember(int directory, std::string_view relative, std::shared_ptr<const Fd> fd,
                  std::int64_t ctime_ns, Clock::time_point now);
    void forget(Entries::iterator entry);
    // The entry's bytes, read now if they may be (see kContentUpTo).
    std::shared_ptr<const std::string> content_of(Entry& entry, const os::FileStatus& status);

    std::size_t max_entries_;
    std::chrono::milliseconds valid_;
    os::SymlinkPolicy policy_;
    Entries entries_;
    std::uint64_t content_bytes_ = 0;  // of every entry's content
    std::unordered_map<Key, Entries::iterator, KeyHash> index_;
};

}  // namespace forkd::handlers
