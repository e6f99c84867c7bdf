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

bool read_bodiless_head(std::string_view head, Request& request) {
    // The scanner let through only "method SP target SP HTTP/1.d CRLF", then field lines
    // "name:value CRLF" (tchar name, no whitespace before the colon, no CR in the value),
    // then CRLF: every LF ends a line, right after its CR.
    std::size_t lf = head.find('\n');
    const std::string_view line = head.substr(0, lf - 1);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    for (std::size_t start = lf + 1; (lf = head.find('\n', start)) != start + 1; start = lf + 1) {
        const std::string_view field = head.substr(start, lf - 1 - start);
        const std::size_t colon = field.find(':');
        const std::string_view name = field.substr(0, colon);
        const std::string_view value = trim_ows(field.substr(colon + 1));
        if (leaves_to_beast(name, value)) {
            request.headers = Headers();
            return false;
        }
        request.headers.add(std::string(name), std::string(value));
    }
    request.method = line.substr(0, sp1);
    request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    // RFC 9110 §2.5: HTTP/1.2 and up are read as 1.1, as the Beast path does.
    request.version = line[sp2 + 8] == '0' ? 10 : 11;
    return true;
}

}  // namespace forkd::http
