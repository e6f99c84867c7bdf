// The open-file cache: hits share one descriptor, every change to a file is seen at once,
// a change of its path after the validity, and the bound holds.
#include "handlers/open_file_cache.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "os/file_beneath.hpp"

namespace forkd::handlers {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = OpenFileCache::Clock;

class OpenFileCacheTest : public testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("forkd-open-files-" + std::to_string(::getpid()));
        fs::remove_all(base_);
        fs::create_directories(base_ / "dir");
        write("a.txt", "aaaa");
        write("b.txt", "bbbb");
        write("c.txt", "cccc");
        write("dir/inner.txt", "old inner");
        root_ = os::open_root_directory(base_.string());
    }
    void TearDown() override { fs::remove_all(base_); }

    void write(const std::string& relative, const std::string& text) {
        std::ofstream(base_ / relative, std::ios::trunc) << text;
    }
    // The file's bytes read through the descriptor, as a response would send them.
    static std::string content(const CachedOpen& opened) {
        return os::read_at(opened.fd->get(), 0, opened.status.size).value_or("<unreadable>");
    }
    // Polls `condition` until it holds (true) or 10 s have passed (false).
    static bool eventually(const std::function<bool()>& condition) {
        const Clock::time_point deadline = Clock::now() + 10s;
        while (!condition()) {
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(1ms);  // a poll interval, not a wait for the answer
        }
        return true;
    }
    // Before Linux 6.13 (no multigrain timestamps) ctime moves in clock ticks, so a change in
    // the very tick of the file's last one would keep its ctime. A real change comes later;
    // a test waits until a change now would get a later ctime.
    void wait_for_a_later_ctime(const CachedOpen& opened) {
        ASSERT_TRUE(eventually([&] {
            write("probe", "p");
            Fd probe(::open((base_ / "probe").c_str(), O_RDONLY | O_CLOEXEC));
            return os::file_status(probe.get())->ctime_ns > opened.status.ctime_ns;
        }));
    }

    fs::path base_;
    Fd root_;
};

TEST_F(OpenFileCacheTest, SharesOneDescriptorAcrossRequestsForAFile) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    const CachedOpen first = cache.open(root_.get(), "a.txt");
    const CachedOpen second = cache.open(root_.get(), "a.txt");
    ASSERT_TRUE(first.fd && second.fd);
    EXPECT_EQ(first.fd, second.fd);
    EXPECT_EQ(second.status.size, 4u);
    EXPECT_EQ(cache.size(), 1u);
}

TEST_F(OpenFileCacheTest, OpensAnewForEveryRequestWhenOff) {
    OpenFileCache cache(0, 60s, os::SymlinkPolicy::follow);
    const CachedOpen first = cache.open(root_.get(), "a.txt");
    const CachedOpen second = cache.open(root_.get(), "a.txt");
    ASSERT_TRUE(first.fd && second.fd);
    EXPECT_NE(first.fd->get(), second.fd->get());
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(OpenFileCacheTest, SeesAnInPlaceEditAtOnce) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    const CachedOpen before = cache.open(root_.get(), "a.txt");
    write("a.txt", "a longer text");  // same inode, truncated and rewritten
    const CachedOpen after = cache.open(root_.get(), "a.txt");
    ASSERT_TRUE(after.fd);
    EXPECT_EQ(after.status.inode, before.status.inode);
    EXPECT_EQ(after.status.size, 13u);
    EXPECT_EQ(content(after), "a longer text");
}

// A small file's bytes are remembered once its ctime is a second old, and an edit is still
// seen at the very next request: its new ctime retires them.
TEST_F(OpenFileCacheTest, RemembersASmallFilesBytesAndDropsThemAtAnEdit) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    EXPECT_EQ(cache.open(root_.get(), "a.txt").content, nullptr) << "not read at the first open";
    EXPECT_EQ(cache.open(root_.get(), "a.txt").content, nullptr) << "a ctime this young";
    std::shared_ptr<const std::string> remembered;
    ASSERT_TRUE(eventually([&] {
        remembered = cache.open(root_.get(), "a.txt").content;
        return remembered != nullptr;
    })) << "remembered once the ctime is a second old";
    EXPECT_EQ(*remembered, "aaaa");
    EXPECT_EQ(cache.open(root_.get(), "a.txt").content, remembered) << "no read again";

    write("a.txt", "edited");
    const CachedOpen after = cache.open(root_.get(), "a.txt");
    EXPECT_EQ(after.content, nullptr);
    EXPECT_EQ(content(after), "edited");
    ASSERT_TRUE(eventually([&] {
        auto bytes = cache.open(root_.get(), "a.txt").content;
        return bytes && *bytes == "edited";
    }));
}

TEST_F(OpenFileCacheTest, RemembersNoBytesOfALargeFile) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    write("large.bin", std::string(kContentUpTo + 1, 'x'));
    bool read_as_small = false;
    const Clock::time_point until = Clock::now() + 1500ms;  // past the age bytes need
    while (Clock::now() < until) {
        read_as_small = read_as_small || cache.open(root_.get(), "large.bin").content != nullptr;
        std::this_thread::sleep_for(10ms);  // an observation window, not a wait for an answer
    }
    EXPECT_FALSE(read_as_small);
}

TEST_F(OpenFileCacheTest, SeesAFileReplacedByARenameAtOnce) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    const CachedOpen before = cache.open(root_.get(), "a.txt");
    write("a.txt.new", "replacement");
    fs::rename(base_ / "a.txt.new", base_ / "a.txt");  // as rsync and editors save
    const CachedOpen after = cache.open(root_.get(), "a.txt");
    ASSERT_TRUE(after.fd);
    EXPECT_NE(after.status.inode, before.status.inode);
    EXPECT_EQ(content(after), "replacement");
    EXPECT_EQ(content(before), "aaaa");  // a response already holding the old file keeps it
}

TEST_F(OpenFileCacheTest, SeesAReplacedFileThatKeepsAnotherNameAtOnce) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    const CachedOpen before = cache.open(root_.get(), "a.txt");
    wait_for_a_later_ctime(before);
    fs::create_hard_link(base_ / "a.txt", base_ / "a.backup");  // the old inode keeps a link
    write("a.txt.new", "replacement");
    fs::rename(base_ / "a.txt.new", base_ / "a.txt");
    const CachedOpen after = cache.open(root_.get(), "a.txt");
    ASSERT_TRUE(after.fd);
    EXPECT_EQ(content(after), "replacement");
}

TEST_F(OpenFileCacheTest, ForgetsADeletedFileAtOnce) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    ASSERT_TRUE(cache.open(root_.get(), "a.txt").fd);
    fs::remove(base_ / "a.txt");
    const CachedOpen after = cache.open(root_.get(), "a.txt");
    EXPECT_FALSE(after.fd);
    EXPECT_EQ(after.error, ENOENT);
    EXPECT_EQ(cache.size(), 0u);
}

TEST_F(OpenFileCacheTest, ForgetsAFileRenamedAwayAtOnce) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    const CachedOpen before = cache.open(root_.get(), "a.txt");
    ASSERT_TRUE(before.fd);
    wait_for_a_later_ctime(before);
    fs::rename(base_ / "a.txt", base_ / "dir" / "moved.txt");  // still linked, ctime moved
    EXPECT_EQ(cache.open(root_.get(), "a.txt").error, ENOENT);
}

// A directory above the file swapped for another: nothing about the cached file changed, so
// only the validity brings the new one.
TEST_F(OpenFileCacheTest, SeesAReplacedDirectoryOnlyAfterTheValidity) {
    constexpr auto kValid = 300ms;
    OpenFileCache cache(10, kValid, os::SymlinkPolicy::follow);
    const Clock::time_point start = Clock::now();
    ASSERT_EQ(content(cache.open(root_.get(), "dir/inner.txt")), "old inner");
    fs::rename(base_ / "dir", base_ / "dir.old");
    fs::create_directories(base_ / "dir");
    write("dir/inner.txt", "new inner");
    EXPECT_EQ(content(cache.open(root_.get(), "dir/inner.txt")), "old inner");
    ASSERT_TRUE(eventually([&] {
        return content(cache.open(root_.get(), "dir/inner.txt")) == "new inner";
    })) << "the new directory was never seen";
    EXPECT_GE(Clock::now() - start, kValid);
}

TEST_F(OpenFileCacheTest, RemembersAMissingSiblingOnlyWhenAskedAndOnlyForTheValidity) {
    constexpr auto kValid = 300ms;
    OpenFileCache cache(10, kValid, os::SymlinkPolicy::follow);
    const Clock::time_point start = Clock::now();
    EXPECT_EQ(cache.open(root_.get(), "a.txt.gz", true).error, ENOENT);
    EXPECT_EQ(cache.open(root_.get(), "a.txt.br").error, ENOENT);
    write("a.txt.gz", "gz");
    write("a.txt.br", "br");
    EXPECT_TRUE(cache.open(root_.get(), "a.txt.br").fd);  // not remembered: seen at once
    EXPECT_FALSE(cache.open(root_.get(), "a.txt.gz", true).fd);
    ASSERT_TRUE(eventually([&] { return cache.open(root_.get(), "a.txt.gz", true).fd != nullptr; }))
        << "the new sibling was never seen";
    EXPECT_GE(Clock::now() - start, kValid);
}

TEST_F(OpenFileCacheTest, EvictsTheLeastRecentlyUsedBeyondItsBound) {
    OpenFileCache cache(2, 60s, os::SymlinkPolicy::follow);
    std::weak_ptr<const Fd> a = cache.open(root_.get(), "a.txt").fd;
    std::weak_ptr<const Fd> b = cache.open(root_.get(), "b.txt").fd;
    ASSERT_TRUE(cache.open(root_.get(), "a.txt").fd);  // a is now the most recent
    ASSERT_TRUE(cache.open(root_.get(), "c.txt").fd);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_FALSE(a.expired());
    EXPECT_TRUE(b.expired());  // evicted, and no response held it: closed
}

TEST_F(OpenFileCacheTest, KeepsAnEvictedFileOpenUntilItsResponseLetsGo) {
    OpenFileCache cache(1, 60s, os::SymlinkPolicy::follow);
    CachedOpen sending = cache.open(root_.get(), "a.txt");  // as a FileBody would hold it
    const int fd = sending.fd->get();
    ASSERT_TRUE(cache.open(root_.get(), "b.txt").fd);  // evicts a.txt
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(content(sending), "aaaa");
    sending.fd.reset();
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

TEST_F(OpenFileCacheTest, RemembersNoFailedOpen) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::refuse);
    fs::create_symlink("a.txt", base_ / "link");
    EXPECT_EQ(cache.open(root_.get(), "link").error, ELOOP);
    EXPECT_EQ(cache.open(root_.get(), "missing").error, ENOENT);
    EXPECT_EQ(cache.size(), 0u);
}

// Out of descriptors, the cache gives its own back rather than fail the request.
TEST_F(OpenFileCacheTest, GivesItsDescriptorsBackWhenTheProcessRunsOut) {
    OpenFileCache cache(10, 60s, os::SymlinkPolicy::follow);
    const int cached = cache.open(root_.get(), "a.txt").fd->get();
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(cached) + 1;  // no fd above the cached one
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
    std::vector<int> fillers;  // and none free below it
    for (int fd; (fd = ::dup(root_.get())) >= 0;)
        fillers.push_back(fd);
    const CachedOpen opened = cache.open(root_.get(), "b.txt");
    for (const int fd : fillers)
        ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved);
    ASSERT_TRUE(opened.fd) << "errno " << opened.error;
    EXPECT_EQ(content(opened), "bbbb");
    EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace forkd::handlers
