#include "os/file_beneath.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

namespace forkd::os {
namespace {

namespace fs = std::filesystem;

// A document root with a secret beside it:
//   <tmp>/secret.txt           never reachable
//   <tmp>/root/a.txt
//   <tmp>/root/dir/b.txt
//   <tmp>/root/link-inside -> dir/b.txt
//   <tmp>/root/dir/up -> ../a.txt
//   <tmp>/root/link-outside -> ../secret.txt
//   <tmp>/root/link-absolute -> <tmp>/root/a.txt
//   <tmp>/root/loop -> loop
// Each test runs twice: through openat2 and through the component walk.
class FileBeneath : public testing::TestWithParam<bool> {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("forkd-beneath-" + std::to_string(::getpid()));
        fs::remove_all(base_);
        fs::create_directories(base_ / "root" / "dir");
        write(base_ / "secret.txt", "secret");
        write(base_ / "root" / "a.txt", "a");
        write(base_ / "root" / "dir" / "b.txt", "b");
        fs::create_symlink("dir/b.txt", base_ / "root" / "link-inside");
        fs::create_symlink("../a.txt", base_ / "root" / "dir" / "up");
        fs::create_symlink("../secret.txt", base_ / "root" / "link-outside");
        fs::create_symlink(base_ / "root" / "a.txt", base_ / "root" / "link-absolute");
        fs::create_symlink("loop", base_ / "root" / "loop");
        root_ = open_root_directory(base_ / "root");
    }
    void TearDown() override { fs::remove_all(base_); }

    static void write(const fs::path& path, const std::string& text) {
        std::ofstream(path) << text;
    }

    Opened open(std::string_view relative, SymlinkPolicy policy = SymlinkPolicy::follow) {
        if (GetParam()) return open_beneath(root_.get(), relative, policy);
        return open_beneath_by_walk(root_.get(), relative, policy,
                                    O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    }

    std::string contents(std::string_view relative, SymlinkPolicy policy = SymlinkPolicy::follow) {
        Opened opened = open(relative, policy);
        if (!opened.fd) return "errno " + std::to_string(opened.error);
        const auto status = file_status(opened.fd.get());
        return read_at(opened.fd.get(), 0, status->size).value_or("<unreadable>");
    }

    fs::path base_;
    Fd root_;
};

TEST_P(FileBeneath, OpensFilesAndDirectoriesBeneathTheRoot) {
    EXPECT_EQ(contents("a.txt"), "a");
    EXPECT_EQ(contents("dir/b.txt"), "b");
    Opened root = open("");
    ASSERT_TRUE(root.fd);
    EXPECT_EQ(file_status(root.fd.get())->type, FileStatus::Type::directory);
}

TEST_P(FileBeneath, ReportsMissingFiles) {
    EXPECT_EQ(open("missing").error, ENOENT);
    EXPECT_EQ(open("a.txt/x").error, ENOTDIR);
}

TEST_P(FileBeneath, NeverClimbsAboveTheRoot) {
    EXPECT_EQ(open("../secret.txt").error, EXDEV);
    EXPECT_EQ(open("dir/../../secret.txt").error, EXDEV);
    EXPECT_EQ(open("link-outside").error, EXDEV);
    EXPECT_EQ(open("link-absolute").error, EXDEV);
}

TEST_P(FileBeneath, FollowsSymlinksThatStayInside) {
    EXPECT_EQ(contents("link-inside"), "b");
    EXPECT_EQ(contents("dir/up"), "a");
}

TEST_P(FileBeneath, RefusesEverySymlinkWhenOff) {
    EXPECT_EQ(open("link-inside", SymlinkPolicy::refuse).error, ELOOP);
    EXPECT_EQ(contents("a.txt", SymlinkPolicy::refuse), "a");
}

TEST_P(FileBeneath, StopsAtASymlinkLoop) {
    EXPECT_EQ(open("loop").error, ELOOP);
}

INSTANTIATE_TEST_SUITE_P(Openat2AndWalk, FileBeneath, testing::Bool(),
                         [](const testing::TestParamInfo<bool>& param_info) {
                             return param_info.param ? "openat2" : "walk";
                         });

TEST(FileBeneathOwner, FollowsOnlySymlinksOwnedByTheirTargetsOwner) {
    if (::geteuid() != 0) GTEST_SKIP() << "changing a symlink's owner needs root";
    const fs::path base = fs::temp_directory_path() / ("forkd-owner-" + std::to_string(::getpid()));
    fs::create_directories(base);
    std::ofstream(base / "file") << "x";
    fs::create_symlink("file", base / "same");
    fs::create_symlink("file", base / "other");
    ASSERT_EQ(::lchown((base / "other").c_str(), 12345, 12345), 0);
    Fd root = open_root_directory(base);
    EXPECT_TRUE(open_beneath(root.get(), "same", SymlinkPolicy::same_owner).fd);
    EXPECT_EQ(open_beneath(root.get(), "other", SymlinkPolicy::same_owner).error, EACCES);
    EXPECT_TRUE(open_beneath(root.get(), "other", SymlinkPolicy::follow).fd);
    fs::remove_all(base);
}

TEST(ListDirectory, NamesEveryEntryButDotAndDotDot) {
    const fs::path base = fs::temp_directory_path() / ("forkd-list-" + std::to_string(::getpid()));
    fs::create_directories(base / "sub");
    std::ofstream(base / "f.txt") << "12345";
    Fd root = open_root_directory(base);
    auto entries = list_directory(root.get());
    std::ranges::sort(entries, {}, &DirectoryEntry::name);
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0].name, "f.txt");
    EXPECT_EQ(entries[0].size, 5U);
    EXPECT_FALSE(entries[0].is_directory);
    EXPECT_EQ(entries[1].name, "sub");
    EXPECT_TRUE(entries[1].is_directory);
    fs::remove_all(base);
}

TEST(FileStatus, CountsLinksAndReportsTheCtime) {
    const fs::path base =
        fs::temp_directory_path() / ("forkd-status-" + std::to_string(::getpid()));
    fs::create_directories(base);
    std::ofstream(base / "f.txt") << "12345";
    Fd file(::open((base / "f.txt").c_str(), O_RDONLY | O_CLOEXEC));
    struct stat expected {};
    ASSERT_EQ(::fstat(file.get(), &expected), 0);
    const auto before = file_status(file.get());
    ASSERT_TRUE(before);
    EXPECT_EQ(before->links, 1U);
    EXPECT_EQ(before->ctime_ns,
              std::int64_t{expected.st_ctim.tv_sec} * 1'000'000'000 + expected.st_ctim.tv_nsec);
    fs::remove(base / "f.txt");
    EXPECT_EQ(file_status(file.get())->links, 0U);  // open, but no name leads to it
    fs::remove_all(base);
}

}  // namespace
}  // namespace forkd::os
