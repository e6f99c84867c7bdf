// The access log, one line per request: the combined format of nginx and Apache, or one
// JSON object per line (access_log_format = "json"). Each line is one write(2) to a file
// opened O_APPEND, so every process of a server can share one file; no thread, no buffer
// held back (a crash loses nothing already answered).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "base/fd.hpp"
#include "config/config.hpp"
#include "forkd/handler.hpp"
#include "forkd/request.hpp"

namespace forkd::session {

// What one line tells about one request.
struct AccessRecord {
    const std::string& peer;  // "127.0.0.1:51234": the log shows its host
    const Request* request;   // null for a request that could not be parsed ("-" or null)
    int status = 0;
    std::size_t body_bytes = 0;
    // From the moment the request was read whole to its last byte written (or, for a
    // request an app worker answered, to its completion).
    std::chrono::microseconds duration{0};
    std::chrono::microseconds queue_wait{0};  // in the io worker's queue (hybrid, blocking)
    pid_t worker_pid = 0;                     // the process that ran the handler
    std::string_view route_kind = "none";     // api::to_string(RouteKind)
};

class AccessLog {
  public:
    AccessLog() = default;  // off
    AccessLog(const std::string& path, config::AccessLogFormat format);

    bool enabled() const { return fd_.valid(); }
    // Reopens the file at the same path (after logrotate renamed it).
    void reopen();
    void write(const AccessRecord& record);

  private:
    std::string path_;
    config::AccessLogFormat format_ = config::AccessLogFormat::combined;
    Fd fd_;
};

// 127.0.0.1 - - [26/Nov/2026:19:51:24 +0000] "GET / HTTP/1.1" 200 14 "-" "curl/7.88.1"
std::string format_combined(const AccessRecord& record, std::time_t now);
// {"time":"2026-11-26T19:51:24.127Z","remote":"127.0.0.1","method":"GET",...}
std::string format_json(const AccessRecord& record, std::chrono::system_clock::time_point now);

}  // namespace forkd::session
