// Small file bodies travel with the head in one write (session/response_sender.hpp): the
// bytes read are exactly the file's range, and what cannot be read stays a file body.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "os/io.hpp"
#include "session/response_sender.hpp"

namespace forkd::session {
namespace {

int file_with(const std::string& bytes) {
    int fd = ::memfd_create("small-file-body-test", MFD_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    return fd;
}

TEST(SmallFileBody, ReadsTheRangeOfASmallFile) {
    Response response;
    response.body = FileBody(file_with("0123456789"), 2, 5);
    read_small_file_body(response);
    ASSERT_TRUE(std::holds_alternative<std::string>(response.body));
    EXPECT_EQ(std::get<std::string>(response.body), "23456");
}

TEST(SmallFileBody, LeavesALargeFileToSendfile) {
    Response response;
    std::string big(static_cast<std::size_t>(kFileReadUpTo) + 1, 'x');
    response.body = FileBody(file_with(big), 0, static_cast<off_t>(big.size()));
    read_small_file_body(response);
    EXPECT_TRUE(std::holds_alternative<FileBody>(response.body));
}

TEST(SmallFileBody, LeavesAFileThatShrankAsAFileBody) {
    Response response;
    response.body = FileBody(file_with("short"), 0, 100);  // stat said 100, the file has 5
    read_small_file_body(response);
    EXPECT_TRUE(std::holds_alternative<FileBody>(response.body));
}

TEST(AppendFileRange, AppendsExactlyTheRangeAndNothingOnFailure) {
    int fd = file_with("abcdef");
    std::string out = "head:";
    EXPECT_TRUE(os::append_file_range(fd, 1, 3, out));
    EXPECT_EQ(out, "head:bcd");
    EXPECT_FALSE(os::append_file_range(fd, 4, 10, out));
    EXPECT_EQ(out, "head:bcd");
    ::close(fd);
}

}  // namespace
}  // namespace forkd::session
