// load_config: the file named by -c, the flags, and their precedence (defaults < file <
// flags). Config files are written under a fresh mkdtemp directory per test.
#include "config/config_loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace forkd::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class ConfigLoaderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "forkd-config-XXXXXX");
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // Writes `text` to a file in the test's directory and returns its path.
    std::string write_file(const std::string& name, const std::string& text) {
        const std::string path = dir_ / name;
        std::ofstream(path) << text;
        return path;
    }

    static Invocation load(std::vector<std::string> args) {
        args.insert(args.begin(), "forkd");
        std::vector<const char*> argv;
        for (const auto& arg : args)
            argv.push_back(arg.c_str());
        return load_config(static_cast<int>(argv.size()), argv.data());
    }

    static std::string error_of(std::vector<std::string> args) {
        try {
            load(std::move(args));
        } catch (const ConfigError& error) {
            return error.what();
        }
        return "";
    }

    std::filesystem::path dir_;
};

std::vector<std::string> texts(const std::vector<ListenAddress>& listen) {
    std::vector<std::string> result;
    for (const auto& address : listen)
        result.push_back(address.text);
    return result;
}

TEST_F(ConfigLoaderTest, UsesDefaultsWithoutFileOrFlags) {
    const Invocation invocation = load({});
    EXPECT_EQ(invocation.config_path, "");
    EXPECT_FALSE(invocation.test_only);
    EXPECT_FALSE(invocation.show_version);
    EXPECT_FALSE(invocation.show_help);
    EXPECT_EQ(invocation.config.mode, Mode::hybrid);
    EXPECT_THAT(texts(invocation.config.listen), ElementsAre("127.0.0.1:9933"));
    EXPECT_TRUE(invocation.config.keys_set.empty());
}

TEST_F(ConfigLoaderTest, ReadsTheFileNamedByDashC) {
    const std::string path = write_file("forkd.toml", "workers = 3\nmode = \"prefork\"\n");
    const Invocation invocation = load({"-c", path});
    EXPECT_EQ(invocation.config_path, path);
    EXPECT_EQ(invocation.config.workers, 3);
    EXPECT_EQ(invocation.config.mode, Mode::prefork);
    EXPECT_EQ(load({"--config=" + path}).config.workers, 3);
}

TEST_F(ConfigLoaderTest, LetsFlagsOverrideTheFile) {
    const std::string path = write_file("forkd.toml", "workers = 3\nkeepalive_timeout = 9\n");
    const Invocation invocation = load({"--workers", "5", "-c", path});
    EXPECT_EQ(invocation.config.workers, 5);
    EXPECT_EQ(invocation.config.keepalive_timeout, seconds(9));
}

TEST_F(ConfigLoaderTest, TakesOffAsNoAccessLogAsNginxDoes) {
    EXPECT_EQ(load({"--access-log", "off"}).config.access_log, "");
    const std::string path = write_file("forkd.toml", "access_log = \"off\"\n");
    EXPECT_EQ(load({"-c", path}).config.access_log, "");
    EXPECT_EQ(load({"--access-log", "logs/off.log"}).config.access_log, "logs/off.log");
}

TEST_F(ConfigLoaderTest, ReadsTheLogTargetsAndTheAccessLogFormat) {
    EXPECT_EQ(load({}).config.access_log_format, AccessLogFormat::combined);
    const std::string path =
        write_file("forkd.toml",
                   "error_log = \"journald\"\njournal_socket = \"/tmp/j.sock\"\n"
                   "access_log_format = \"json\"\n");
    const Config config = load({"-c", path}).config;
    EXPECT_TRUE(logs_to_journal(config));
    EXPECT_EQ(config.journal_socket, "/tmp/j.sock");
    EXPECT_EQ(config.access_log_format, AccessLogFormat::json);
    // "stderr" is the default spelled out.
    EXPECT_EQ(load({"--error-log", "stderr"}).config.error_log, "");
    EXPECT_FALSE(logs_to_journal(load({"--error-log", "./journald"}).config));
    const std::string bad = write_file("bad.toml", "\naccess_log_format = \"xml\"\n");
    EXPECT_THAT(error_of({"-c", bad}), HasSubstr(":2: access_log_format: expected one of"));
}

TEST_F(ConfigLoaderTest, LetsTheLastOfARepeatedFlagWin) {
    EXPECT_EQ(load({"--workers", "2", "--workers=4"}).config.workers, 4);
}

TEST_F(ConfigLoaderTest, ReplacesTheFilesListenListWithTheFlags) {
    const std::string path = write_file("forkd.toml", "listen = [\"*:80\", \"*:81\"]\n");
    EXPECT_THAT(texts(load({"-c", path, "--listen", "127.0.0.1:0"}).config.listen),
                ElementsAre("127.0.0.1:0"));
    EXPECT_THAT(texts(load({"-c", path}).config.listen), ElementsAre("*:80", "*:81"));
}

TEST_F(ConfigLoaderTest, AccumulatesRepeatedListenFlags) {
    const Invocation invocation =
        load({"--listen", "127.0.0.1:0", "--listen=[::1]:0", "--listen", "unix:/tmp/f.sock"});
    EXPECT_THAT(texts(invocation.config.listen),
                ElementsAre("127.0.0.1:0", "[::1]:0", "unix:/tmp/f.sock"));
}

TEST_F(ConfigLoaderTest, RejectsDuplicateListenFlags) {
    EXPECT_EQ(error_of({"--listen", "*:0", "--listen", "0.0.0.0:0"}),
              "--listen: \"0.0.0.0:0\" is listed twice");
}

TEST_F(ConfigLoaderTest, ReadsEveryKindOfFlag) {
    const Invocation invocation =
        load({"--mode", "single", "--max-children", "7", "--client-header-timeout", "250ms",
              "--max-body-size", "8k", "--server-tokens", "off", "--log-level", "warn",
              "--error-log", "/tmp/e.log", "--lingering-timeout", "0"});
    const Config& config = invocation.config;
    EXPECT_EQ(config.mode, Mode::single);
    EXPECT_EQ(config.max_children, 7);
    EXPECT_EQ(config.client_header_timeout, milliseconds(250));
    EXPECT_EQ(config.max_body_size, 8192U);
    EXPECT_FALSE(config.server_tokens);
    EXPECT_EQ(config.log_level, LogLevel::warn);
    EXPECT_EQ(config.error_log, "/tmp/e.log");
    EXPECT_EQ(config.lingering_timeout, milliseconds(0));
}

TEST_F(ConfigLoaderTest, AcceptsOnOffTrueFalseForServerTokens) {
    EXPECT_TRUE(load({"--server-tokens", "on"}).config.server_tokens);
    EXPECT_TRUE(load({"--server-tokens=true"}).config.server_tokens);
    EXPECT_FALSE(load({"--server-tokens", "false"}).config.server_tokens);
    EXPECT_EQ(error_of({"--server-tokens", "maybe"}),
              "--server-tokens: expected on, off, true or false, got \"maybe\"");
}

TEST_F(ConfigLoaderTest, ReadsDemoFlagsAndTheirOverride) {
    const std::string path = write_file("forkd.toml", "[demo]\nsleep_seconds = 3\n");
    const Invocation invocation =
        load({"-c", path, "--demo-sleep-seconds", "2", "--demo-max-sleep-seconds", "5"});
    EXPECT_EQ(invocation.config.demo.sleep_seconds, seconds(2));
    EXPECT_EQ(invocation.config.demo.max_sleep_seconds, 5);
    EXPECT_EQ(load({"--demo-sleep-seconds", "500ms"}).config.demo.sleep_seconds, milliseconds(500));
}

TEST_F(ConfigLoaderTest, RecordsKeysFromFileAndFlagsOnceEach) {
    const std::string path = write_file("forkd.toml", "workers = 3\nbacklog = 9\n");
    const Invocation invocation =
        load({"-c", path, "--workers", "4", "--demo-sleep-seconds", "1", "--listen", "*:0"});
    EXPECT_THAT(invocation.config.keys_set,
                UnorderedElementsAre("workers", "backlog", "demo.sleep_seconds", "listen"));
}

TEST_F(ConfigLoaderTest, NamesTheFlagOfABadValue) {
    EXPECT_EQ(error_of({"--keepalive-timeout", "5x"}),
              "--keepalive-timeout: expected a duration such as 250ms, 5s or 2m, got \"5x\"");
    EXPECT_EQ(error_of({"--workers", "four"}), "--workers: expected an integer, got \"four\"");
    EXPECT_EQ(error_of({"--workers=0"}), "--workers: must be at least 1, got 0");
    EXPECT_EQ(error_of({"--mode", "threaded"}),
              "--mode: expected one of single, fork, prefork or hybrid, got \"threaded\"");
    EXPECT_THAT(error_of({"--listen", "nowhere"}), HasSubstr("--listen: \"nowhere\""));
}

TEST_F(ConfigLoaderTest, NamesAnUnknownFlagAndSuggestsTheClosest) {
    EXPECT_EQ(error_of({"--keepalive-timout", "5"}),
              "unknown flag --keepalive-timout (did you mean --keepalive-timeout?)");
    EXPECT_EQ(error_of({"--colour=blue"}), "unknown flag --colour");
    EXPECT_THAT(error_of({"-x"}), HasSubstr("-x"));
    EXPECT_EQ(error_of({"stray"}), "unexpected argument \"stray\"");
    EXPECT_EQ(error_of({"---"}), "unexpected argument \"---\"");
    EXPECT_EQ(error_of({"--"}), "unexpected argument \"--\"");
    EXPECT_EQ(error_of({"-"}), "unexpected argument \"-\"");
}

TEST_F(ConfigLoaderTest, NamesAFlagMissingItsValue) {
    EXPECT_THAT(error_of({"--workers"}), HasSubstr("--workers"));
}

TEST_F(ConfigLoaderTest, ChecksFlagsOnlyAfterTheFileSoTheFileErrorComesFirst) {
    const std::string path = write_file("bad.toml", "workers = 0\n");
    EXPECT_EQ(error_of({"-c", path, "--workers", "2"}),
              path + ":1: workers: must be at least 1, got 0");
}

TEST_F(ConfigLoaderTest, NamesTheFileAndLineOfAnErrorInIt) {
    const std::string path = write_file("forkd.toml", "\nkeepalive_timeout = \"5x\"\n");
    EXPECT_EQ(error_of({"-c", path}),
              path +
                  ":2: keepalive_timeout: expected a duration such as 250ms, 5s or 2m, "
                  "got \"5x\"");
}

TEST_F(ConfigLoaderTest, NamesAMissingConfigFile) {
    const std::string path = (dir_ / "absent.toml").string();
    EXPECT_EQ(error_of({"-c", path}),
              "cannot read config file " + path + ": No such file or directory");
    EXPECT_EQ(error_of({"-c", dir_.string()}),
              "cannot read config file " + dir_.string() + ": it is a directory");
}

TEST_F(ConfigLoaderTest, SetsTestOnlyForDashT) {
    const std::string path = write_file("forkd.toml", "workers = 3\n");
    const Invocation invocation = load({"-t", "-c", path});
    EXPECT_TRUE(invocation.test_only);
    EXPECT_EQ(invocation.config.workers, 3);
    EXPECT_TRUE(load({"--test-config"}).test_only);
}

TEST_F(ConfigLoaderTest, SetsShowVersionForDashV) {
    EXPECT_TRUE(load({"-v"}).show_version);
    EXPECT_TRUE(load({"--version"}).show_version);
}

TEST_F(ConfigLoaderTest, ReturnsHelpTextListingEveryFlagWithoutPrinting) {
    const Invocation invocation = load({"--help"});
    EXPECT_TRUE(invocation.show_help);
    for (const char* flag : {"-c,--config",
                             "-t,--test-config",
                             "-v,--version",
                             "--mode",
                             "--listen",
                             "--backlog",
                             "--max-children",
                             "--workers",
                             "--client-header-timeout",
                             "--client-body-timeout",
                             "--keepalive-timeout",
                             "--keepalive-requests",
                             "--send-timeout",
                             "--lingering-timeout",
                             "--graceful-timeout",
                             "--max-request-line",
                             "--max-header-size",
                             "--max-body-size",
                             "--error-log",
                             "--log-level",
                             "--access-log",
                             "--server-tokens",
                             "--pid-file",
                             "--user",
                             "--demo-sleep-seconds",
                             "--demo-max-sleep-seconds"}) {
        EXPECT_THAT(invocation.help_text, HasSubstr(flag));
    }
    EXPECT_THAT(invocation.help_text, HasSubstr("[default: 5s]"));
    EXPECT_THAT(invocation.help_text, HasSubstr("(hybrid only)"));
    EXPECT_THAT(invocation.help_text, HasSubstr("(prefork, hybrid only)"));
    EXPECT_TRUE(load({"-h"}).show_help);
}

TEST_F(ConfigLoaderTest, RemembersWhereEachKeyWasSetForLaterErrors) {
    const std::string path = write_file("forkd.toml", "workers = 3\n\nuser = \"www\"\n");
    const Config file_only = load({"-c", path}).config;
    EXPECT_EQ(where(file_only, "user"), path + ":3: user");
    EXPECT_EQ(where(file_only, "group"), "group");  // not given
    EXPECT_EQ(where(load({"-c", path, "--user", "web"}).config, "user"), "--user");
}

TEST_F(ConfigLoaderTest, RefusesAGroupWithoutAUser) {
    const std::string path = write_file("forkd.toml", "\ngroup = \"www\"\n");
    EXPECT_EQ(error_of({"-c", path}), path + ":2: group: needs user");
    EXPECT_EQ(error_of({"--group", "www"}), "--group: needs user");
    EXPECT_EQ(load({"--group", "www", "--user", "www"}).config.group, "www");
}

}  // namespace
}  // namespace forkd::config
