#include "cgi/stderr_log.hpp"

#include <algorithm>

#include "base/log.hpp"

namespace forkd::cgi {

void StderrLog::append(std::string_view bytes) {
    std::size_t room = limit_ - std::min(limit_, logged_ + pending_.size());
    std::size_t kept = std::min(room, bytes.size());
    pending_.append(bytes.substr(0, kept));
    dropped_ += bytes.size() - kept;
    log_lines(false);
}

void StderrLog::finish() {
    log_lines(true);
    if (dropped_ > 0) {
        log::error("cgi {}: {} more bytes of stderr not logged (cgi_stderr_limit)", label_,
                   dropped_);
        dropped_ = 0;
    }
}

void StderrLog::log_lines(bool flush) {
    std::size_t start = 0;
    for (std::size_t newline = pending_.find('\n'); newline != std::string::npos;
         newline = pending_.find('\n', start)) {
        std::string_view line(pending_.data() + start, newline - start);
        if (line.ends_with('\r')) line.remove_suffix(1);
        log::error("cgi {}: {}", label_, line);
        logged_ += newline - start + 1;
        start = newline + 1;
    }
    pending_.erase(0, start);
    if (flush && !pending_.empty()) {
        log::error("cgi {}: {}", label_, pending_);
        logged_ += pending_.size();
        pending_.clear();
    }
}

}  // namespace forkd::cgi
