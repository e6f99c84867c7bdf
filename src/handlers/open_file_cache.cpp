#include "handlers/open_file_cache.hpp"

#include <cerrno>
#include <chrono>
#include <iterator>
#include <utility>

#include "os/io.hpp"

namespace forkd::handlers {
namespace {

CachedOpen examine(std::shared_ptr<const Fd> fd) {
    const auto status = os::file_status(fd->get());
    if (!status) return {};
    return CachedOpen{std::move(fd), *status, 0};
}

bool worth_keeping(const os::FileStatus& status) {
    return status.type == os::FileStatus::Type::regular ||
           status.type == os::FileStatus::Type::directory;
}

}  // namespace

OpenFileCache::OpenFileCache(std::size_t max_entries, std::chrono::milliseconds valid,
                             os::SymlinkPolicy policy)
    : max_entries_(max_entries), valid_(valid), policy_(policy) {}

CachedOpen OpenFileCache::open(int directory, std::string_view relative, bool remember_missing) {
    if (max_entries_ == 0) {
        os::Opened opened = os::open_beneath(directory, relative, policy_);
        if (!opened.fd) return CachedOpen{nullptr, {}, opened.error};
        return examine(std::make_shared<const Fd>(std::move(opened.fd)));
    }
    const Clock::time_point now = Clock::now();
    const auto found = index_.find(Key{directory, relative});
    if (found != index_.end()) {
        const Entries::iterator entry = found->second;
        if (now < entry->expires) {
            if (!entry->fd) return CachedOpen{nullptr, {}, ENOENT};
            const auto status = os::file_status(entry->fd->get());
            if (status && status->links > 0 && status->ctime_ns == entry->ctime_ns) {
                entries_.splice(entries_.begin(), entries_, entry);
                return CachedOpen{entry->fd, *status, 0, content_of(*entry, *status), entry->head};
            }
        }
        forget(entry);  // stale, changed or gone: resolve the path again
    }
    return resolve(directory, relative, remember_missing, now);
}

CachedOpen OpenFileCache::resolve(int directory, std::string_view relative, bool remember_missing,
                                  Clock::time_point now) {
    os::Opened opened = os::open_beneath(directory, relative, policy_);
    if (!opened.fd && (opened.error == EMFILE || opened.error == ENFILE) && !entries_.empty()) {
        // Out of descriptors: give back the cache's (those still being sent stay open until
        // their responses end) and try once more.
        index_.clear();
        entries_.clear();
        content_bytes_ = 0;
        opened = os::open_beneath(directory, relative, policy_);
    }
    if (!opened.fd) {
        if (opened.error == ENOENT && remember_missing)
            remember(directory, relative, nullptr, 0, now);
        return CachedOpen{nullptr, {}, opened.error};
    }
    CachedOpen result = examine(std::make_shared<const Fd>(std::move(opened.fd)));
    if (result.fd && worth_keeping(result.status))
        remember(directory, relative, result.fd, result.status.ctime_ns, now);
    return result;
}

void OpenFileCache::remember(int directory, std::string_view relative, std::shared_ptr<const Fd> fd,
                             std::int64_t ctime_ns, Clock::time_point now) {
    if (entries_.size() >= max_entries_) forget(std::prev(entries_.end()));
    entries_.push_front(Entry{directory, std::string(relative), std::move(fd), ctime_ns,
                              now + valid_, nullptr, nullptr});
    const Entry& entry = entries_.front();
    index_.emplace(Key{entry.directory, entry.relative}, entries_.begin());
}

std::shared_ptr<const std::string> OpenFileCache::content_of(Entry& entry,
                                                             const os::FileStatus& status) {
    if (status.type != os::FileStatus::Type::regular || status.size > kContentUpTo) return nullptr;
    if (entry.content) return entry.content->size() == status.size ? entry.content : nullptr;
    auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    if (now_ns - status.ctime_ns < 1'000'000'000) return nullptr;  // too young to trust
    if (content_bytes_ + status.size > kContentBudget) return nullptr;
    std::string bytes;
    if (!os::append_file_range(entry.fd->get(), 0, status.size, bytes)) return nullptr;
    entry.content = std::make_shared<const std::string>(std::move(bytes));
    content_bytes_ += status.size;
    return entry.content;
}

void OpenFileCache::keep_head(int directory, std::string_view relative,
                              std::shared_ptr<const FileHead> head) {
    const auto found = index_.find(Key{directory, relative});
    if (found != index_.end()) found->second->head = std::move(head);
}

void OpenFileCache::forget(Entries::iterator entry) {
    if (entry->content) content_bytes_ -= entry->content->size();
    index_.erase(Key{entry->directory, entry->relative});
    entries_.erase(entry);  // the descriptor closes with the last response still sending it
}

}  // namespace forkd::handlers
