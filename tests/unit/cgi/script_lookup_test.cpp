#include "cgi/script_lookup.hpp"

#include "cgi/real_directory.hpp"

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
        file(base_ / "outside.php");
        fs::create_symlink("a.php", base_ / "root" / "alias.php");
        fs::create_symlink("app", base_ / "root" / "shortcut");
        fs::create_symlink("../outside.php", base_ / "root" / "out.php");
        fs::create_symlink(base_, base_ / "root" / "up");
    }
    void TearDown() override { fs::remove_all(base_); }

    static void file(const fs::path& path) { std::ofstream(path) << "x"; }
    static void executable(const fs::path& path) {
        file(path);
        fs::permissions(path, fs::perms::owner_all);
    }

    Lookup in_bin(std::string_view url) {
        ScriptDirectory directory{{"cgi-bin"}, (base_ / "bin").string(), true, {}};
        return find_script(directory, RealDirectory(directory.path).now(),
                           *http::normalize_target_path(url), rules_);
    }
    Lookup in_root(std::string_view url) {
        ScriptDirectory directory{{}, (base_ / "root").string(), false, {}};
        return find_script(directory, RealDirectory(directory.path).now(),
                           *http::normalize_target_path(url), rules_);
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

TEST_F(ScriptLookup, SymlinksThatStayInsideTheDirectoryAreFollowed) {
    Lookup alias = in_root("/alias.php/x");
    ASSERT_EQ(alias.result, Lookup::Result::found);
    EXPECT_EQ(alias.script.paths.script_name, "/alias.php");
    EXPECT_EQ(alias.script.paths.script_filename, (base_ / "root" / "alias.php").string());
    Lookup index = in_root("/shortcut/");
    ASSERT_EQ(index.result, Lookup::Result::found);
    EXPECT_EQ(index.script.paths.script_name, "/shortcut/index.php");
}

TEST_F(ScriptLookup, SymlinksOutOfTheDirectoryAreRefused) {
    EXPECT_EQ(in_root("/out.php").result, Lookup::Result::forbidden);
    EXPECT_EQ(in_root("/up/outside.php").result, Lookup::Result::forbidden);
    // Where the file really is decides, not the way there: out and back in is inside.
    EXPECT_EQ(in_root("/up/root/a.php").result, Lookup::Result::found);
    EXPECT_EQ(in_bin("/cgi-bin/escape.sh").result, Lookup::Result::forbidden);
}

TEST_F(ScriptLookup, AnIndexThatIsAPathIsCheckedLikeASymlink) {
    rules_.index = {"../outside.php"};
    EXPECT_EQ(in_root("/").result, Lookup::Result::forbidden);  // root/../outside.php
    rules_.index = {"../a.php"};
    EXPECT_EQ(in_root("/app/").result, Lookup::Result::found);  // root/app/../a.php: inside
}

TEST_F(ScriptLookup, AMissingDirectoryHasNoScripts) {
    ScriptDirectory directory{{}, (base_ / "gone").string(), false, {}};
    Lookup lookup = find_script(directory, RealDirectory(directory.path).now(),
                                *http::normalize_target_path("/a.php"), rules_);
    EXPECT_EQ(lookup.result, Lookup::Result::not_a_script);
}

TEST_F(ScriptLookup, ARootSwitchedByASymlinkRunsTheNewReleaseFromItsRealPath) {
    fs::create_directories(base_ / "releases" / "1");
    fs::create_directories(base_ / "releases" / "2");
    file(base_ / "releases" / "1" / "a.php");
    file(base_ / "releases" / "2" / "a.php");
    fs::create_directory_symlink("releases/1", base_ / "current");
    ScriptDirectory directory{{}, (base_ / "current").string(), false, {}};
    RealDirectory real(directory.path);  // one per process, kept between requests
    auto lookup = [&] {
        return find_script(directory, real.now(), *http::normalize_target_path("/a.php"), rules_);
    };
    Lookup first = lookup();
    ASSERT_EQ(first.result, Lookup::Result::found);
    EXPECT_EQ(first.script.paths.script_filename, (base_ / "releases" / "1" / "a.php").string());
    EXPECT_EQ(first.script.paths.document_root, (base_ / "releases" / "1").string());

    fs::create_directory_symlink("releases/2", base_ / "next");
    fs::rename(base_ / "next", base_ / "current");  // the atomic switch of a deploy
    Lookup second = lookup();
    ASSERT_EQ(second.result, Lookup::Result::found);
    EXPECT_EQ(second.script.paths.script_filename, (base_ / "releases" / "2" / "a.php").string());
    EXPECT_EQ(second.script.paths.document_root, (base_ / "releases" / "2").string());
}

TEST_F(ScriptLookup, CaseIsNeverFolded) {
    EXPECT_EQ(in_root("/A.PHP").result, Lookup::Result::not_a_script);
    EXPECT_EQ(in_root("/a.PHP").result, Lookup::Result::not_a_script);
}

}  // namespace
}  // namespace forkd::cgi
