#include "cgi/program_run.hpp"

#include <signal.h>

#include <algorithm>
#include <array>

#include "base/log.hpp"
#include "os/io.hpp"
#include "os/request_guard.hpp"

namespace forkd::cgi {
namespace {

constexpr std::size_t kReadPiece = 64 * 1024;

using Clock = std::chrono::steady_clock;

}  // namespace

ProgramRun::ProgramRun(os::StartedProgram program, RunLimits limits, std::string label,
                       int client_fd)
    : program_(std::move(program)),
      limits_(limits),
      label_(std::move(label)),
      client_fd_(client_fd),
      started_(Clock::now()),
      last_output_(started_),
      errors_(label_, limits_.stderr_limit) {}  // the group was published by start_program

ProgramRun::~ProgramRun() {
    end(!output_ended_);
}

GatewayOutput::Read ProgramRun::read_output(std::string& out) {
    for (;;) {
        if (program_.output.valid()) {
            std::array<char, kReadPiece> buffer;
            os::AttemptResult got = os::try_read_pipe(program_.output.get(), buffer);
            if (got.result == os::Attempt::done && got.bytes > 0) {
                out.append(buffer.data(), got.bytes);
                last_output_ = Clock::now();
                return Read::data;
            }
            if (got.result == os::Attempt::closed) program_.output.reset();
            // Exited, and nothing waits in the pipe: whatever still holds it open is a
            // descendant the request does not wait for.
            if (got.result == os::Attempt::would_block && exited_) program_.output.reset();
        }
        if (!program_.output.valid()) {
            output_ended_ = true;
            return Read::end;
        }
        auto deadline = std::min(started_ + limits_.timeout, last_output_ + limits_.idle_timeout);
        os::ProgramEvents events = os::wait_for_program(program_, client_fd_, deadline);
        if (events.errors) drain_errors();
        if (events.exited) exited_ = true;
        if (events.client_gone) return Read::client_gone;
        if (events.timed_out) return Read::timeout;
    }
}

void ProgramRun::drain_errors() {
    std::array<char, kReadPiece> buffer;
    for (int rounds = 0; program_.errors.valid() && rounds < 16; ++rounds) {
        os::AttemptResult got = os::try_read_pipe(program_.errors.get(), buffer);
        if (got.result == os::Attempt::closed) {
            program_.errors.reset();
            break;
        }
        if (got.result != os::Attempt::done || got.bytes == 0) break;
        errors_.append(std::string_view(buffer.data(), got.bytes));
    }
}

bool ProgramRun::wait_for_exit(std::chrono::milliseconds at_most) {
    if (!exited_ && program_.exited.valid())
        exited_ = os::wait_for_exit(program_.exited.get(), Clock::now() + at_most);
    return exited_;
}

void ProgramRun::end(bool abandon) {
    if (ended_) return;
    ended_ = true;
    // A program still running after its output ended gets the grace to exit by itself; one
    // the request gave up on (timeout, client gone) does not.
    bool exited = wait_for_exit(abandon ? std::chrono::milliseconds(0) : limits_.kill_grace);
    if (!exited || os::signal_process_group(program_.pid, 0)) {
        os::signal_process_group(program_.pid, SIGTERM);
        if (!wait_for_exit(limits_.kill_grace)) {
            log::warn("cgi {}: still running {} ms after TERM; killing its process group", label_,
                      limits_.kill_grace.count());
        }
        os::signal_process_group(program_.pid, SIGKILL);
    }
    int status = os::reap(program_.pid);
    os::set_child_group(0);
    drain_errors();
    errors_.finish();
    static_cast<void>(status);
}

}  // namespace forkd::cgi
