// The command-line side of the settings table (the only file that includes CLI11) and the
// order of precedence: defaults, then the file named by -c, then the flags.
#include "config/config_loader.hpp"

#include "config/allowed_network.hpp"

// CLI11 2.1's detail::split trips g++-12's -Wnull-dereference at -O2 (a false positive in
// inlined std::string code). It is CLI11's code, not ours, so silence it for that header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "config/settings.hpp"
#include "config/toml_reader.hpp"
#include "config/value_syntax.hpp"

namespace forkd::config {
namespace {

// What each settings flag received, in the table's order. Values stay text until the file
// has been read, because flags must win over it.
using FlagValues = std::vector<std::vector<std::string>>;

std::string type_name(const Setting& setting) {
    switch (setting.kind) {
        case Kind::duration:
            return "DURATION";
        case Kind::size:
            return "SIZE";
        case Kind::integer:
            return "INT";
        case Kind::boolean:
            return "on|off";
        case Kind::text:
            return "TEXT";
        case Kind::text_list:
            return setting.name == "listen" || setting.name == "status_allow" ||
                           setting.name == "trusted_proxies"
                       ? "ADDR"
                       : "TEXT";
        case Kind::choice:
            break;
    }
    std::string names;
    for (const auto& choice : setting.choices)
        names += (names.empty() ? "" : "|") + choice;
    return names;
}

std::string help_line(const Setting& setting, const Config& defaults) {
    std::string line = setting.help;
    const std::string shown = setting.show(defaults);
    if (!shown.empty()) line += " [default: " + shown + "]";
    if (setting.modes != kAllModes) {
        std::string modes;
        for (const Mode mode : {Mode::single, Mode::fork, Mode::prefork, Mode::hybrid}) {
            if (!applies_to(setting.name, mode)) continue;
            modes += (modes.empty() ? "" : ", ") + std::string(to_string(mode));
        }
        line += " (" + modes + " only)";
    }
    return line;
}

// Every flag takes exactly one argument per occurrence, except that an on|off flag alone
// means on (`--php`); all occurrences are kept (--listen accumulates, the others use the
// last).
void add_setting_flags(CLI::App& app, FlagValues& values) {
    const Config defaults;
    const auto all = settings();
    values.resize(all.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        const Setting& setting = all[i];
        app.add_option(setting.flag(), values[i], help_line(setting, defaults))
            ->type_name(type_name(setting))
            ->expected(setting.kind == Kind::boolean ? 0 : 1, 1)
            ->allow_extra_args(false)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->group(setting.table().empty() ? "Settings"
                                            : "Settings of [" + std::string(setting.table()) + "]");
    }
}

// CLI11 is told to keep unknown arguments so that the error can name the flag and suggest
// the one that was probably meant.
void reject_extras(const std::vector<std::string>& extras) {
    if (extras.empty()) return;
    const std::string& first = extras.front();
    if (!first.starts_with("-")) throw ConfigError("unexpected argument \"" + first + "\"");
    const std::string flag = first.substr(0, first.find('='));
    const auto name_start = flag.find_first_not_of('-');
    // "-", "---": dashes only (found by fuzz/config_flags, which saw substr(npos) throw).
    if (name_start == std::string::npos) throw ConfigError("unexpected argument \"" + first + "\"");
    std::string message = "unknown flag " + flag;
    std::string name = flag.substr(name_start);
    std::ranges::replace(name, '-', '_');
    if (const Setting* near = find_setting(suggest_setting(name))) {
        message += " (did you mean " + near->flag() + "?)";
    }
    throw ConfigError(message);
}

void apply_flags(Config& config, const FlagValues& values) {
    const auto all = settings();
    for (std::size_t i = 0; i < all.size(); ++i) {
        const Setting& setting = all[i];
        if (values[i].empty()) continue;
        try {
            if (setting.kind == Kind::text_list) {
                assign(config, setting, values[i]);  // replaces the file's list
            } else {
                const std::string& given = values[i].back();
                bool alone = setting.kind == Kind::boolean && given.empty();
                assign(config, setting, value_from_text(setting, alone ? "on" : given));
            }
            config.origins[setting.name] = setting.flag();
        } catch (const ConfigError& error) {
            throw ConfigError(setting.flag() + ": " + error.what());
        }
    }
}

std::string read_file(const std::string& path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        throw ConfigError("cannot read config file " + path + ": it is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError("cannot read config file " + path + ": read failed");
    return std::move(text).str();
}

// So that `forkd -t` catches a document root that cannot be served (the server opens it
// again at start-up, when it may still have gone).
void check_document_root(const Config& config) {
    if (!config.locations.empty() && config.root.empty()) {
        throw ConfigError("locations: needs a root");
    }
    std::error_code error;
    if (!config.root.empty() && !std::filesystem::is_directory(config.root, error)) {
        throw ConfigError("root: " + config.root + " is not a directory");
    }
}

// So that `forkd -t` catches CGI directories and interpreters that could never run.
void check_cgi(const Config& config) {
    std::error_code error;
    for (const std::string& entry : config.cgi) {
        std::string directory = entry.substr(entry.find('=') + 1);
        if (!std::filesystem::is_directory(directory, error)) {
            throw ConfigError(where(config, "cgi") + ": " + directory + " is not a directory");
        }
    }
    for (const std::string& entry : config.cgi_interpreters) {
        std::string interpreter = entry.substr(entry.find('=') + 1);
        if (!std::filesystem::is_regular_file(interpreter, error) ||
            ::access(interpreter.c_str(), X_OK) != 0) {
            throw ConfigError(where(config, "cgi_interpreters") + ": " + interpreter +
                              " is not an executable file");
        }
    }
    for (const std::string& entry : config.fastcgi) {
        std::string extension = entry.substr(0, entry.find('='));
        for (const std::string& interpreted : config.cgi_interpreters) {
            if (interpreted.substr(0, interpreted.find('=')) == extension) {
                throw ConfigError(where(config, "fastcgi") + ": " + extension +
                                  " is also in cgi_interpreters: give it one of the two");
            }
        }
    }
    for (const std::string& entry : config.fastcgi) {
        std::string address = entry.substr(entry.find('=') + 1);
        if (!address.starts_with("spawn:")) continue;
        std::string program = address.substr(6);
        if (!std::filesystem::is_regular_file(program, error) ||
            ::access(program.c_str(), X_OK) != 0) {
            throw ConfigError(where(config, "fastcgi") + ": " + program +
                              " is not an executable file");
        }
        for (const std::string& variable : config.cgi_env) {
            if (variable.starts_with("PHP_FCGI_CHILDREN=")) {
                throw ConfigError(where(config, "cgi_env") +
                                  ": PHP_FCGI_CHILDREN: forkd's pool is the php-cgi processes "
                                  "(workers, pm); leave it out");
            }
        }
        if (config.mode == Mode::single || config.mode == Mode::fork) {
            throw ConfigError(where(config, "fastcgi") +
                              ": spawn: forkd's pool runs the application, so it needs mode "
                              "prefork or hybrid (mode is " +
                              std::string(config.mode == Mode::single ? "single" : "fork") + ")");
        }
    }
    if (!config.fastcgi.empty() && config.root.empty() && config.cgi.empty()) {
        throw ConfigError(where(config, "fastcgi") + ": needs a root or a cgi directory");
    }
    if (!config.cgi_interpreters.empty() && config.root.empty() && config.cgi.empty()) {
        throw ConfigError(where(config, "cgi_interpreters") + ": needs a root or a cgi directory");
    }
}

// `php = true`: php-cgi from PATH for *.php, spawned by forkd, and index.php as an index.
void add_php(Config& config) {
    if (!config.php) return;
    if (config.root.empty()) throw ConfigError(where(config, "php") + ": needs a root");
    if (config.mode == Mode::single || config.mode == Mode::fork) {
        throw ConfigError(where(config, "php") +
                          ": forkd's pool runs php-cgi, so it needs mode prefork or hybrid");
    }
    for (const std::vector<std::string>* given : {&config.fastcgi, &config.cgi_interpreters}) {
        for (const std::string& entry : *given) {
            if (entry.starts_with(".php=")) {
                throw ConfigError(where(config, "php") +
                                  ": .php is already given to fastcgi or cgi_interpreters: "
                                  "keep one of the two");
            }
        }
    }
    std::string found;
    const char* path = std::getenv("PATH");
    std::string directories = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t start = 0; found.empty() && start <= directories.size();) {
        std::size_t end = directories.find(':', start);
        if (end == std::string::npos) end = directories.size();
        std::string candidate = directories.substr(start, end - start) + "/php-cgi";
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) found = candidate;
        start = end + 1;
    }
    if (found.empty()) {
        throw ConfigError(where(config, "php") +
                          ": no php-cgi on PATH (Debian: apt install php8.2-cgi)");
    }
    config.fastcgi.push_back(".php=spawn:" + found);
    if (std::ranges::find(config.index, "index.php") == config.index.end())
        config.index.push_back("index.php");
}

// The defaults that depend on what was given rather than on the struct.
void finish(Config& config) {
    add_php(config);
    if (config.listen.empty()) config.listen.push_back(parse_listen_address(kDefaultListen));
    if (config.access_log == "off") config.access_log.clear();  // nginx's spelling
    if (config.error_log == "stderr") config.error_log.clear();
    check_document_root(config);
    check_cgi(config);
    if (!config.group.empty() && config.user.empty()) {
        throw ConfigError(where(config, "group") + ": needs user");
    }
    for (std::string_view key : {"status_allow", "trusted_proxies"}) {
        const auto& entries = key == "status_allow" ? config.status_allow : config.trusted_proxies;
        if (auto problem = check_networks(entries, key)) {
            // The problem names the key; the location goes before it, as for every other key.
            std::string_view detail = *problem;
            detail.remove_prefix(key.size());
            throw ConfigError(where(config, std::string(key)) + std::string(detail));
        }
    }
    // An idle connection costs an io worker a few hundred bytes, not a process: hybrid mode
    // keeps them longer unless told otherwise.
    if (config.mode == Mode::hybrid && !was_set(config, "keepalive_timeout")) {
        config.keepalive_timeout = std::chrono::seconds(60);
    }
}

}  // namespace

Invocation load_config(int argc, const char* const* argv) {
    Invocation invocation;
    // A program built on the library is named as it was called; its server is still forkd.
    std::string program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "";
    if (program.empty()) program = "forkd";
    CLI::App app{program == "forkd" ? "forkd: a multi-process HTTP/1.1 server"
                                    : program + ": an HTTP/1.1 server built on forkd",
                 program};
    app.allow_extras();
    app.add_option("-c,--config", invocation.config_path, "Read settings from a TOML file")
        ->type_name("FILE")
        ->group("General");
    app.add_flag("-t,--test-config", invocation.test_only, "Check the configuration and exit")
        ->group("General");
    app.add_flag("-v,--version", invocation.show_version, "Print the version and exit")
        ->group("General");
    app.add_option("-s,--signal", invocation.signal,
                   "Signal the running master named by pid_file and exit, as nginx -s")
        ->type_name("reload|reopen|stop|quit")
        ->check(CLI::IsMember({"reload", "reopen", "stop", "quit"}))
        ->group("General");
    app.set_help_flag("-h,--help", "Print this help and exit")->group("General");
    FlagValues values;
    add_setting_flags(app, values);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        invocation.show_help = true;
        invocation.help_text = app.help();
        return invocation;
    } catch (const CLI::ParseError& error) {
        throw ConfigError(error.what());
    }
    reject_extras(app.remaining());
    if (invocation.show_version) return invocation;

    if (!invocation.config_path.empty()) {
        read_toml(invocation.config, read_file(invocation.config_path), invocation.config_path);
    }
    apply_flags(invocation.config, values);
    finish(invocation.config);
    return invocation;
}

std::string where(const Config& config, const std::string& key) {
    const auto origin = config.origins.find(key);
    if (origin == config.origins.end()) return key;
    if (origin->second.starts_with("--")) return origin->second;
    return origin->second + ": " + key;
}

Config parse_config_text(std::string_view toml_text, const std::string& source_name) {
    Config config;
    read_toml(config, toml_text, source_name);
    finish(config);
    return config;
}

}  // namespace forkd::config
