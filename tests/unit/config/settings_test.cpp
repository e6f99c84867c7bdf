// The settings table: the flag rule, mode applicability and suggestions.
#include "config/settings.hpp"

#include <gtest/gtest.h>

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
                                               "status_allow",
                                               "test_routes",
                                               "client_header_timeout",
                                               "client_body_timeout",
                                               "keepalive_timeout",
                                               "keepalive_requests",
                                               "send_timeout",
                                               "lingering_timeout",
                                               "graceful_timeout",
                                               "max_request_line",
                                               "max_header_size",
                                               "max_body_size",
                                               "error_log",
                                               "log_level",
                                               "access_log",
                                               "server_tokens",
                                               "pid_file",
                                               "user",
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
    EXPECT_EQ(find_setting("mode")->show(defaults), "fork");
}

TEST(Settings, SayWhichModesEachKeyAppliesTo) {
    EXPECT_TRUE(applies_to("workers", Mode::prefork));
    EXPECT_FALSE(applies_to("workers", Mode::fork));
    EXPECT_FALSE(applies_to("workers", Mode::single));
    EXPECT_TRUE(applies_to("max_children", Mode::fork));
    EXPECT_FALSE(applies_to("max_children", Mode::prefork));
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

}  // namespace
}  // namespace forkd::config
