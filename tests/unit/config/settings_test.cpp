// The settings table: the flag rule, mode applicability and suggestions.
#include "config/settings.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "config/config_loader.hpp"

namespace forkd::config {
namespace {

TEST(Settings, DeriveEachFlagFromItsKeyAndTable) {
    EXPECT_EQ(find_setting("keepalive_timeout")->flag(), "--keepalive-timeout");
    EXPECT_EQ(find_setting("demo.sleep_seconds")->flag(), "--demo-sleep-seconds");
    EXPECT_EQ(find_setting("demo.sleep_seconds")->table(), "demo");
    EXPECT_EQ(find_setting("demo.sleep_seconds")->key(), "sleep_seconds");
    EXPECT_EQ(find_setting("mode")->table(), "");
}

TEST(Settings, ListEveryKeyOfTheConfigOnce) {
    std::vector<std::string> names;
    for (const auto& setting : settings())
        names.push_back(setting.name);
    const std::vector<std::string> expected = {"mode",
                                               "listen",
                                               "backlog",
                                               "reuse_port",
                                               "max_children",
                                               "workers",
                                               "pm",
                                               "max_workers",
                                               "min_spare",
                                               "max_spare",
                                               "idle_timeout",
                                               "max_requests",
                                               "max_requests_jitter",
                                               "max_rss",
                                               "pool_memory_limit",
                                               "request_timeout",
                                               "slow_request_log",
                                               "status_path",
                                               "metrics_path",
                                               "status_allow",
                                               "trusted_proxies",
                                               "test_routes",
                                               "io_workers",
                                               "worker_connections",
                                               "queue_size",
                                               "queue_timeout",
                                               "body_buffer_size",
                                               "body_temp_path",
                                               "health_path",
                                               "client_header_timeout",
                                               "client_body_timeout",
                                               "keepalive_timeout",
                                               "keepalive_requests",
                                               "send_timeout",
                                               "lingering_timeout",
                                               "graceful_timeout",
                                               "shutdown_delay",
                                               "max_request_line",
                                               "max_header_size",
                                               "max_body_size",
                                               "error_log",
                                               "journal_socket",
                                               "log_level",
                                               "access_log",
                                               "access_log_format",
                                               "server_tokens",
                                               "pid_file",
                                               "user",
                                               "group",
                                               "core_dumps",
                                               "root",
                                               "index",
                                               "autoindex",
                                               "symlinks",
                                               "default_type",
                                               "dotfiles",
                                               "precompressed",
                                               "open_file_cache",
                                               "open_file_cache_valid",
                                               "locations",
                                               "demo_routes",
                                               "cgi",
                                               "cgi_interpreters",
                                               "cgi_env",
                                               "fastcgi",
                                               "php",
                                               "fastcgi_keep_conn",
                                               "cgi_timeout",
                                               "cgi_idle_timeout",
                                               "cgi_kill_grace",
                                               "cgi_stderr_limit",
                                               "cgi_pass_authorization",
                                               "cgi_limit_cpu",
                                               "cgi_limit_memory",
                                               "cgi_limit_processes",
                                               "cgi_limit_files",
                                               "demo.sleep_seconds",
                                               "demo.max_sleep_seconds"};
    EXPECT_EQ(names, expected);
}

TEST(Settings, GiveEveryRowHelpAndADefaultPrinter) {
    const Config defaults;
    for (const auto& setting : settings()) {
        EXPECT_FALSE(setting.help.empty()) << setting.name;
        EXPECT_TRUE(setting.store) << setting.name;
        EXPECT_TRUE(setting.show) << setting.name;
    }
    EXPECT_EQ(find_setting("keepalive_timeout")->show(defaults), "5s");
    EXPECT_EQ(find_setting("max_header_size")->show(defaults), "32k");
    EXPECT_EQ(find_setting("server_tokens")->show(defaults), "on");
    EXPECT_EQ(find_setting("mode")->show(defaults), "hybrid");
}

TEST(Settings, SayWhichModesEachKeyAppliesTo) {
    EXPECT_TRUE(applies_to("workers", Mode::prefork));
    EXPECT_FALSE(applies_to("workers", Mode::fork));
    EXPECT_FALSE(applies_to("workers", Mode::single));
    EXPECT_TRUE(applies_to("max_children", Mode::fork));
    EXPECT_FALSE(applies_to("max_children", Mode::prefork));
    EXPECT_TRUE(applies_to("max_requests", Mode::hybrid));
    EXPECT_FALSE(applies_to("max_requests", Mode::fork));  // one connection per child
    EXPECT_FALSE(applies_to("graceful_timeout", Mode::single));
    EXPECT_TRUE(applies_to("keepalive_timeout", Mode::single));
    EXPECT_TRUE(applies_to("demo.sleep_seconds", Mode::fork));
    EXPECT_FALSE(applies_to("no_such_key", Mode::fork));
}

TEST(Settings, KnowDemoAsTheOnlyTable) {
    EXPECT_TRUE(is_settings_table("demo"));
    EXPECT_FALSE(is_settings_table("static"));
    EXPECT_FALSE(is_settings_table(""));
}

TEST(Settings, SuggestTheClosestNameOrNothing) {
    EXPECT_EQ(suggest_setting("keepalive_timout"), "keepalive_timeout");
    EXPECT_EQ(suggest_setting("worker"), "workers");
    EXPECT_EQ(suggest_setting("demo_sleep_seconds"), "demo.sleep_seconds");
    EXPECT_EQ(suggest_setting("colour"), "");
}

TEST(StaticFileSettings, ReadEveryKeyFromToml) {
    const std::string root = std::filesystem::temp_directory_path().string();
    const Config config = parse_config_text("root = \"" + root +
                                                "\"\n"
                                                "index = [\"a.html\", \"b.html\"]\n"
                                                "autoindex = true\n"
                                                "symlinks = \"owner\"\n"
                                                "default_type = \"text/plain\"\n"
                                                "dotfiles = \"allow\"\n"
                                                "precompressed = false\n"
                                                "open_file_cache = 50\n"
                                                "open_file_cache_valid = \"250ms\"\n"
                                                "locations = [\"/a/=/srv/a\"]\n",
                                            "forkd.toml");
    EXPECT_EQ(config.root, root);
    EXPECT_EQ(config.index, (std::vector<std::string>{"a.html", "b.html"}));
    EXPECT_TRUE(config.autoindex);
    EXPECT_EQ(config.symlinks, Symlinks::owner);
    EXPECT_EQ(config.default_type, "text/plain");
    EXPECT_TRUE(config.dotfiles);
    EXPECT_FALSE(config.precompressed);
    EXPECT_EQ(config.open_file_cache, 50);
    EXPECT_EQ(config.open_file_cache_valid, std::chrono::milliseconds(250));
    EXPECT_EQ(config.locations, (std::vector<std::string>{"/a/=/srv/a"}));
}

TEST(StaticFileSettings, TakeTheOpenFileCacheFromFlagsAndRefuseNonsense) {
    const Config defaults;
    EXPECT_EQ(find_setting("open_file_cache")->show(defaults), "1000");
    EXPECT_EQ(find_setting("open_file_cache_valid")->show(defaults), "5s");
    const char* argv[] = {"forkd", "--open-file-cache", "0", "--open-file-cache-valid", "2m"};
    const Config config = load_config(5, argv).config;
    EXPECT_EQ(config.open_file_cache, 0);
    EXPECT_EQ(config.open_file_cache_valid, std::chrono::minutes(2));
    EXPECT_THROW(parse_config_text("open_file_cache = -1\n", "forkd.toml"), ConfigError);
    EXPECT_THROW(parse_config_text("open_file_cache_valid = \"0s\"\n", "forkd.toml"), ConfigError);
}

TEST(StaticFileSettings, ServeTheDemoOnlyWithoutARootUnlessTold) {
    Config config;
    EXPECT_TRUE(wants_demo_routes(config));
    config.root = "/srv/www";
    EXPECT_FALSE(wants_demo_routes(config));
    config.demo_routes = true;
    EXPECT_TRUE(wants_demo_routes(config));
}

TEST(StaticFileSettings, RefuseAMissingRootAndMalformedLocations) {
    EXPECT_THROW(parse_config_text("root = \"/no/such/dir\"\n", "forkd.toml"), ConfigError);
    EXPECT_THROW(parse_config_text("locations = [\"/a/=/srv/a\"]\n", "forkd.toml"), ConfigError);
    EXPECT_THROW(parse_config_text("root = \"/tmp\"\nlocations = [\"nodir\"]\n", "forkd.toml"),
                 ConfigError);
}

}  // namespace
}  // namespace forkd::config
