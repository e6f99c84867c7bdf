// A process serves its connections in storage it keeps from one to the next
// (session/kept_storage.hpp): nothing of one connection may reach the next, a body's
// temporary file closes with its connection, a reload's new limits apply, and a fork-mode
// child, which inherits the storage its master prepared, serves a common request without
// allocating. Each client end holds its whole request (and its end of input) before
// serve_connection runs, so no thread is needed.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>

#include "base/fd.hpp"
#include "config/config.hpp"
#include "handlers/demo.hpp"
#include "session/connection.hpp"
#include "session/kept_storage.hpp"
#include "socket_pair_client.hpp"

namespace {

// Allocations counted on this thread while `counting` (the replaced operator new below).
thread_local bool counting = false;
thread_local int allocations = 0;

}  // namespace

void* operator new(std::size_t size) {
    if (counting) ++allocations;
    if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
    throw std::bad_alloc();
}

void operator delete(void* memory) noexcept {
    std::free(memory);
}

void operator delete(void* memory, std::size_t) noexcept {
    std::free(memory);
}

namespace forkd::session {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class KeptStorageTest : public testing::Test {
  protected:
    void SetUp() override {
        handlers::add_demo_routes(router, config::DemoConfig{});
        router.add("/seen", Route::Match::exact,
                   make_handler(Dispatch::blocking, [this](const Request& request) {
                       seen_paths += request.path + " ";
                       return Response::text("seen");
                   }));
        config.lingering_timeout = config::Duration(100ms);
    }

    // Serves one connection that sends `raw` and closes its sending side; returns what the
    // server answered. `count` counts the allocations made while serving.
    std::string serve(const std::string& raw, bool count = false) {
        Options options = Options::from(config);
        test_client::SocketPair sockets = test_client::sent_request(raw);
        AccessLog access_log;
        Observer observer;
        const std::string peer = "unix";
        allocations = 0;
        counting = count;
        serve_connection(std::move(sockets.served), peer, {options, router, access_log, observer});
        counting = false;
        return test_client::answer_to(sockets.client);
    }

    static std::size_t open_descriptors() {
        std::size_t count = 0;
        for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd"))
            ++count;
        return count;
    }

    config::Config config;
    Router router;
    std::string seen_paths;
};

TEST_F(KeptStorageTest, BytesLeftByOneConnectionNeverReachTheNext) {
    // The first connection ends in the middle of a second request.
    std::string first = serve("GET /seen HTTP/1.1\r\nHost: a\r\n\r\nGET /elsewhere HT");
    EXPECT_TRUE(first.starts_with("HTTP/1.1 200")) << first;
    std::string second = serve("GET /seen HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(second.starts_with("HTTP/1.1 200")) << second;
    EXPECT_EQ(seen_paths, "/seen /seen ");
}

TEST_F(KeptStorageTest, ABodysTemporaryFileClosesWithItsConnection) {
    std::string directory = (fs::temp_directory_path() / "forkd-kept-XXXXXX").string();
    ASSERT_NE(::mkdtemp(directory.data()), nullptr);
    config.body_buffer_size = 1024;
    config.body_temp_path = directory;
    std::string body(20'000, 'b');
    std::size_t before = open_descriptors();
    std::string answer =
        serve("POST /seen HTTP/1.1\r\nHost: a\r\nContent-Length: 20000\r\n\r\n" + body);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
    EXPECT_EQ(open_descriptors(), before) << "the spooled body's file is still open";
    fs::remove_all(directory);
}

TEST_F(KeptStorageTest, NewLimitsApplyToTheNextConnection) {
    std::string long_field = "X-Long: " + std::string(3000, 'v') + "\r\n";
    std::string request =
        "GET / HTTP/1.1\r\nHost: a\r\n" + long_field + "Connection: close\r\n\r\n";
    config.max_header_size = 8 * 1024;
    EXPECT_TRUE(serve(request).starts_with("HTTP/1.1 200"));
    config.max_header_size = 1024;  // a reload
    EXPECT_TRUE(serve(request).starts_with("HTTP/1.1 431"));
    config.max_header_size = 8 * 1024;
    EXPECT_TRUE(serve(request).starts_with("HTTP/1.1 200"));
}

TEST_F(KeptStorageTest, ACommonRequestAllocatesNothingOncePrepared) {
    prepare_kept_storage(Options::from(config).limits);
    std::string request =
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:9933\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
        "Accept-Language: en-US,en;q=0.9\r\nConnection: close\r\n\r\n";
    std::string answer = serve(request, true);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
    EXPECT_TRUE(answer.ends_with("this is server")) << answer;
    EXPECT_EQ(allocations, 0);
}

}  // namespace
}  // namespace forkd::session
