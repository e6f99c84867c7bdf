#include "os/connect.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "os/io.hpp"
#include "os/spawn.hpp"

namespace forkd::os {
namespace {

using namespace std::chrono_literals;

// A FastCGI application's socket: the program accepts on fd 0 the connection already made,
// and no name is left for anybody else to connect to.
TEST(PrivateListener, TheProgramAcceptsTheOneConnectionOnFdZeroAndNoNameIsLeft) {
    std::string folder = std::filesystem::temp_directory_path() / "forkd-connect-test-XXXXXX";
    ASSERT_NE(::mkdtemp(folder.data()), nullptr);
    PrivateListener socket = private_listener(folder);
    EXPECT_TRUE(std::filesystem::is_empty(folder)) << "socket and its directory unlinked";

    ProgramSpec spec;
    spec.path = "/usr/bin/python3";
    spec.arguments = {"python3", "-c",
                      "import socket\n"
                      "s = socket.socket(fileno=0)\n"
                      "c, _ = s.accept()\n"
                      "c.sendall(c.recv(100).upper())\n"};
    spec.stdin_fd = socket.listener.get();
    spec.discard_output = true;
    StartedProgram program = start_program(spec);
    EXPECT_FALSE(program.output.valid()) << "stdout goes to /dev/null";
    socket.listener.reset();  // the program's copy is the only one

    auto deadline = std::chrono::steady_clock::now() + 10s;
    ASSERT_EQ(write_all(socket.connection.get(), "hello", deadline), WriteResult::done);
    char answer[16];
    ReadOutcome got = read_some(socket.connection.get(), answer, deadline);
    ASSERT_EQ(got.result, ReadResult::data);
    EXPECT_EQ(std::string(answer, got.bytes), "HELLO");
    EXPECT_EQ(reap(program.pid), 0);
    std::filesystem::remove(folder);
}

}  // namespace
}  // namespace forkd::os
