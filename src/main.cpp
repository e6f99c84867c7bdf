// forkd: parse the configuration, open the logs and the listeners, build the application,
// and hand over to the mode. Every startup failure is one clear line and exit code 1.
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "base/log.hpp"
#include "config/config_loader.hpp"
#include "config/settings.hpp"
#include "handlers/demo.hpp"
#include "master/server.hpp"
#include "os/process_title.hpp"
#include "os/signals.hpp"

namespace {

using namespace forkd;

log::Level to_log_level(config::LogLevel level) {
    switch (level) {
        case config::LogLevel::debug:
            return log::Level::debug;
        case config::LogLevel::info:
            return log::Level::info;
        case config::LogLevel::warn:
            return log::Level::warn;
        case config::LogLevel::error:
            return log::Level::error;
    }
    return log::Level::info;
}

// Settings the user gave that the chosen mode does not use are named, never silently ignored.
void warn_about_unused_settings(const config::Config& config) {
    for (const std::string& key : config.keys_set) {
        if (!config::applies_to(key, config.mode)) {
            log::warn("{} does not apply to mode {}; it is ignored", key,
                      config::to_string(config.mode));
        }
    }
    if (::geteuid() == 0 && config.user.empty()) {
        log::warn("running as root without a `user` setting: every process keeps root rights");
    }
}

int start(int argc, char** argv) {
    os::init_process_title(argc, argv);
    config::Invocation invocation = config::load_config(argc, argv);
    if (invocation.show_help) {
        std::fputs(invocation.help_text.c_str(), stdout);
        return 0;
    }
    if (invocation.show_version) {
        std::puts("forkd 0.1.0");
        return 0;
    }
    master::Server server;
    server.config = std::move(invocation.config);
    const config::Config& config = server.config;
    if (invocation.test_only) {
        std::printf("forkd: the configuration %s is valid\n", invocation.config_path.empty()
                                                                  ? "(defaults and flags)"
                                                                  : invocation.config_path.c_str());
        return 0;
    }
    // Until the master's signalfd reads them, a signal must wait rather than kill or stop us.
    os::block_master_signals();
    log::open(config.error_log, to_log_level(config.log_level));
    warn_about_unused_settings(config);
    if (!config.access_log.empty()) server.access_log = session::AccessLog(config.access_log);
    server.options = session::Options::from(config);
    handlers::add_demo_routes(server.router, config.demo);
    server.listeners = master::open_listeners(config);
    log::info("forkd 0.1.0 serving in {} mode", config::to_string(config.mode));
    return master::run(server);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return start(argc, argv);
    } catch (const config::ConfigError& e) {
        std::fprintf(stderr, "forkd: %s\n", e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "forkd: %s\n", e.what());
    }
    return 1;
}
