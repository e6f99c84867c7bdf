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

// Where a UTF-8 sequence starting at text[at] ends (one past it), or `at` when it is not a
// well-formed one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t end_of_utf8(std::string_view text, std::size_t at) {
    const auto byte = [&](std::size_t i) {
        return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u;
    };
    const auto continuation = [&](std::size_t i) { return (byte(i) & 0xC0u) == 0x80u; };
    unsigned lead = byte(at);
    if (lead >= 0xC2 && lead <= 0xDF) return continuation(at + 1) ? at + 2 : at;
    if (lead >= 0xE0 && lead <= 0xEF) {
        unsigned second = byte(at + 1);
        bool fits = (lead == 0xE0 && second >= 0xA0) || (lead == 0xED && second < 0xA0) ||
                    (lead != 0xE0 && lead != 0xED);
        return fits && continuation(at + 1) && continuation(at + 2) ? at + 3 : at;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        unsigned second = byte(at + 1);
        bool fits = (lead == 0xF0 && second >= 0x90) || (lead == 0xF4 && second < 0x90) ||
                    (lead != 0xF0 && lead != 0xF4);
        return fits && continuation(at + 1) && continuation(at + 2) && continuation(at + 3) ? at + 4
                                                                                            : at;
    }
    return at;
}

// A multi-line string may end with one or two quotes of its own before its closing three
// (`""""` ends in a quote): how many there are at the start of `closing`.
std::size_t closing_extra(std::string_view closing, char quote) {
    std::size_t extra = 0;
    while (extra < 2 && closing.size() > 3 + extra && closing[3 + extra] == quote)
        ++extra;
    return extra;
}

// TOML allows characters beyond ASCII only inside strings and comments, and the document
// must be UTF-8. Both are checked here, before toml++ sees the text: toml++ 3.3.0 (Debian
// 12) reaches undefined behaviour (TOML_UNREACHABLE in is_non_ascii_horizontal_whitespace)
// on many non-ASCII code points outside strings and comments, including in the token it
// reads to report a syntax error. Returns the text with every byte beyond ASCII (all inside
// strings and comments) replaced by 'x', lines and columns kept. The scan follows just
// enough of TOML's lexical rules: comments, and the four kinds of strings with their escapes.
std::string ascii_copy(std::string_view text, const std::string& source_name) {
    std::string copy(text);
    enum class Context { code, comment, basic, literal, multiline_basic, multiline_literal };
    Context context = Context::code;
    const auto fail = [&](std::size_t at, std::string_view why) {
        auto line =
            1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
        throw ConfigError(source_name + ":" + std::to_string(line) + ": " + std::string(why));
    };
    for (std::size_t at = 0; at < text.size();) {
        char c = text[at];
        if (static_cast<unsigned char>(c) >= 0x80) {
            std::size_t end = end_of_utf8(text, at);
            if (end == at) fail(at, "the file is not valid UTF-8");
            if (context == Context::code)
                fail(at, "a character beyond ASCII outside a string or comment");
            std::fill(copy.begin() + static_cast<std::ptrdiff_t>(at),
                      copy.begin() + static_cast<std::ptrdiff_t>(end), 'x');
            at = end;
            continue;
        }
        std::string_view rest = text.substr(at);
        switch (context) {
            case Context::code:
                if (c == '#') context = Context::comment;
                if (c == '"')
                    context =
                        rest.starts_with("\"\"\"") ? Context::multiline_basic : Context::basic;
                if (c == '\'')
                    context =
                        rest.starts_with("'''") ? Context::multiline_literal : Context::literal;
                if (context == Context::multiline_basic || context == Context::multiline_literal)
                    at += 2;
                break;
            case Context::comment:
                if (c == '\n') context = Context::code;
                break;
            case Context::basic:
            case Context::multiline_basic:
                if (c == '\\') {
                    ++at;  // the escaped character (a quote, a backslash) is not an end
                } else if (context == Context::basic && (c == '"' || c == '\n')) {
                    context = Context::code;
                } else if (rest.starts_with("\"\"\"")) {
                    context = Context::code;
                    at += 2 + closing_extra(rest, '"');
                }
                break;
            case Context::literal:
            case Context::multiline_literal:
                if (context == Context::literal && (c == '\'' || c == '\n')) {
                    context = Context::code;
                } else if (context == Context::multiline_literal && rest.starts_with("'''")) {
                    context = Context::code;
                    at += 2 + closing_extra(rest, '\'');
                }
                break;
        }
        ++at;
    }
    return copy;
}

toml::table parse_document(std::string_view text, const std::string& source_name) {
    // The copy, its strings and comments made ASCII, shows whether the document is TOML at
    // all; only a document that is has its own text parsed, where toml++ then meets
    // non-ASCII only inside strings and comments it has already recognised as such.
    const std::string ascii = ascii_copy(text, source_name);
    try {
        if (ascii != text) static_cast<void>(toml::parse(ascii, source_name));
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
