// The one table of settings. Each row names a key, its kind, its default (read from a
// default-constructed Config), where it goes in Config, the modes it applies to and one line
// of help. The TOML reader and the command-line flags are both generated from it, so a key
// and its flag cannot drift apart: key `a_b` is flag `--a-b`; key `a_b` of table [t] is
// `t.a_b` here and flag `--t-a-b`.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace forkd::config {

// `listen` when neither the file nor the flags give one.
inline constexpr std::string_view kDefaultListen = "127.0.0.1:9933";

enum class Kind { duration, size, integer, boolean, text, text_list, choice };

// A converted value, before range checks. One alternative per Kind: duration -> Duration,
// size -> size_t, integer -> int64_t, boolean -> bool, text and choice -> string,
// text_list -> vector<string>.
using Value =
    std::variant<Duration, std::size_t, std::int64_t, bool, std::string, std::vector<std::string>>;

// Modes as bits, so a row can say "fork and prefork".
enum ModeBits : unsigned {
    kSingle = 1U << 0,
    kFork = 1U << 1,
    kPrefork = 1U << 2,
    kHybrid = 1U << 3,
    kAllModes = kSingle | kFork | kPrefork | kHybrid,
};

struct Setting {
    std::string name;  // as in TOML: "workers", "demo.sleep_seconds"
    Kind kind = Kind::text;
    unsigned modes = kAllModes;
    std::string help;
    // Smallest accepted value: integers as is, durations in milliseconds, sizes in bytes.
    std::int64_t min = 0;
    std::vector<std::string> choices;  // Kind::choice only
    // Stores a range-checked value; may throw ConfigError (e.g. a bad listen entry).
    std::function<void(Config&, const Value&)> store;
    // The current value in the text form a user would write ("10s"); empty when none.
    std::function<std::string(const Config&)> show;

    std::string_view table() const;  // "" for top-level keys
    std::string_view key() const;    // the name without its table
    std::string flag() const;        // "--keepalive-timeout", "--demo-sleep-seconds"
};

std::span<const Setting> settings();
// The row named `name` (TOML name), or nullptr.
const Setting* find_setting(std::string_view name);
// True when `name` is a table that holds settings ("demo").
bool is_settings_table(std::string_view name);
// The closest known setting name to a mistyped one, or "" when none is close.
std::string suggest_setting(std::string_view name);
// Whether a setting (TOML name) has any effect in `mode`; unknown names apply to none.
bool applies_to(std::string_view name, Mode mode);

// Converts the text of a flag or a TOML string into the row's Value. Throws ConfigError
// (without location) such as `expected a duration such as 250ms, 5s or 2m, got "5x"`.
Value value_from_text(const Setting& setting, std::string_view text);
// Checks the row's range, stores the value and records the name in config.keys_set. Throws
// ConfigError (without location).
void assign(Config& config, const Setting& setting, const Value& value);
// "a duration such as 250ms, 5s or 2m": what an error says was expected.
std::string expectation(const Setting& setting);

}  // namespace forkd::config
