// Converting, range-checking and storing one setting's value, the same way for a TOML value
// and a flag, so the two sources accept exactly the same things and say the same errors.
#include <algorithm>
#include <limits>

#include "config/config_loader.hpp"
#include "config/settings.hpp"
#include "config/value_syntax.hpp"

namespace forkd::config {
namespace {

// Appends rather than `"\"" + std::string(text)`, which trips g++-12's -Wrestrict at -O3.
std::string quoted(std::string_view text) {
    std::string result;
    result.reserve(text.size() + 2);
    result.append(1, '"').append(text).append(1, '"');
    return result;
}

[[noreturn]] void expected_but_got(const Setting& setting, std::string_view text) {
    throw ConfigError("expected " + expectation(setting) + ", got " + quoted(text));
}

void check_integer_range(const Setting& setting, std::int64_t value) {
    if (value < setting.min) {
        throw ConfigError("must be at least " + std::to_string(setting.min) + ", got " +
                          std::to_string(value));
    }
    constexpr auto kMax = std::numeric_limits<int>::max();
    if (value > kMax) {
        throw ConfigError("must be at most " + std::to_string(kMax) + ", got " +
                          std::to_string(value));
    }
}

// Durations and sizes: the only minimums in the table are 0 and "more than 0".
void check_not_below(const Setting& setting, std::int64_t value, const std::string& shown) {
    if (value >= setting.min) return;
    throw ConfigError(setting.min == 1 ? "must be greater than 0, got " + shown
                                       : "must be at least " + std::to_string(setting.min));
}

// Edit distance between two short strings (the classic two-row dynamic programme).
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t replace = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, replace});
        }
        std::swap(previous, current);
    }
    return previous[b.size()];
}

}  // namespace

std::string expectation(const Setting& setting) {
    switch (setting.kind) {
        case Kind::duration:
            return "a duration such as 250ms, 5s or 2m";
        case Kind::size:
            return "a size such as 512, 8k or 1m";
        case Kind::integer:
            return "an integer";
        case Kind::boolean:
            return "on, off, true or false";
        case Kind::text:
            return "a string";
        case Kind::text_list:
            return "an array of strings";
        case Kind::choice:
            break;
    }
    std::string list;
    for (const auto& choice : setting.choices) {
        if (!list.empty()) list += choice == setting.choices.back() ? " or " : ", ";
        list += choice;
    }
    return "one of " + list;
}

Value value_from_text(const Setting& setting, std::string_view text) {
    switch (setting.kind) {
        case Kind::duration:
            if (const auto duration = parse_duration(text)) return *duration;
            break;
        case Kind::size:
            if (const auto size = parse_size(text)) return *size;
            break;
        case Kind::integer:
            if (const auto integer = parse_integer(text)) return *integer;
            break;
        case Kind::boolean:
            if (const auto on = parse_switch(text)) return *on;
            break;
        case Kind::text:
            return std::string(text);
        case Kind::text_list:
            return std::vector<std::string>{std::string(text)};
        case Kind::choice:
            if (std::ranges::find(setting.choices, text) != setting.choices.end()) {
                return std::string(text);
            }
            break;
    }
    expected_but_got(setting, text);
}

void assign(Config& config, const Setting& setting, const Value& value) {
    if (setting.kind == Kind::integer) {
        check_integer_range(setting, std::get<std::int64_t>(value));
    } else if (setting.kind == Kind::duration) {
        const Duration duration = std::get<Duration>(value);
        check_not_below(setting, duration.count(), quoted(format_duration(duration)));
    } else if (setting.kind == Kind::size) {
        const std::size_t size = std::get<std::size_t>(value);
        // Sizes above INT64_MAX pass: the minimum is tiny and the comparison must not wrap.
        if (size < static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())) {
            check_not_below(setting, static_cast<std::int64_t>(size), quoted(format_size(size)));
        }
    }
    setting.store(config, value);
    if (std::ranges::find(config.keys_set, setting.name) == config.keys_set.end()) {
        config.keys_set.push_back(setting.name);
    }
}

std::string suggest_setting(std::string_view name) {
    // A bare key that exists in a table ("sleep_seconds") is a table mistake, not a typo.
    // So is a top-level key written inside a table ("demo.workers"): compare the bare keys too.
    const std::string_view bare = name.substr(name.rfind('.') + 1);  // npos + 1 == 0
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, name.size() / 4) + 1;
    for (const auto& setting : settings()) {
        const std::size_t d = std::min(distance(name, setting.name), distance(bare, setting.key()));
        if (d < best_distance) {
            best = setting.name;
            best_distance = d;
        }
    }
    return best;
}

}  // namespace forkd::config
