#include "http/bodiless_head.hpp"

#include <string>

#include "http/field_text.hpp"
#include "http/head_scanner.hpp"

namespace forkd::http {
namespace {

// A list Beast's Connection rule (an optional token list) surely accepts: every element,
// trimmed, a non-empty token.
bool is_plain_token_list(std::string_view value) {
    for (;;) {
        const std::size_t comma = value.find(',');
        const std::string_view element = trim_ows(value.substr(0, comma));
        if (element.empty()) return false;
        for (char c : element)
            if (!is_tchar(c)) return false;
        if (comma == std::string_view::npos) return true;
        value.remove_prefix(comma + 1);
    }
}

// The fields Beast itself interprets: the framing ones mean a body (Beast reads those
// heads), the connection ones must be lists it accepts.
bool leaves_to_beast(std::string_view name, std::string_view value) {
    switch (name.size()) {  // most names have none of these lengths: no comparison at all
        case 14:
            return iequals(name, "Content-Length");
        case 17:
            return iequals(name, "Transfer-Encoding");
        case 10:
            return iequals(name, "Connection") && !is_plain_token_list(value);
        case 16:
            return iequals(name, "Proxy-Connection") && !is_plain_token_list(value);
        default:
            return false;
    }
}

}  // namespace

void BodilessHead::request_line(std::string_view method, std::string_view target, char minor) {
    request_.method = method;
    request_.target = target;
    // RFC 9110 §2.5: HTTP/1.2 and up are read as 1.1, as the Beast path does.
    request_.version = minor == '0' ? 10 : 11;
}

void BodilessHead::field_line(std::string_view name, std::string_view value) {
    if (leaves_to_beast_) return;  // Beast reads this head again from its first line
    value = trim_ows(value);
    if (leaves_to_beast(name, value)) {
        leaves_to_beast_ = true;
        return;
    }
    seen_.note(name, request_.headers.size());
    request_.headers.add_copy(name, value);
}

}  // namespace forkd::http
