#include "os/spawn.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>

#include "os/io.hpp"
#include "os/temp_file.hpp"

namespace forkd::os {
namespace {

using namespace std::chrono_literals;

// Everything the program writes to `fd` until it closes, within `within`.
std::string read_all(const StartedProgram& program, int fd, std::chrono::seconds within = 10s) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + within;
    char buffer[4096];
    for (;;) {
        AttemptResult got = try_read_pipe(fd, buffer);
        if (got.result == Attempt::done) {
            out.append(buffer, got.bytes);
            continue;
        }
        if (got.result == Attempt::closed) return out;
        if (wait_for_program(program, -1, deadline).timed_out) return out + "<timeout>";
    }
}

ProgramSpec shell(std::string script) {
    ProgramSpec spec;
    spec.path = "/bin/sh";
    spec.arguments = {"sh", "-c", std::move(script)};
    spec.environment = {"PATH=/usr/bin:/bin", "ONLY=this"};
    return spec;
}

TEST(StartProgram, RunsWithTheGivenEnvironmentStdinAndDirectory) {
    Fd input = memory_file_with("from stdin");
    ProgramSpec spec = shell("cat; echo; env | sort; pwd; echo oops >&2");
    spec.stdin_fd = input.get();
    spec.directory = "/tmp";
    StartedProgram program = start_program(spec);
    std::string out = read_all(program, program.output.get());
    EXPECT_EQ(reap(program.pid), 0);
    EXPECT_NE(out.find("from stdin\n"), std::string::npos);
    EXPECT_NE(out.find("ONLY=this"), std::string::npos);
    EXPECT_EQ(out.find("HOME="), std::string::npos) << out;  // nothing of ours
    EXPECT_NE(out.find("\n/tmp\n"), std::string::npos);
    EXPECT_EQ(read_all(program, program.errors.get()), "oops\n");
}

TEST(StartProgram, TheProgramLeadsItsOwnSessionAndHasOnlyItsThreeFds) {
    StartedProgram program = start_program(
        shell("echo $(ps -o sid= -o pgid= -p $$); ls /proc/self/fd | sort -n | tr '\\n' ' '"));
    std::string out = read_all(program, program.output.get());
    reap(program.pid);
    std::string pid = std::to_string(program.pid);
    EXPECT_NE(out.find(pid + " " + pid), std::string::npos) << out;
    // ls's own directory fd is the 3.
    EXPECT_TRUE(out.ends_with("\n0 1 2 3 ")) << out;
}

TEST(StartProgram, ResourceLimitsApply) {
    ProgramSpec spec = shell("ulimit -n");
    spec.limits = {{RLIMIT_NOFILE, 17}};
    StartedProgram program = start_program(spec);
    EXPECT_EQ(read_all(program, program.output.get()), "17\n");
    reap(program.pid);
}

TEST(StartProgram, AnExecFailureIsThrownWithItsErrno) {
    ProgramSpec spec;
    spec.path = "/nonexistent/program";
    spec.arguments = {"x"};
    try {
        start_program(spec);
        FAIL() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
    }
}

TEST(StartProgram, SignallingTheGroupEndsGrandchildrenToo) {
    StartedProgram program = start_program(shell("sleep 60 & sleep 60 & echo started; wait"));
    std::string first;
    char buffer[64];
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (first.find('\n') == std::string::npos &&
           !wait_for_program(program, -1, deadline).timed_out) {
        AttemptResult got = try_read_pipe(program.output.get(), buffer);
        if (got.result == Attempt::done) first.append(buffer, got.bytes);
    }
    ASSERT_EQ(first, "started\n");
    EXPECT_TRUE(signal_process_group(program.pid, SIGKILL));
    int status = reap(program.pid);
    EXPECT_TRUE(WIFSIGNALED(status));
    // The sleeps were in the group: once they are gone (reaped by init), none is left.
    auto gone_by = std::chrono::steady_clock::now() + 10s;
    while (signal_process_group(program.pid, 0) && std::chrono::steady_clock::now() < gone_by)
        wait_for_exit(program.exited.get(), std::chrono::steady_clock::now() + 20ms);
    EXPECT_FALSE(signal_process_group(program.pid, 0));
}

TEST(StartProgram, TheExitIsSeenEvenWhileADescendantHoldsTheOutputOpen) {
    StartedProgram program = start_program(shell("sleep 60 & echo done"));
    EXPECT_TRUE(wait_for_exit(program.exited.get(), std::chrono::steady_clock::now() + 10s));
    reap(program.pid);
    signal_process_group(program.pid, SIGKILL);
}

}  // namespace
}  // namespace forkd::os
