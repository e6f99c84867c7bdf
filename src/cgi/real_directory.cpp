#include "cgi/real_directory.hpp"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

namespace forkd::cgi {

std::optional<std::string> real_path(const std::string& path) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) return std::nullopt;
    return std::string(resolved);
}

bool is_within(std::string_view directory, std::string_view path) {
    if (!path.starts_with(directory)) return false;
    if (path.size() == directory.size() || directory.ends_with('/')) return true;  // "/"
    return path[directory.size()] == '/';
}

const std::string& RealDirectory::now() {
    if (!real_.empty() && still_names_it(path_) && (real_ == path_ || still_names_it(real_)))
        return real_;
    real_.clear();
    std::optional<std::string> resolved = real_path(path_);
    struct stat facts {};
    // The identity is the resolved path's own (see the header: a switch in between).
    if (!resolved || ::stat(resolved->c_str(), &facts) != 0 || !S_ISDIR(facts.st_mode))
        return real_;
    real_ = std::move(*resolved);
    device_ = facts.st_dev;
    inode_ = facts.st_ino;
    return real_;
}

bool RealDirectory::still_names_it(const std::string& path) const {
    struct stat facts {};
    return ::stat(path.c_str(), &facts) == 0 && facts.st_dev == device_ && facts.st_ino == inode_;
}

}  // namespace forkd::cgi
