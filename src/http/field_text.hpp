// Small pieces of RFC 9110 field syntax shared by the parsers of individual fields.
#pragma once

#include <string_view>

namespace forkd::http {

// `text` without the optional whitespace (OWS: spaces and tabs) around it (RFC 9110 §5.6.3).
inline std::string_view trim_ows(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace forkd::http
