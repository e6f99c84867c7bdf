// A gateway's stderr in the error log: line by line, each tagged with the script and the
// request, up to a limit per request; what is beyond it is counted and said once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace forkd::cgi {

class StderrLog {
  public:
    StderrLog(std::string label, std::size_t limit) : label_(std::move(label)), limit_(limit) {}
    // Logs the complete lines of what came so far.
    void append(std::string_view bytes);
    // Logs the last, unfinished line and how much was dropped.
    void finish();

  private:
    void log_lines(bool flush);

    std::string label_;
    std::size_t limit_;
    std::string pending_;  // not yet logged (a line in progress)
    std::size_t logged_ = 0;
    std::size_t dropped_ = 0;
};

}  // namespace forkd::cgi
