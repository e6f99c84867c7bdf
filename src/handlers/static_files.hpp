// Static files: the document root (and `locations` prefixes) served as nginx serves them.
//
// An inline handler: it only opens and stats files and returns a FileBody, which the session
// or the io worker sends with sendfile, so a file is never read into memory (the one
// exception is a multi-range response, built in memory up to kMaxMultipartBytes). Every path
// is decoded and normalised by http/target_path.hpp and opened by os/file_beneath.hpp, which
// keeps it beneath its root whatever the symlinks say; with `open_file_cache` on, the
// descriptors stay open in the process's OpenFileCache (open_file_cache.hpp), which checks them
// with an fstat on every request.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/mime_types.hpp"
#include "base/fd.hpp"
#include "config/config.hpp"
#include "forkd/handler.hpp"
#include "handlers/open_file_cache.hpp"
#include "http/target_path.hpp"
#include "os/file_beneath.hpp"

namespace forkd::handlers {

// One directory served under a URL prefix: the root under "/", each location under its own.
struct ServedDirectory {
    std::vector<std::string> prefix;  // decoded segments of the URL prefix; empty for "/"
    std::string path;                 // for messages
    Fd directory;                     // O_PATH, opened at start-up
};

class StaticFilesHandler final : public Handler {
  public:
    // Opens the root and every location's directory and reads /etc/mime.types. Throws
    // std::runtime_error (naming the directory or the entry) when one cannot be used.
    explicit StaticFilesHandler(const config::Config& config);

    Dispatch dispatch(const Request&) const override { return Dispatch::inline_; }
    Response handle(const Request& request) override;

  private:
    // Where a decoded path leads: which served directory, and the path beneath it.
    struct Located {
        const ServedDirectory* served = nullptr;
        std::string relative;  // "a/b.txt"; "" for the directory itself
    };
    Located locate(const http::TargetPath& path) const;
    Response serve_directory(const Request& request, const http::TargetPath& path,
                             const Located& located, int directory);
    Response serve_regular_file(const Request& request, const Located& located,
                                std::string relative, CachedOpen file);

    std::vector<ServedDirectory> directories_;  // longest prefix first
    std::vector<std::string> index_;
    bool autoindex_;
    std::string default_type_;
    bool dotfiles_;
    bool precompressed_;
    api::MimeTypes mime_types_;
    OpenFileCache open_files_;  // this process's: empty in the master, filled by each child
};

}  // namespace forkd::handlers
