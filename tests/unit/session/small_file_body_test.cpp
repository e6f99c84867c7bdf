// Small file bodies travel with the head in one write (session/response_sender.hpp): the
// bytes read are exactly the file's range, and what cannot be read is left to sendfile.
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

TEST(SmallFileBody, AppendsTheRangeOfASmallFileBehindTheHead) {
    FileBody file(file_with("0123456789"), 2, 5);
    std::string out = "head:";
    EXPECT_TRUE(append_small_file(file, out));
    EXPECT_EQ(out, "head:23456");
}

TEST(SmallFileBody, LeavesALargeFileToSendfile) {
    std::string big(static_cast<std::size_t>(kFileReadUpTo) + 1, 'x');
    FileBody file(file_with(big), 0, static_cast<off_t>(big.size()));
    std::string out = "head:";
    EXPECT_FALSE(append_small_file(file, out));
    EXPECT_EQ(out, "head:");
}

TEST(SmallFileBody, LeavesAFileThatShrankToSendfile) {
    FileBody file(file_with("short"), 0, 100);  // stat said 100, the file has 5
    std::string out = "head:";
    EXPECT_FALSE(append_small_file(file, out));
    EXPECT_EQ(out, "head:");
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
