// Small pieces of RFC 9110 field syntax shared by the parsers of individual fields.
#pragma once

#include <string_view>

namespace forkd::http {

inline bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

// `text` without the optional whitespace (OWS: spaces and tabs) around it (RFC 9110 §5.6.3).
// By hand: find_first_not_of calls memchr once per character, and every request's fields
// go through this.
inline std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && is_ows(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_ows(text.back()))
        text.remove_suffix(1);
    return text;
}

}  // namespace forkd::http
