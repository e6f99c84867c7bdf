// Where a configured directory (the document root, a `cgi` directory) really is: its canonical
// path, symlinks resolved, which the script lookup walks from and passes on as
// SCRIPT_FILENAME and DOCUMENT_ROOT. Resolving it costs a `readlink` per component of the
// path on every request; a serving process remembers it instead, and checks every time that
// it still holds.
//
// The rule: the remembered real path is used while the configured path and the real path
// both name the directory it was resolved for (the same st_dev and st_ino, by `stat`): one
// `stat` when the configured path is itself canonical, two otherwise, whatever the depth. A
// root that is a symlink switched at deploy time (`/srv/current -> releases/42`, or a
// symlink anywhere above the root, as `/srv/app/current/public`) names another directory
// at once: it is resolved anew on that request. Checking only `readlink` of the root would
// miss a switch above the root, and the directory's identity alone would miss a rename.
// The identity is taken from the real path itself, so a switch between the two calls
// resolves again on the next request instead of pairing one release's path with another's
// directory.
//
// Passing the real path on, as nginx's `$realpath_root`, is what makes a switch visible to
// PHP at all: php-cgi and php-fpm remember the path a script name resolved to
// (realpath_cache_ttl, 120 s), so an unchanged SCRIPT_FILENAME would keep running the old
// release.
//
// Path checks are made by name and are as racy as any: a switch between the lookup and the
// program's open of its script runs the new release's file of the same name.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace forkd::cgi {

// `path` with every symlink, "." and ".." resolved (realpath(3)); nullopt when it does not
// exist or cannot be reached.
std::optional<std::string> real_path(const std::string& path);

// Whether `path` (a canonical path) is `directory` (canonical) or below it.
bool is_within(std::string_view directory, std::string_view path);

class RealDirectory {
  public:
    explicit RealDirectory(std::string path) : path_(std::move(path)) {}

    // The canonical path of the directory that the configured path names now; "" when it
    // names none (missing, not a directory, not reachable).
    const std::string& now();

  private:
    bool still_names_it(const std::string& path) const;

    std::string path_;
    std::string real_;  // "" until resolved
    dev_t device_ = 0;
    ino_t inode_ = 0;
};

}  // namespace forkd::cgi
