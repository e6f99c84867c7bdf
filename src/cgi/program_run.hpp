// One CGI program while a request runs it: its output read piece by piece, its stderr
// drained all the while into the error log (a noisy program never blocks on a full pipe),
// its two deadlines, and the end of its whole process group however the request ends.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "cgi/gateway_output.hpp"
#include "cgi/stderr_log.hpp"
#include "os/spawn.hpp"

namespace forkd::cgi {

struct RunLimits {
    std::chrono::milliseconds timeout{60'000};       // the whole request
    std::chrono::milliseconds idle_timeout{30'000};  // between two pieces of output
    std::chrono::milliseconds kill_grace{5'000};     // between TERM and KILL
    std::size_t stderr_limit = 64 * 1024;            // logged per request
};

class ProgramRun final : public GatewayOutput {
  public:
    // Takes over a started program. `label` names it in the log ("env.sh (GET /cgi-bin/env.sh)");
    // `client_fd` (-1: none) is watched for a client that hangs up.
    ProgramRun(os::StartedProgram program, RunLimits limits, std::string label, int client_fd);
    // end()s it: with the grace when its output had ended (read_output gave `end`), so a
    // response sent whole is released before the program is waited for; at once otherwise.
    ~ProgramRun() override;
    ProgramRun(const ProgramRun&) = delete;
    ProgramRun& operator=(const ProgramRun&) = delete;

    // Appends the next piece of the program's stdout to `out`. `end` once stdout closed, or
    // once the program has exited and its pipe is drained (a daemon it left behind may hold
    // the pipe open for ever).
    Read read_output(std::string& out) override;

    // Ends the program's process group: when it has not exited by itself within the grace
    // (at once after a timeout or a client gone), TERM, then KILL after the grace; then it
    // is reaped and what is left of its stderr logged. Safe to call twice.
    void end(bool abandon) override;

  private:
    void drain_errors();
    bool wait_for_exit(std::chrono::milliseconds at_most);

    os::StartedProgram program_;
    RunLimits limits_;
    std::string label_;
    int client_fd_;
    std::chrono::steady_clock::time_point started_;
    std::chrono::steady_clock::time_point last_output_;
    bool exited_ = false;
    bool output_ended_ = false;
    bool ended_ = false;
    StderrLog errors_;
};

}  // namespace forkd::cgi
