// The access log in the combined format of nginx and Apache, one write(2) per line to a file
// opened O_APPEND, so every process of a server can share one file.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>

#include "base/fd.hpp"
#include "forkd/request.hpp"

namespace forkd::session {

class AccessLog {
  public:
    AccessLog() = default;  // off
    explicit AccessLog(const std::string& path);

    bool enabled() const { return fd_.valid(); }
    // Reopens the file at the same path (after logrotate renamed it).
    void reopen();
    // `request` may be null for a request that could not be parsed ("-" is logged).
    void write(const std::string& peer, const Request* request, int status, std::size_t body_bytes);

  private:
    std::string path_;
    Fd fd_;
};

// 127.0.0.1 - - [26/Nov/2026:19:51:24 +0000] "GET / HTTP/1.1" 200 14 "-" "curl/7.88.1"
std::string format_combined(const std::string& peer, const Request* request, int status,
                            std::size_t body_bytes, std::time_t now);

}  // namespace forkd::session
