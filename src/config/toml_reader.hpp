// Reads a TOML document into a Config, row by row of the settings table. Errors name the
// source, the line and the key: `forkd.toml:12: keepalive_timeout: expected a duration ...`.
#pragma once

#include <string>
#include <string_view>

#include "config/config.hpp"

namespace forkd::config {

// Applies every key of `toml_text` to `config` (and records it in config.keys_set). Throws
// ConfigError on a syntax error, an unknown table or key, or a bad value; the keys are
// applied in file order, so the first error reported is the first in the file.
void read_toml(Config& config, std::string_view toml_text, const std::string& source_name);

}  // namespace forkd::config
