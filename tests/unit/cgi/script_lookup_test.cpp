#include "cgi/script_lookup.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace forkd::cgi {
namespace {

namespace fs = std::filesystem;

class ScriptLookup : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("forkd-lookup-" + std::to_string(::getpid()));
        fs::create_directories(base_ / "bin" / "sub");
        fs::create_directories(base_ / "root" / "dir.php");
        fs::create_directories(base_ / "root" / "app");
        executable(base_ / "bin" / "run.sh");
        executable(base_ / "bin" / "sub" / "deep.sh");
        executable(base_ / "bin" / "nph-raw");
        executable(base_ / "outside.sh");
        file(base_ / "bin" / "plain.txt");
        file(base_ / "bin" / ".hidden");
        file(base_ / "root" / "a.php");
        file(base_ / "root" / "b.php");
        file(base_ / "root" / "style.css");
        file(base_ / "root" / "app" / "index.php");
        fs::create_symlink(base_ / "outside.sh", base_ / "bin" / "escape.sh");
    }
    void TearDown() override { fs::remove_all(base_); }

    static void file(const fs::path& path) { std::ofstream(path) << "x"; }
    static void executable(const fs::path& path) {
        file(path);
        fs::permissions(path, fs::perms::owner_all);
    }

    Lookup in_bin(std::string_view url) {
        ScriptDirectory directory{{"cgi-bin"}, (base_ / "bin").string(), true, {}};
        return find_script(directory, *http::normalize_target_path(url), rules_);
    }
    Lookup in_root(std::string_view url) {
        ScriptDirectory directory{{}, (base_ / "root").string(), false, {}};
        return find_script(directory, *http::normalize_target_path(url), rules_);
    }

    fs::path base_;
    LookupRules rules_{{{".php", "/usr/bin/php-cgi", ""}}, {"index.html", "index.php"}, false};
};

TEST_F(ScriptLookup, TheFirstFileSegmentIsTheScriptAndTheRestIsPathInfo) {
    Lookup lookup = in_bin("/cgi-bin/run.sh/a/b%20c/");
    ASSERT_EQ(lookup.result, Lookup::Result::found);
    EXPECT_EQ(lookup.script.paths.script_name, "/cgi-bin/run.sh");
    EXPECT_EQ(lookup.script.paths.path_info, "/a/b c/");
    EXPECT_EQ(lookup.script.paths.script_filename, (base_ / "bin" / "run.sh").string());
    EXPECT_TRUE(lookup.script.interpreter.empty());
}

TEST_F(ScriptLookup, SubdirectoriesAreWalked) {
    Lookup lookup = in_bin("/cgi-bin/sub/deep.sh/x");
    ASSERT_EQ(lookup.result, Lookup::Result::found);
    EXPECT_EQ(lookup.script.paths.script_name, "/cgi-bin/sub/deep.sh");
    EXPECT_EQ(lookup.script.paths.path_info, "/x");
}

TEST_F(ScriptLookup, MissingNonExecutableHiddenAndEscapingFilesAreNotRun) {
    EXPECT_EQ(in_bin("/cgi-bin/none.sh").result, Lookup::Result::not_found);
    EXPECT_EQ(in_bin("/cgi-bin/plain.txt").result, Lookup::Result::forbidden);
    EXPECT_EQ(in_bin("/cgi-bin/.hidden").result, Lookup::Result::not_found);
    EXPECT_EQ(in_bin("/cgi-bin/escape.sh").result, Lookup::Result::forbidden);
    EXPECT_EQ(in_bin("/cgi-bin/").result, Lookup::Result::forbidden);
}

TEST_F(ScriptLookup, NphProgramsAreRecognisedByName) {
    Lookup lookup = in_bin("/cgi-bin/nph-raw");
    ASSERT_EQ(lookup.result, Lookup::Result::found);
    EXPECT_TRUE(lookup.script.nph);
}

TEST_F(ScriptLookup, UnderTheRootOnlyInterpretedFilesRun) {
    Lookup lookup = in_root("/a.php");
    ASSERT_EQ(lookup.result, Lookup::Result::found);
    EXPECT_EQ(lookup.script.interpreter, "/usr/bin/php-cgi");
    EXPECT_EQ(in_root("/style.css").result, Lookup::Result::not_a_script);
    EXPECT_EQ(in_root("/missing.php").result, Lookup::Result::not_a_script);
}

TEST_F(ScriptLookup, PathInfoNeverChoosesAnotherScript) {
    Lookup lookup = in_root("/a.php/b.php");
    ASSERT_EQ(lookup.result, Lookup::Result::found);
    EXPECT_EQ(lookup.script.paths.script_name, "/a.php");
    EXPECT_EQ(lookup.script.paths.path_info, "/b.php");
}

TEST_F(ScriptLookup, ADirectoryNamedLikeAScriptIsWalkedThrough) {
    EXPECT_EQ(in_root("/dir.php/").result, Lookup::Result::not_a_script);
}

TEST_F(ScriptLookup, ADirectoryRunsItsInterpretedIndex) {
    Lookup lookup = in_root("/app/");
    ASSERT_EQ(lookup.result, Lookup::Result::found);
    EXPECT_EQ(lookup.script.paths.script_name, "/app/index.php");
    EXPECT_TRUE(lookup.script.paths.path_info.empty());
}

TEST_F(ScriptLookup, CaseIsNeverFolded) {
    EXPECT_EQ(in_root("/A.PHP").result, Lookup::Result::not_a_script);
    EXPECT_EQ(in_root("/a.PHP").result, Lookup::Result::not_a_script);
}

}  // namespace
}  // namespace forkd::cgi
