// Turns defaults, an optional TOML file and command-line flags into a Config.
//
// This is the only module that includes toml++ and CLI11. Every error names the key and the
// line (`forkd.toml:12: keepalive_timeout: expected a duration such as 250ms, 5s or 2m`) or
// the flag (`--keepalive-timeout: ...`). Unknown keys are errors, never ignored.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace forkd::config {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// What the command line asked for besides the configuration itself.
struct Invocation {
    Config config;
    std::string config_path;    // -c/--config, empty when none
    bool test_only = false;     // -t: check the configuration and exit
    bool show_version = false;  // -v/--version
    std::string signal;         // -s: reload, reopen, stop or quit; empty when not given
    bool show_help = false;     // -h/--help: `help_text` holds the text to print
    std::string help_text;
};

// Parses argv (flags may appear in any order; --listen may repeat and replaces the file's
// list). Throws ConfigError with a one-line message for any mistake.
Invocation load_config(int argc, const char* const* argv);

// Parses a TOML document as if it were a file called `source_name`; flags are not read.
// For tests and for `load_config`.
Config parse_config_text(std::string_view toml_text, const std::string& source_name);

// Where `key` was set, as the loader's errors name it: "forkd.toml:12: user" for the file,
// "--user" for a flag, the key alone when neither gave it. For problems found after loading
// (a user name that does not exist).
std::string where(const Config& config, const std::string& key);

// "250ms", "5s", "2m", "1h", "10" (seconds). std::nullopt when malformed.
std::optional<Duration> parse_duration(std::string_view text);
// "8k", "1m", "1g", "512" (bytes), case-insensitive. std::nullopt when malformed.
std::optional<std::size_t> parse_size(std::string_view text);
// One `listen` entry, options included ("127.0.0.1:8080 proxy_protocol"); throws ConfigError
// (message without location) when malformed.
ListenAddress parse_listen_address(std::string_view entry);

std::string_view to_string(Mode mode);
std::string_view to_string(Pm pm);

}  // namespace forkd::config
