#include "base/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

namespace forkd::log {
namespace {

std::string g_path;
Level g_level = Level::info;
std::string g_role = "main";

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
    if (g_path.empty()) {
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
    logger->set_pattern("%Y/%m/%d %H:%M:%S [%l] [" + g_role + " %P] %v");
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace

void open(const std::string& path, Level level) {
    g_path = path;
    g_level = level;
    try {
        install();
    } catch (const spdlog::spdlog_ex& e) {
        throw std::runtime_error("cannot open error_log " + path + ": " + e.what());
    }
}

void reopen() {
    try {
        install();
    } catch (const spdlog::spdlog_ex& e) {
        spdlog::error("cannot reopen error_log {}: {}", g_path, e.what());
    }
}

void set_role(const std::string& role) {
    g_role = role;
    spdlog::default_logger()->set_pattern("%Y/%m/%d %H:%M:%S [%l] [" + g_role + " %P] %v");
}

}  // namespace forkd::log
