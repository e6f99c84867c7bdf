#include "cgi/program_head.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "http/field_text.hpp"
#include "http/head_scanner.hpp"

namespace forkd::cgi {
namespace {

// Fields the server sets itself for the connection it keeps: a program's would contradict
// the framing forkd chooses (and a Transfer-Encoding from a program could smuggle).
constexpr std::array kServerOwned = {
    std::string_view("Connection"),
    std::string_view("Content-Length"),
    std::string_view("Keep-Alive"),
    std::string_view("Transfer-Encoding"),
    std::string_view("Trailer"),
    std::string_view("Upgrade"),
    std::string_view("Proxy-Connection"),
    std::string_view("TE"),
    std::string_view("Date"),
    std::string_view("Server"),
};

bool server_owned(std::string_view name) {
    return std::ranges::any_of(kServerOwned,
                               [&](std::string_view owned) { return iequals(owned, name); });
}

bool is_token(std::string_view text) {
    return !text.empty() && std::ranges::all_of(text, http::is_tchar);
}

bool is_field_value(std::string_view text) {
    return std::ranges::all_of(text, http::is_field_value_char);
}

// "404 Not Found" or "404": the code, if it is three digits from 100 to 999.
std::optional<int> status_code(std::string_view text) {
    text = http::trim_ows(text);
    int code = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + std::min<std::size_t>(3, text.size()), code);
    if (error != std::errc() || end != text.data() + 3 || code < 100 || code > 999) return {};
    if (text.size() > 3 && text[3] != ' ') return {};
    return code;
}

}  // namespace

std::size_t end_of_head(std::string_view output) {
    for (std::size_t at = output.find('\n'); at != std::string_view::npos;
         at = output.find('\n', at + 1)) {
        std::size_t next = at + 1;
        if (next < output.size() && output[next] == '\n') return next + 1;
        if (next + 1 < output.size() && output[next] == '\r' && output[next + 1] == '\n')
            return next + 2;
        if (at == 0) return 1;  // a head with no field at all: the body starts at once
    }
    return std::string_view::npos;
}

std::variant<ProgramHead, std::string> parse_program_head(std::string_view head, bool nph) {
    ProgramHead parsed;
    bool has_status = false;
    bool has_type = false;
    std::string location;
    bool first = true;
    while (!head.empty()) {
        std::size_t end = head.find('\n');
        std::string_view line = head.substr(0, end);
        head.remove_prefix(end == std::string_view::npos ? head.size() : end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (first && nph) {
            first = false;
            if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ')
                return "an nph- program's output does not begin with an HTTP/1.x status line";
            std::optional<int> code = status_code(line.substr(9));
            if (!code) return "its status line has no valid status code";
            parsed.status = *code;
            has_status = true;
            continue;
        }
        if (first && line.starts_with("HTTP/"))
            return "it wrote a status line, which only an nph- program may";
        first = false;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return "a header line has no field name: \"" + std::string(line.substr(0, 80)) + "\"";
        std::string_view name = line.substr(0, colon);
        std::string_view value = http::trim_ows(line.substr(colon + 1));
        if (!is_token(name))
            return "the header name \"" + std::string(name.substr(0, 80)) + "\" is not a token";
        if (!is_field_value(value))
            return "the " + std::string(name) + " header has a forbidden character";
        if (iequals(name, "Status")) {
            std::optional<int> code = status_code(value);
            if (!code || has_status) return "its Status header is not one three-digit status";
            parsed.status = *code;
            has_status = true;
            continue;
        }
        if (iequals(name, "Location")) {
            if (!location.empty() || value.empty()) return "it sent Location twice, or empty";
            location = std::string(value);
        }
        if (iequals(name, "Content-Type")) has_type = true;
        if (server_owned(name)) continue;
        parsed.headers.add(std::string(name), std::string(value));
    }
    if (!location.empty() && location.starts_with('/') && !location.starts_with("//") &&
        (!has_status || parsed.status == 200) && !nph) {
        // §6.2.2: a local Location; the server fetches it instead. The RFC wants it alone,
        // but php-cgi always adds a Content-Type: like Apache, a 200 is what decides.
        parsed.local_redirect = std::move(location);
        parsed.headers = Headers();
        return parsed;
    }
    if (!location.empty() && !has_status) parsed.status = 302;  // §6.2.3: a client redirect
    if (!has_status && !has_type && location.empty())
        return "its header block has none of Content-Type, Location or Status";
    return parsed;
}

}  // namespace forkd::cgi
