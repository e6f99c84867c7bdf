#include "strict_reader.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <vector>

namespace forkd::fuzz {
namespace {

using Kind = StrictVerdict::Kind;

// Thrown to end the reading early; the reader is small enough for this to stay readable.
struct Stop {
    StrictVerdict verdict;
};

[[noreturn]] void refuse(std::string reason, bool ambiguous) {
    StrictVerdict verdict;
    verdict.kind = Kind::reject;
    verdict.ambiguous = ambiguous;
    verdict.reason = std::move(reason);
    throw Stop{std::move(verdict)};
}

[[noreturn]] void need_more() {
    throw Stop{StrictVerdict{}};
}

// RFC 9110 §5.6.2.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    if (text.empty()) return false;
    for (const char c : text)
        if (!is_tchar(c)) return false;
    return true;
}

bool is_vchar(char c) {
    return c > 0x20 && c < 0x7f;
}

// RFC 9110 §5.5: field-value = *( VCHAR / obs-text / SP / HTAB ).
bool is_field_value(std::string_view text) {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (!(is_vchar(c) || u >= 0x80 || c == ' ' || c == '\t')) return false;
    }
    return true;
}

bool is_whitespace(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_whitespace(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_whitespace(text.back()))
        text.remove_suffix(1);
    return text;
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 3986 §3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]", here without brackets.
bool is_ip_literal(const std::string& inside) {
    if (inside.starts_with('v') || inside.starts_with('V')) {
        // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
        std::size_t i = 1;
        while (i < inside.size() && hex_digit(inside[i]) >= 0)
            ++i;
        if (i == 1 || i >= inside.size() - 1 || inside[i] != '.') return false;
        for (++i; i < inside.size(); ++i) {
            const char c = inside[i];
            const bool alnum =
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alnum && std::string_view("-._~!$&'()*+,;=:").find(c) == std::string_view::npos)
                return false;
        }
        return true;
    }
    in6_addr address{};
    return inside.find('\0') == std::string::npos &&
           ::inet_pton(AF_INET6, inside.c_str(), &address) == 1;
}

// RFC 3986 §3.2.2 reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4address is one.
bool is_reg_name(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (text.size() - i < 3 || hex_digit(text[i + 1]) < 0 || hex_digit(text[i + 2]) < 0)
                return false;
            i += 2;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos)) {
            return false;
        }
    }
    return true;
}

// RFC 9112 §3.2 Host and the authority of an http URI: uri-host [ ":" port ], port = *DIGIT.
// False when `authority` is not that; `host_empty` tells whether uri-host is empty.
bool is_host_and_port(std::string_view authority, bool& host_empty) {
    std::string_view port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos ||
            !is_ip_literal(std::string(authority.substr(1, close - 1))))
            return false;
        host_empty = false;
        const std::string_view after = authority.substr(close + 1);
        if (after.empty()) return true;
        if (after.front() != ':') return false;
        port = after.substr(1);
    } else {
        const auto colon = authority.find(':');
        if (!is_reg_name(authority.substr(0, colon))) return false;
        host_empty = colon == 0 || authority.empty();
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    for (const char c : port)
        if (c < '0' || c > '9') return false;
    return true;
}

struct Field {
    std::string name;  // lower case
    std::string_view value;
};

// The input, read line by line; every line must end in CRLF and hold no other CR.
class Cursor {
  public:
    explicit Cursor(std::string_view bytes) : bytes_(bytes) {}

    std::size_t position() const { return position_; }

    std::string_view line() {
        const auto lf = bytes_.find('\n', position_);
        if (lf == std::string_view::npos) need_more();
        if (lf == position_ || bytes_[lf - 1] != '\r') refuse("line not ended by CRLF", true);
        const std::string_view text = bytes_.substr(position_, lf - 1 - position_);
        position_ = lf + 1;
        if (text.find('\r') != std::string_view::npos) refuse("bare CR", true);
        return text;
    }

    std::string_view take(std::size_t count) {
        if (bytes_.size() - position_ < count) need_more();
        const std::string_view taken = bytes_.substr(position_, count);
        position_ += count;
        return taken;
    }

    // RFC 9112 §2.2 lets a server ignore empty lines before the request line. forkd also
    // skips bare-LF ones: harmless there, since nothing of a request precedes them.
    void skip_empty_lines() {
        while (position_ < bytes_.size()) {
            if (bytes_[position_] == '\n') {
                ++position_;
            } else if (bytes_.substr(position_, 2) == "\r\n") {
                position_ += 2;
            } else if (bytes_.substr(position_) == "\r") {
                need_more();
            } else {
                return;
            }
        }
    }

  private:
    std::string_view bytes_;
    std::size_t position_ = 0;
};

// RFC 9112 §5: field lines up to the empty line (the header or the trailer section).
std::vector<Field> read_fields(Cursor& cursor) {
    std::vector<Field> fields;
    for (;;) {
        const std::string_view line = cursor.line();
        if (line.empty()) return fields;
        if (is_whitespace(line.front())) refuse("obs-fold", true);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) refuse("field line without colon", true);
        const std::string_view name = line.substr(0, colon);
        if (!name.empty() && is_whitespace(name.back()))
            refuse("whitespace before the colon", true);
        if (!is_token(name)) refuse("invalid field name", false);
        const std::string_view value = trim(line.substr(colon + 1));
        if (!is_field_value(value)) refuse("control byte in a field value", true);
        fields.push_back({lower(name), value});
    }
}

// The elements of every field called `name` (RFC 9110 §5.6.1), trimmed, empty ones kept.
std::vector<std::string_view> elements(const std::vector<Field>& fields, std::string_view name) {
    std::vector<std::string_view> out;
    for (const Field& field : fields) {
        if (field.name != name) continue;
        std::string_view rest = field.value;
        for (;;) {
            const auto comma = rest.find(',');
            out.push_back(trim(rest.substr(0, comma)));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return out;
}

std::size_t count(const std::vector<Field>& fields, std::string_view name) {
    std::size_t n = 0;
    for (const Field& field : fields)
        n += field.name == name ? 1 : 0;
    return n;
}

// RFC 9110 §7.6.1: Connection = #connection-option, a list of tokens.
void check_connection(const std::vector<Field>& fields) {
    for (const std::string_view name : {"connection", "proxy-connection"})
        for (const std::string_view option : elements(fields, name))
            if (!option.empty() && !is_token(option)) refuse("Connection not a token list", false);
}

// RFC 9110 §6.5.1: framing fields have no place in a trailer section.
void check_trailers(const std::vector<Field>& trailers) {
    if (count(trailers, "transfer-encoding") > 0 || count(trailers, "content-length") > 0)
        refuse("framing field in the trailers", true);
    check_connection(trailers);
}

// RFC 9112 §3: method SP request-target SP HTTP-version.
void read_request_line(std::string_view line, StrictRequest& request) {
    const auto sp1 = line.find(' ');
    const auto sp2 = line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        refuse("not three parts", false);
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method)) refuse("invalid method", false);
    if (target.empty()) refuse("empty target", false);
    for (const char c : target)
        if (!is_vchar(c)) refuse("invalid target byte", true);
    // RFC 9110 §2.5: a higher minor version of HTTP/1 is read as 1.1, the highest supported.
    if (version.size() != 8 || !version.starts_with("HTTP/1.") || version[7] < '0' ||
        version[7] > '9')
        refuse("unsupported version", false);
    request.method = method;
    request.target = target;
    request.version = version == "HTTP/1.0" ? 10 : 11;
}

// RFC 9112 §3.2: origin-form, absolute-form (http and https) or "*" for OPTIONS. CONNECT's
// authority-form is refused: forkd is no proxy.
void check_target(const StrictRequest& request) {
    const std::string_view target = request.target;
    if (request.method == "CONNECT") refuse("CONNECT", false);
    if (target.starts_with('/')) return;
    if (target == "*") {
        if (request.method != "OPTIONS") refuse("'*' outside OPTIONS", false);
        return;
    }
    const auto scheme_end = target.find("://");
    const std::string scheme = lower(target.substr(0, scheme_end));
    if (scheme_end == std::string_view::npos || (scheme != "http" && scheme != "https"))
        refuse("not a request-target", false);
    const std::string_view rest = target.substr(scheme_end + 3);
    bool host_empty = true;
    if (!is_host_and_port(rest.substr(0, rest.find_first_of("/?")), host_empty))
        refuse("invalid authority", false);
    // RFC 9110 §4.2.1: an http URI needs a host.
    if (host_empty) refuse("absolute-form without authority", false);
}

// RFC 9112 §6.3 item 5: every element 1*DIGIT and all of them equal.
std::uint64_t read_content_length(const std::vector<Field>& fields) {
    std::uint64_t length = 0;
    bool seen = false;
    for (const std::string_view element : elements(fields, "content-length")) {
        if (element.empty()) refuse("empty Content-Length", true);
        std::uint64_t value = 0;
        for (const char c : element) {
            if (c < '0' || c > '9') refuse("Content-Length not a number", true);
            const auto digit = static_cast<std::uint64_t>(c - '0');
            if (value > (UINT64_MAX - digit) / 10) refuse("Content-Length overflows", true);
            value = value * 10 + digit;
        }
        if (seen && value != length) refuse("differing Content-Length", true);
        length = value;
        seen = true;
    }
    return length;
}

// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), §7.1.1.
void check_chunk_extensions(std::string_view rest) {
    const auto skip_whitespace = [&] {
        while (!rest.empty() && is_whitespace(rest.front()))
            rest.remove_prefix(1);
    };
    const auto token = [&] {
        std::size_t n = 0;
        while (n < rest.size() && is_tchar(rest[n]))
            ++n;
        if (n == 0) refuse("malformed chunk extension", true);
        rest.remove_prefix(n);
    };
    // BWS only ever comes before ";" or "=": whitespace at the end of the line is refused.
    while (!rest.empty()) {
        skip_whitespace();
        if (rest.empty() || rest.front() != ';') refuse("malformed chunk size", true);
        rest.remove_prefix(1);
        skip_whitespace();
        token();
        const std::string_view before_value = rest;
        skip_whitespace();
        if (rest.empty() || rest.front() != '=') {
            rest = before_value;  // the whitespace belongs to the next ";"
            continue;
        }
        rest.remove_prefix(1);
        skip_whitespace();
        if (rest.empty() || rest.front() != '"') {
            token();
            continue;
        }
        // quoted-string: qdtext or a quoted-pair, both HTAB, SP, VCHAR or obs-text.
        std::size_t i = 1;
        for (; i < rest.size() && rest[i] != '"'; ++i) {
            if (rest[i] == '\\') ++i;
            if (i == rest.size() || !is_field_value(rest.substr(i, 1)))
                refuse("malformed quoted chunk extension", true);
        }
        if (i >= rest.size()) refuse("unterminated quoted chunk extension", true);
        rest.remove_prefix(i + 1);
    }
}

// RFC 9112 §7.1: chunks, the last chunk, the trailer section.
std::string read_chunked(Cursor& cursor, std::size_t max_body_size) {
    std::string body;
    for (;;) {
        const std::string_view line = cursor.line();
        std::size_t digits = 0;
        std::uint64_t size = 0;
        for (; digits < line.size() && hex_digit(line[digits]) >= 0; ++digits) {
            if (size > (UINT64_MAX >> 4)) refuse("chunk size overflows", true);
            size = size * 16 + static_cast<std::uint64_t>(hex_digit(line[digits]));
        }
        if (digits == 0) refuse("chunk size missing", true);
        check_chunk_extensions(line.substr(digits));
        if (size > max_body_size - body.size()) refuse("body too large", false);
        if (size == 0) {
            check_trailers(read_fields(cursor));  // then discarded
            return body;
        }
        body += cursor.take(static_cast<std::size_t>(size));
        if (cursor.take(2) != "\r\n") refuse("chunk data not followed by CRLF", true);
    }
}

std::string read_body(Cursor& cursor, const StrictRequest& request,
                      const std::vector<Field>& fields, std::size_t max_body_size) {
    const bool has_te = count(fields, "transfer-encoding") > 0;
    const bool has_cl = count(fields, "content-length") > 0;
    if (has_te) {
        // RFC 9112 §6.1 and §6.3: TE in 1.0 or with CL means faulty framing.
        if (request.version == 10) refuse("Transfer-Encoding in HTTP/1.0", true);
        if (has_cl) refuse("Transfer-Encoding with Content-Length", true);
        const auto codings = elements(fields, "transfer-encoding");
        if (lower(codings.back()) != "chunked") refuse("final coding is not chunked", true);
        if (codings.size() > 1) refuse("a coding other than chunked", false);
        return read_chunked(cursor, max_body_size);
    }
    if (!has_cl) return {};
    const std::uint64_t length = read_content_length(fields);
    if (length > max_body_size) refuse("body too large", false);
    return std::string(cursor.take(static_cast<std::size_t>(length)));
}

StrictRequest read_request(std::string_view bytes, std::size_t max_body_size) {
    Cursor cursor(bytes);
    StrictRequest request;
    cursor.skip_empty_lines();
    read_request_line(cursor.line(), request);
    const std::vector<Field> fields = read_fields(cursor);
    check_target(request);
    check_connection(fields);
    const std::size_t hosts = count(fields, "host");
    if (hosts > 1 || (hosts == 0 && request.version == 11)) refuse("Host rules", false);
    bool host_empty = true;
    for (const Field& field : fields)
        if (field.name == "host" && !is_host_and_port(field.value, host_empty))
            refuse("invalid Host", false);
    request.body = read_body(cursor, request, fields, max_body_size);
    request.size = cursor.position();
    return request;
}

}  // namespace

StrictVerdict strict_read(std::string_view bytes, std::size_t max_body_size) {
    try {
        StrictVerdict verdict;
        verdict.kind = Kind::accept;
        verdict.request = read_request(bytes, max_body_size);
        return verdict;
    } catch (Stop& stop) {
        return std::move(stop.verdict);
    }
}

}  // namespace forkd::fuzz
