// The journal's native protocol, read back from a datagram socket the test binds where the
// journal's would be (CI has no journald).
#include "os/journal_sink.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "base/log.hpp"

namespace forkd::os {
namespace {

// Parses "KEY=value\n" and the binary "KEY\n<le64 size>value\n" form.
std::map<std::string, std::string> fields_of(std::string_view entry) {
    std::map<std::string, std::string> fields;
    while (!entry.empty()) {
        std::size_t end = entry.find_first_of("=\n");
        std::string key(entry.substr(0, end));
        if (entry[end] == '=') {
            std::size_t line_end = entry.find('\n', end);
            fields[key] = entry.substr(end + 1, line_end - end - 1);
            entry.remove_prefix(line_end + 1);
        } else {
            std::uint64_t size = 0;
            for (int i = 0; i < 8; ++i)
                size |= std::uint64_t(static_cast<unsigned char>(entry[end + 1 + i])) << (8 * i);
            fields[key] = entry.substr(end + 9, size);
            EXPECT_EQ(entry[end + 9 + size], '\n');
            entry.remove_prefix(end + 9 + size + 1);
        }
    }
    return fields;
}

class JournalSinkTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/forkd-journal-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        directory_ = pattern;
        path_ = directory_ + "/socket";
        socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, path_.c_str());
        ASSERT_EQ(::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        timeval limit{5, 0};
        ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    }
    void TearDown() override {
        ::close(socket_);
        std::filesystem::remove_all(directory_);
    }
    std::string receive() {
        std::string buffer(128 * 1024, '\0');
        ssize_t got = ::recv(socket_, buffer.data(), buffer.size(), 0);
        EXPECT_GT(got, 0);
        buffer.resize(got > 0 ? got : 0);
        return buffer;
    }

    std::string directory_;
    std::string path_;
    int socket_ = -1;
};

TEST_F(JournalSinkTest, SendsOneDatagramOfFieldsPerLine) {
    log::open(std::make_shared<JournalSink>(path_), log::Level::info);
    log::set_role("io 3");
    log::warn("worker_connections ({}) reached", 512);
    log::debug("not at level info: never sent");
    log::error("two\nlines");
    auto first = fields_of(receive());
    EXPECT_EQ(first["MESSAGE"], "worker_connections (512) reached");
    EXPECT_EQ(first["PRIORITY"], "4");
    EXPECT_EQ(first["SYSLOG_IDENTIFIER"], "forkd");
    EXPECT_EQ(first["SYSLOG_PID"], std::to_string(::getpid()));
    EXPECT_EQ(first["FORKD_ROLE"], "io 3");
    auto second = fields_of(receive());
    EXPECT_EQ(second["MESSAGE"], "two\nlines");
    EXPECT_EQ(second["PRIORITY"], "3");
    log::open("", log::Level::info);
}

TEST_F(JournalSinkTest, RefusesAPathThatIsNotASocket) {
    EXPECT_THROW(JournalSink{directory_}, std::runtime_error);
    EXPECT_THROW(JournalSink{directory_ + "/missing"}, std::runtime_error);
}

TEST(JournalEntry, CutsAnOversizedMessage) {
    std::string huge(JournalSink::kMaxMessage + 100, 'x');
    std::string entry = journal_entry(6, huge, "master", 1);
    EXPECT_LT(entry.size(), JournalSink::kMaxMessage + 200);
}

}  // namespace
}  // namespace forkd::os
