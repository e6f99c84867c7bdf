#include "cgi/real_directory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace forkd::cgi {
namespace {

namespace fs = std::filesystem;

class RealDirectoryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("forkd-real-" + std::to_string(::getpid()));
        fs::create_directories(base_ / "releases" / "1" / "public");
        fs::create_directories(base_ / "releases" / "2" / "public");
        base_ = fs::canonical(base_);
    }
    void TearDown() override { fs::remove_all(base_); }

    // Points `link` at `target` at once, as a deploy does (a new link renamed over the old).
    void switch_link(const fs::path& link, const fs::path& target) {
        fs::path next = link.string() + ".next";
        fs::create_directory_symlink(target, next);
        fs::rename(next, link);
    }

    std::string release(int n) { return (base_ / "releases" / std::to_string(n)).string(); }

    fs::path base_;
};

TEST_F(RealDirectoryTest, ACanonicalPathIsItsOwnRealPath) {
    RealDirectory real(release(1));
    EXPECT_EQ(real.now(), release(1));
    EXPECT_EQ(real.now(), release(1));
}

TEST_F(RealDirectoryTest, FollowsARootSymlinkSwitchedBetweenRequests) {
    fs::create_directory_symlink("releases/1", base_ / "current");
    RealDirectory real((base_ / "current").string());
    EXPECT_EQ(real.now(), release(1));
    switch_link(base_ / "current", "releases/2");
    EXPECT_EQ(real.now(), release(2));
    switch_link(base_ / "current", "releases/1");
    EXPECT_EQ(real.now(), release(1));
}

TEST_F(RealDirectoryTest, FollowsASwitchAboveTheRoot) {
    // Laravel's layout: the root is current/public, and `current` is what a deploy switches.
    fs::create_directory_symlink("releases/1", base_ / "current");
    RealDirectory real((base_ / "current" / "public").string());
    EXPECT_EQ(real.now(), release(1) + "/public");
    switch_link(base_ / "current", "releases/2");
    EXPECT_EQ(real.now(), release(2) + "/public");
}

TEST_F(RealDirectoryTest, FollowsARenamedDirectory) {
    fs::create_directory_symlink("releases/1", base_ / "current");
    RealDirectory real((base_ / "current").string());
    EXPECT_EQ(real.now(), release(1));
    // The same directory under another name: its identity alone would not tell.
    fs::rename(release(1), release(3));
    switch_link(base_ / "current", "releases/3");
    EXPECT_EQ(real.now(), release(3));
}

TEST_F(RealDirectoryTest, AMissingOrDanglingRootIsNoDirectoryUntilItComesBack) {
    fs::create_directory_symlink("releases/9", base_ / "current");
    RealDirectory real((base_ / "current").string());
    EXPECT_EQ(real.now(), "");
    switch_link(base_ / "current", "releases/2");
    EXPECT_EQ(real.now(), release(2));
    fs::remove(base_ / "current");
    EXPECT_EQ(real.now(), "");
}

TEST(IsWithin, ComparesWholeNames) {
    EXPECT_TRUE(is_within("/srv/www", "/srv/www/a.php"));
    EXPECT_TRUE(is_within("/srv/www", "/srv/www"));
    EXPECT_TRUE(is_within("/", "/etc/passwd"));
    EXPECT_FALSE(is_within("/srv/www", "/srv/www2/a.php"));
    EXPECT_FALSE(is_within("/srv/www", "/srv/a.php"));
}

}  // namespace
}  // namespace forkd::cgi
