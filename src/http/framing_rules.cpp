#include "http/framing_rules.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "http/field_text.hpp"

namespace forkd::http {

namespace {

using Kind = BodyFraming::Kind;

// The elements of every field called `name`, in order (RFC 9110 §5.6.1 lists); empty
// elements are kept so that the caller can refuse them where they matter.
std::vector<std::string_view> list_elements(const Headers& headers, std::string_view name) {
    std::vector<std::string_view> out;
    for (const auto& [field, value] : headers) {
        if (!iequals(field, name)) continue;
        std::string_view rest = value;
        for (;;) {
            const auto comma = rest.find(',');
            out.push_back(trim_ows(rest.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return out;
}

bool is_known_coding(std::string_view coding) {
    constexpr std::array<std::string_view, 7> known = {
        "chunked", "gzip", "deflate", "compress", "x-gzip", "x-compress", "identity"};
    for (auto k : known)
        if (iequals(k, coding)) return true;
    return false;
}

// A parameter (";q=1") does not change what a coding is; its name decides.
std::string_view coding_name(std::string_view coding) {
    return trim_ows(coding.substr(0, coding.find(';')));
}

std::optional<ParseError> check_transfer_encoding(const Request& request) {
    const auto codings = list_elements(request.headers, "Transfer-Encoding");
    if (request.version == 10) return ParseError{400, "Transfer-Encoding in an HTTP/1.0 request"};
    if (request.headers.contains("Content-Length"))
        return ParseError{400, "Transfer-Encoding with Content-Length"};
    if (codings.empty() || !iequals(codings.back(), "chunked"))
        return ParseError{400, "final transfer coding is not chunked"};
    // Everything before the final chunked: chunked again is malformed (400); any other
    // coding would have to be decoded, which forkd does not do (501).
    const std::vector<std::string_view> before(codings.begin(), codings.end() - 1);
    for (std::string_view coding : before)
        if (iequals(coding_name(coding), "chunked"))
            return ParseError{400, "chunked applied twice"};
    if (before.empty()) return std::nullopt;
    const std::string_view name = coding_name(before.front());
    if (name.empty()) return ParseError{400, "empty transfer coding"};
    const char* what = is_known_coding(name) ? "unsupported" : "unknown";
    return ParseError{501, std::string(what) + " transfer coding " + std::string(name)};
}

// RFC 9110 §8.6: 1*DIGIT; a list of identical values ("5, 5") counts as one.
std::optional<ParseError> check_content_length(const Request& request, const Limits& limits,
                                               std::uint64_t& length) {
    std::optional<std::uint64_t> seen;
    for (std::string_view element : list_elements(request.headers, "Content-Length")) {
        std::uint64_t value = 0;
        const char* end = element.data() + element.size();
        const auto [ptr, ec] = std::from_chars(element.data(), end, value);
        if (element.empty() || element[0] == '+' || ec != std::errc() || ptr != end)
            return ParseError{400, "invalid Content-Length"};
        if (seen && *seen != value) return ParseError{400, "conflicting Content-Length values"};
        seen = value;
    }
    length = seen.value_or(0);
    if (length > limits.max_body_size) return ParseError{413, "request body too large"};
    return std::nullopt;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 §2.3 unreserved and §2.2 sub-delims, as a table: every Host value is checked.
constexpr std::array<bool, 256> kUnreservedOrSubDelim = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) {
        table[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   std::string_view("-._~!$&'()*+,;=").find(static_cast<char>(c)) !=
                       std::string_view::npos;
    }
    return table;
}();

bool is_unreserved_or_sub_delim(char c) {
    return kUnreservedOrSubDelim[static_cast<unsigned char>(c)];
}

// How long the reg-name at the start of `text` is (RFC 3986 §3.2.2: *( unreserved /
// pct-encoded / sub-delims ), which covers IPv4address): where a byte that cannot be in one
// is, or a '%' not followed by two hex digits.
std::size_t reg_name_end(std::string_view text) {
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (is_unreserved_or_sub_delim(c)) continue;
        if (c != '%' || i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) break;
        i += 2;
    }
    return i;
}

// RFC 3986 §3.2.2 IP-literal without its brackets: IPv6address / IPvFuture.
bool is_ip_literal(std::string_view inside) {
    if (!inside.empty() && (inside[0] == 'v' || inside[0] == 'V')) {
        const auto dot = inside.find('.');
        if (dot == std::string_view::npos || dot == 1 || dot + 1 == inside.size()) return false;
        const std::string_view version = inside.substr(1, dot - 1);
        const std::string_view rest = inside.substr(dot + 1);
        return std::all_of(version.begin(), version.end(), is_hex) &&
               std::all_of(rest.begin(), rest.end(),
                           [](char c) { return is_unreserved_or_sub_delim(c) || c == ':'; });
    }
    if (inside.size() >= INET6_ADDRSTRLEN) return false;
    char text[INET6_ADDRSTRLEN] = {};
    inside.copy(text, inside.size());
    in6_addr address{};
    return inet_pton(AF_INET6, text, &address) == 1;
}

// The host of `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2-3.2.3), or nothing
// when the authority does not match that. reg-name covers IPv4address; port = *DIGIT.
std::optional<std::string_view> authority_host(std::string_view authority) {
    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || !is_ip_literal(authority.substr(1, close - 1)))
            return std::nullopt;
        host = authority.substr(0, close + 1);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after[0] != ':') return std::nullopt;
        port = after.substr(std::min<std::size_t>(1, after.size()));
    } else {
        const std::size_t end = reg_name_end(authority);
        host = authority.substr(0, end);
        if (end < authority.size()) {
            if (authority[end] != ':') return std::nullopt;
            port = authority.substr(end + 1);
        }
    }
    if (!std::all_of(port.begin(), port.end(), is_digit)) return std::nullopt;
    return host;
}

FieldsSeen look_at_fields(const Headers& headers) {
    FieldsSeen seen;
    std::size_t index = 0;
    for (const auto& field : headers)
        seen.note(field.first, index++);
    return seen;
}

std::optional<ParseError> check_host(const Request& request, const FieldsSeen& seen) {
    if (seen.hosts > 1) return ParseError{400, "more than one Host field"};
    if (seen.hosts == 0 && request.version == 11) return ParseError{400, "missing Host field"};
    // An empty value is allowed (RFC 9112 §3.2: the target has no authority).
    if (seen.hosts == 1 && !authority_host(std::next(request.headers.begin(),
                                                     static_cast<std::ptrdiff_t>(seen.first_host))
                                               ->second))
        return ParseError{400, "invalid Host field"};
    return std::nullopt;
}

std::optional<ParseError> check_expect(const Request& request) {
    for (std::string_view element : list_elements(request.headers, "Expect"))
        if (!iequals(element, "100-continue")) return ParseError{417, "unsupported expectation"};
    return std::nullopt;
}

void split_path_query(std::string_view path_and_query, Request& request) {
    const auto question = path_and_query.find('?');
    request.path.assign(path_and_query.substr(0, question));
    if (question == std::string_view::npos) {
        request.query.clear();
    } else {
        request.query.assign(path_and_query.substr(question + 1));
    }
}

}  // namespace

void FieldsSeen::note(std::string_view name, std::size_t index) {
    switch (name.size()) {  // most names have none of these lengths: no comparison at all
        case 4:
            if (iequals(name, "Host") && hosts++ == 0) first_host = index;
            return;
        case 17:
            if (iequals(name, "Transfer-Encoding")) transfer_encoding = true;
            return;
        case 14:
            if (iequals(name, "Content-Length")) content_length = true;
            return;
        case 6:
            if (iequals(name, "Expect")) expect = true;
            return;
        default:
            return;
    }
}

std::optional<ParseError> check_fields(const Request& request, const Limits& limits,
                                       BodyFraming& framing) {
    return check_fields(request, limits, look_at_fields(request.headers), framing);
}

std::optional<ParseError> check_fields(const Request& request, const Limits& limits,
                                       const FieldsSeen& seen, BodyFraming& framing) {
    framing = BodyFraming{};
    if (seen.transfer_encoding) {
        if (auto error = check_transfer_encoding(request)) return error;
        framing.kind = Kind::chunked;
    } else if (seen.content_length) {
        if (auto error = check_content_length(request, limits, framing.length)) return error;
        framing.kind = Kind::length;
    }
    if (auto error = check_host(request, seen)) return error;
    return seen.expect ? check_expect(request) : std::nullopt;
}

std::optional<ParseError> split_target(Request& request) {
    const std::string_view target = request.target;
    if (request.method == "CONNECT") return ParseError{501, "CONNECT not supported"};
    if (target == "*") {
        if (request.method != "OPTIONS") return ParseError{400, "'*' target outside OPTIONS"};
        request.path = "*";
        request.query.clear();
        return std::nullopt;
    }
    if (target.starts_with('/')) {
        split_path_query(target, request);
        return std::nullopt;
    }
    // absolute-form: only the http and https schemes name something this server can serve.
    const auto scheme_end = target.find("://");
    const std::string_view scheme = target.substr(0, scheme_end);
    if (scheme_end == std::string_view::npos ||
        !(iequals(scheme, "http") || iequals(scheme, "https")))
        return ParseError{400, "invalid request-target"};
    const std::string_view rest = target.substr(scheme_end + 3);
    const auto path_start = rest.find_first_of("/?");
    // RFC 9110 §4.2.1: an http URI with an empty host is invalid ("http://", "http:///a").
    const auto host = authority_host(rest.substr(0, path_start));
    if (!host) return ParseError{400, "invalid authority in absolute-form target"};
    if (host->empty()) return ParseError{400, "absolute-form target without authority"};
    if (path_start == std::string_view::npos) {
        request.path = "/";
        request.query.clear();
        return std::nullopt;
    }
    split_path_query(rest.substr(path_start), request);
    if (request.path.empty()) request.path = "/";
    return std::nullopt;
}

bool asks_for_continue(const Request& request) {
    if (request.version != 11) return false;
    for (std::string_view element : list_elements(request.headers, "Expect"))
        if (iequals(element, "100-continue")) return true;
    return false;
}

}  // namespace forkd::http
