// The TOML side of the settings table: the only file that includes toml++.
#include "config/toml_reader.hpp"

// toml++ 3.3.0 asserts, in builds without NDEBUG, things about malformed documents that it
// then reports as parse errors anyway (found by fuzz/config_toml: `[!]`, `x = 4-`). Its
// assertions are off in release builds; here they are off in Debug and sanitizer builds too,
// so that `forkd -t` explains a bad file there instead of aborting.
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>

#include <algorithm>
#include <limits>

#include "config/config_loader.hpp"
#include "config/settings.hpp"

namespace forkd::config {
namespace {

// One key of the document, flattened: "workers" or "demo.sleep_seconds".
struct Entry {
    std::string name;
    const toml::node* node = nullptr;
    std::size_t line = 0;
    std::string problem;  // set when the key cannot be applied at all (unknown, not a table)
};

std::string type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

[[noreturn]] void wrong_type(const Setting& setting, const toml::node& node) {
    const std::string expected =
        setting.kind == Kind::boolean ? std::string("a boolean") : expectation(setting);
    throw ConfigError("expected " + expected + ", got " + type_name(node));
}

// TOML integers count seconds for durations and bytes for sizes.
Value value_from_integer(const Setting& setting, std::int64_t number, const toml::node& node) {
    const auto negative = [&] {
        return ConfigError("expected " + expectation(setting) + ", got " + std::to_string(number));
    };
    switch (setting.kind) {
        case Kind::integer:
            return number;
        case Kind::duration:
            if (number < 0 || number > std::numeric_limits<Duration::rep>::max() / 1000) {
                throw negative();
            }
            return Duration(number * 1000);
        case Kind::size:
            if (number < 0) throw negative();
            return static_cast<std::size_t>(number);
        default:
            wrong_type(setting, node);
    }
}

Value value_from_array(const Setting& setting, const toml::array& array) {
    if (setting.kind != Kind::text_list) wrong_type(setting, array);
    std::vector<std::string> items;
    for (const auto& item : array) {
        const auto text = item.value<std::string>();
        if (!item.is_string() || !text) {
            throw ConfigError("expected an array of strings, got an array holding " +
                              type_name(item));
        }
        items.push_back(*text);
    }
    return items;
}

Value value_from_node(const Setting& setting, const toml::node& node) {
    // Counts and switches are TOML integers and booleans; "4" is a type error, as in TOML.
    const bool wants_string = setting.kind != Kind::integer && setting.kind != Kind::boolean;
    if (const auto* text = node.as_string(); text && wants_string) {
        // A single string is accepted for a list too: `listen = "*:80"`.
        return value_from_text(setting, text->get());
    }
    if (const auto* integer = node.as_integer()) {
        return value_from_integer(setting, integer->get(), node);
    }
    if (const auto* boolean = node.as_boolean(); boolean && setting.kind == Kind::boolean) {
        return boolean->get();
    }
    if (const auto* array = node.as_array()) return value_from_array(setting, *array);
    wrong_type(setting, node);
}

std::size_t line_of(const toml::key& key, const toml::node& node) {
    const auto line = key.source().begin.line;
    return line != 0 ? line : node.source().begin.line;
}

std::string unknown_key(const std::string& name) {
    std::string message = "unknown key \"" + name + "\"";
    const std::string suggestion = suggest_setting(name);
    if (!suggestion.empty()) message += " (did you mean " + suggestion + "?)";
    return message;
}

void flatten_table(const std::string& table, const toml::table& nodes,
                   std::vector<Entry>& entries) {
    for (const auto& [key, node] : nodes) {
        const std::string name = table + "." + std::string(key.str());
        Entry entry{.name = name, .node = &node, .line = line_of(key, node), .problem = {}};
        if (find_setting(name) == nullptr) entry.problem = unknown_key(name);
        entries.push_back(std::move(entry));
    }
}

// Flattens the root table into entries, settings tables included, and sorts them by line.
std::vector<Entry> flatten(const toml::table& root) {
    std::vector<Entry> entries;
    for (const auto& [key, node] : root) {
        const std::string name(key.str());
        const std::size_t line = line_of(key, node);
        if (is_settings_table(name)) {
            if (const auto* table = node.as_table()) {
                flatten_table(name, *table, entries);
            } else {
                entries.push_back(
                    {name, &node, line, name + ": expected a table, got " + type_name(node)});
            }
        } else if (find_setting(name) != nullptr) {
            entries.push_back({name, &node, line, {}});
        } else if (node.is_table()) {
            entries.push_back({name, &node, line, "unknown table [" + name + "]"});
        } else {
            entries.push_back({name, &node, line, unknown_key(name)});
        }
    }
    std::ranges::stable_sort(entries, {}, &Entry::line);
    return entries;
}

toml::table parse_document(std::string_view text, const std::string& source_name) {
    try {
        return toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        throw ConfigError(source_name + ":" + std::to_string(where.line) + ":" +
                          std::to_string(where.column) + ": " + std::string(error.description()));
    }
}

}  // namespace

void read_toml(Config& config, std::string_view toml_text, const std::string& source_name) {
    const toml::table root = parse_document(toml_text, source_name);
    for (const Entry& entry : flatten(root)) {
        const std::string where = source_name + ":" + std::to_string(entry.line) + ": ";
        if (!entry.problem.empty()) throw ConfigError(where + entry.problem);
        const Setting& setting = *find_setting(entry.name);
        try {
            assign(config, setting, value_from_node(setting, *entry.node));
            config.origins[entry.name] = source_name + ":" + std::to_string(entry.line);
        } catch (const ConfigError& error) {
            throw ConfigError(where + entry.name + ": " + error.what());
        }
    }
}

}  // namespace forkd::config
