// The text forms of configuration values, shared by the TOML reader and the flags: parsing
// the strict forms ("250ms", "8k", "on") and printing defaults back in the same forms, so a
// default shown in --help can be pasted into a file. No toml++ or CLI11 here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace forkd::config {

// Whole-string decimal integer, optional leading '-'; std::nullopt on garbage or overflow.
std::optional<std::int64_t> parse_integer(std::string_view text);
// "on", "off", "true", "false" (lower case); std::nullopt otherwise.
std::optional<bool> parse_switch(std::string_view text);

// The shortest exact form: 10000ms -> "10s", 120000ms -> "2m", 250ms -> "250ms".
std::string format_duration(Duration duration);
// The shortest exact form: 8192 -> "8k", 1048576 -> "1m", 1000 -> "1000".
std::string format_size(std::size_t bytes);

std::string_view to_string(LogLevel level);

}  // namespace forkd::config
