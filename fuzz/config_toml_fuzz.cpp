// Fuzz target: a TOML configuration file (config::parse_config_text). Any text either
// becomes a Config or a ConfigError whose message says where: `fuzz.toml:LINE: ...` with a
// line of the document, or `KEY: ...` for a check made after the whole file was read. Any
// other exception, or a crash, is a bug: `forkd -t` would die instead of explaining.
//
// For every key the file set, the value as forkd prints it (the form --help shows) must
// read back to the same value: "a default shown in --help can be pasted into a file".
#include <cstdint>
#include <string>

#include "config/config_loader.hpp"
#include "config/settings.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace forkd::config;

constexpr std::string_view kSource = "fuzz.toml";

bool starts_with_line_number(std::string_view message, std::size_t lines) {
    if (!message.starts_with(kSource) || message.substr(kSource.size(), 1) != ":") return false;
    message.remove_prefix(kSource.size() + 1);
    std::size_t line = 0;
    std::size_t digits = 0;
    for (; digits < message.size() && message[digits] >= '0' && message[digits] <= '9'; ++digits)
        line = line * 10 + static_cast<std::size_t>(message[digits] - '0');
    return digits > 0 && digits < 10 && line >= 1 && line <= lines &&
           message.substr(digits, 1) == ":";
}

bool starts_with_key(std::string_view message) {
    const auto colon = message.find(": ");
    return colon != std::string_view::npos && find_setting(message.substr(0, colon)) != nullptr;
}

// Non-ASCII text is fed too: toml++ 3.3.0 (Debian 12) reaches undefined behaviour on many
// code points where whitespace could stand, and forkd's reader refuses those (and invalid
// UTF-8) with a line-numbered error before toml++ sees the text (config/toml_reader.cpp).

void check_shown_values_read_back(const Config& config) {
    for (const std::string& name : config.keys_set) {
        const Setting* setting = find_setting(name);
        FUZZ_CHECK(setting != nullptr, "keys_set names settings");
        const std::string shown = setting->show(config);
        if (shown.empty() || setting->kind == Kind::text_list) continue;
        Config again;
        try {
            assign(again, *setting, value_from_text(*setting, shown));
        } catch (const ConfigError& error) {
            std::fprintf(stderr, "%s = %s: %s\n", name.c_str(), shown.c_str(), error.what());
            FUZZ_CHECK(false, "a value as forkd shows it reads back");
        }
        FUZZ_CHECK(setting->show(again) == shown, "a shown value reads back to itself");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Config config;
    try {
        config = parse_config_text(text, std::string(kSource));
    } catch (const ConfigError& error) {
        const std::string_view message = error.what();
        // toml++ may point one line past the last (an unterminated construct at the end).
        const std::size_t lines =
            static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 2;
        if (!starts_with_line_number(message, lines) && !starts_with_key(message)) {
            std::fprintf(stderr, "message: %s\n", error.what());
            FUZZ_CHECK(false, "a configuration error names its line or its key");
        }
        return 0;
    }
    check_shown_values_read_back(config);
    return 0;
}
