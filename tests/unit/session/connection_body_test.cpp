// The blocking session (single, fork and prefork modes) keeps a request body over
// body_buffer_size in an unlinked temp file and hands the handler that file, as hybrid's app
// workers get it; a file that cannot be made is a 500. The client end of a socket pair holds
// the whole request (with its end of input) before serve_connection runs, so no thread is
// needed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "base/fd.hpp"
#include "config/config.hpp"
#include "session/connection.hpp"
#include "socket_pair_client.hpp"

namespace forkd::session {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// What the handler saw of the body.
struct Seen {
    bool in_file = false;
    bool descriptor_valid = false;
    std::string text;
    bool directory_empty = false;  // while the handler ran: the file has no name
};

class ConnectionBodyTest : public testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "forkd-session-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        directory = pattern;
        router.add("/upload", Route::Match::exact,
                   make_handler(Dispatch::blocking, [this](const Request& request) {
                       seen.in_file = request.body.in_file();
                       seen.descriptor_valid = request.body.file_descriptor() >= 0;
                       seen.text = request.body.text();
                       seen.directory_empty = fs::is_empty(directory);
                       return Response::text("ok");
                   }));
    }
    void TearDown() override { fs::remove_all(directory); }

    // Serves one connection that sends `raw` and closes its sending side; returns what the
    // server answered.
    std::string serve(const std::string& raw, std::size_t body_buffer_size,
                      const std::string& temp_path) {
        config::Config config;
        config.body_buffer_size = body_buffer_size;
        config.body_temp_path = temp_path;
        config.max_body_size = 1024 * 1024;
        config.lingering_timeout = config::Duration(100ms);
        Options options = Options::from(config);
        test_client::SocketPair sockets = test_client::sent_request(raw);
        AccessLog access_log;
        Observer observer;
        serve_connection(std::move(sockets.served), "unix",
                         {options, router, access_log, observer});
        return test_client::answer_to(sockets.client);
    }

    static std::string post(const std::string& body) {
        return fmt::format(
            "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            body.size(), body);
    }

    fs::path directory;
    Router router;
    Seen seen;
};

std::string pattern_of(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>('a' + i % 26);
    return bytes;
}

TEST_F(ConnectionBodyTest, HandsABodyOverTheBufferToTheHandlerAsAnUnnamedFile) {
    std::string body = pattern_of(40'000);
    std::string answer = serve(post(body), 4096, directory.string());
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
    EXPECT_TRUE(seen.in_file);
    EXPECT_TRUE(seen.descriptor_valid);
    EXPECT_EQ(seen.text, body);
    EXPECT_TRUE(seen.directory_empty);
}

TEST_F(ConnectionBodyTest, KeepsABodyWithinTheBufferInMemory) {
    std::string answer = serve(post("small"), 4096, directory.string());
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
    EXPECT_FALSE(seen.in_file);
    EXPECT_EQ(seen.text, "small");
}

TEST_F(ConnectionBodyTest, SpoolsAChunkedBodyDecoded) {
    std::string body = pattern_of(30'000);
    std::string raw =
        "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: "
        "close\r\n\r\n";
    for (std::size_t at = 0; at < body.size(); at += 7000) {
        std::string piece = body.substr(at, 7000);
        raw += fmt::format("{:x}\r\n{}\r\n", piece.size(), piece);
    }
    raw += "0\r\n\r\n";
    std::string answer = serve(raw, 4096, directory.string());
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
    EXPECT_TRUE(seen.in_file);
    EXPECT_EQ(seen.text, body);
}

TEST_F(ConnectionBodyTest, AnswersFiveHundredWhenTheTempFileCannotBeMade) {
    std::string answer = serve(post(pattern_of(10'000)), 4096, (directory / "missing").string());
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 500")) << answer;
    EXPECT_EQ(seen.text, "") << "the handler never ran";
    // A small body still needs no file.
    EXPECT_TRUE(
        serve(post("small"), 4096, (directory / "missing").string()).starts_with("HTTP/1.1 200"));
}

}  // namespace
}  // namespace forkd::session
