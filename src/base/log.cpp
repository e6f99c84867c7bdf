#include "base/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace forkd::log {
namespace {

std::string g_path;
std::shared_ptr<spdlog::sinks::sink> g_sink;  // instead of g_path, when set
Level g_level = Level::info;
// The role in place, not a std::string: a fork-mode child names itself for every
// connection, and a label past 15 characters would be allocated.
std::array<char, 64> g_role{'m', 'a', 'i', 'n'};
std::size_t g_role_size = 4;

// `%*` in the pattern prints the process's role. A flag rather than text baked into the
// pattern, so that a forked child names itself by assigning a string: rebuilding the
// pattern formatter cost every fork-mode connection a few microseconds.
class RoleFlag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg&, const std::tm&,
                spdlog::memory_buf_t& out) override {
        out.append(g_role.data(), g_role.data() + g_role_size);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<RoleFlag>();
    }
};

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::debug:
            return spdlog::level::debug;
        case Level::info:
            return spdlog::level::info;
        case Level::warn:
            return spdlog::level::warn;
        case Level::error:
            return spdlog::level::err;
    }
    return spdlog::level::info;
}

void install() {
    std::shared_ptr<spdlog::logger> logger;
    if (g_sink) {
        // Reopening keeps it: a socket has nothing to reopen.
        logger = std::make_shared<spdlog::logger>("forkd", g_sink);
    } else if (g_path.empty()) {
        logger = std::make_shared<spdlog::logger>(
            "forkd", std::make_shared<spdlog::sinks::stderr_sink_st>());
    } else {
        // basic_file_sink opens with "ab" (O_APPEND); flushing after every line makes each
        // line one write(2), whole even when several processes append to the same file.
        logger = std::make_shared<spdlog::logger>(
            "forkd", std::make_shared<spdlog::sinks::basic_file_sink_st>(g_path, false));
    }
    logger->set_level(to_spdlog(g_level));
    logger->flush_on(spdlog::level::trace);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<RoleFlag>('*').set_pattern("%Y/%m/%d %H:%M:%S [%l] [%* %P] %v");
    logger->set_formatter(std::move(formatter));
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace

void open(const std::string& path, Level level) {
    g_path = path;
    g_sink.reset();
    g_level = level;
    try {
        install();
    } catch (const spdlog::spdlog_ex& e) {
        throw std::runtime_error("cannot open error_log " + path + ": " + e.what());
    }
}

void open(std::shared_ptr<spdlog::sinks::sink> sink, Level level) {
    g_path.clear();
    g_sink = std::move(sink);
    g_level = level;
    install();
}

void reopen() {
    try {
        install();
    } catch (const spdlog::spdlog_ex& e) {
        spdlog::error("cannot reopen error_log {}: {}", g_path, e.what());
    }
}

void set_role(std::string_view role) {
    g_role_size = std::min(role.size(), g_role.size());
    std::copy_n(role.data(), g_role_size, g_role.data());
}

std::string_view role() {
    return {g_role.data(), g_role_size};
}

}  // namespace forkd::log
