#include "os/temp_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace forkd::os {
namespace {

namespace fs = std::filesystem;

class TempFile : public testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "forkd-temp-file-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        directory = pattern;
    }
    void TearDown() override { fs::remove_all(directory); }

    fs::path directory;
};

TEST_F(TempFile, HoldsWhatIsAppendedWhileNoPathNamesIt) {
    Fd file = open_temp_file(directory.string());
    ASSERT_TRUE(append_to_file(file.get(), "first "));
    ASSERT_TRUE(append_to_file(file.get(), "second"));
    EXPECT_TRUE(fs::is_empty(directory));
    char read[32] = {};
    EXPECT_EQ(::pread(file.get(), read, sizeof read, 0), 12);
    EXPECT_EQ(std::string(read), "first second");
}

TEST_F(TempFile, ThrowsNamingADirectoryThatDoesNotExist) {
    std::string missing = (directory / "missing").string();
    try {
        open_temp_file(missing);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
}

TEST_F(TempFile, UsesTmpdirThenTmpWhenNoDirectoryIsGiven) {
    const char* saved = std::getenv("TMPDIR");
    std::string restore = saved != nullptr ? saved : "";
    ::setenv("TMPDIR", directory.c_str(), 1);
    EXPECT_EQ(temp_directory(""), directory.string());
    EXPECT_EQ(temp_directory("/elsewhere"), "/elsewhere");
    ::unsetenv("TMPDIR");
    EXPECT_EQ(temp_directory(""), "/tmp");
    if (saved != nullptr) ::setenv("TMPDIR", restore.c_str(), 1);
}

}  // namespace
}  // namespace forkd::os
