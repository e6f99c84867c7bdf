#include "http/response_head.hpp"

#include <charconv>
#include <cstdint>
#include <iterator>
#include <string>
#include <variant>

#include "forkd/version.hpp"
#include "http/http_date.hpp"

namespace forkd::http {

namespace {

// Fields the server writes itself (framing and connection management): a handler's copy
// is dropped so that it cannot contradict how the body is actually sent.
bool is_server_owned(std::string_view name) {
    return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
           iequals(name, "Connection");
}

// A CR or LF in a handler's field would let it (or the client input it echoes) split the
// response: such fields are left out rather than repaired.
// (A loop, not find_first_of: that calls memchr once per character of the name.)
bool is_writable(std::string_view name, std::string_view value) {
    if (name.empty()) return false;
    for (char c : name)
        if (c == ':' || c == '\r' || c == '\n' || c == ' ' || c == '\t') return false;
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
    }
    return true;
}

// Plain appends: a head is written for every response, and fmt's runtime format strings
// were a few percent of a small keep-alive request.
void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

void append_number(std::string& out, std::uint64_t number) {
    char digits[20];
    auto [end, error] = std::to_chars(std::begin(digits), std::end(digits), number);
    out.append(digits, end);
}

// The last two dates formatted, as the Date of the current second and a file's
// Last-Modified are asked for again and again. Trivially destructible on purpose: a
// thread_local with a destructor is registered with the C library at its first use in each
// process, and in fork mode each connection is a new process (the registration binds two of
// libc's symbols lazily, a symbol lookup each, and allocates).
std::string_view recent_http_date(std::time_t when) {
    struct Formatted {
        std::time_t when = -1;
        char text[kHttpDateLength];
    };
    thread_local Formatted recent[2];
    thread_local std::size_t older = 0;
    for (const Formatted& date : recent)
        if (date.when == when) return {date.text, kHttpDateLength};
    Formatted& slot = recent[older];
    older = 1 - older;
    slot.when = when;
    format_http_date(when, slot.text);
    return {slot.text, kHttpDateLength};
}

void append_status_line(std::string& out, int version, int status) {
    out.append(version == 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    append_number(out, static_cast<std::uint64_t>(status));
    out.append(" ").append(reason_phrase(status)).append("\r\n");
}

// The head's last lines (framing, Connection, the empty line), gathered on the stack and
// appended to the head at once: an append per piece was a fifth of a small response's head.
class HeadEnd {
  public:
    void put(std::string_view piece) {
        piece.copy(text_ + length_, piece.size());
        length_ += piece.size();
    }
    void put_number(std::uint64_t number) {
        length_ = static_cast<std::size_t>(
            std::to_chars(text_ + length_, std::end(text_), number).ptr - text_);
    }
    std::string_view text() const { return {text_, length_}; }

  private:
    // The longest end: "Content-Length: " and 20 digits, "Connection: keep-alive", the CRLFs.
    char text_[96];
    std::size_t length_ = 0;
};

std::string_view server_field_value(bool server_tokens) {
    return server_tokens ? "forkd/" FORKD_VERSION_STRING : "forkd";
}

// The status line, Date and Server of the last head written without a Date or Server of the
// handler's, kept as one piece: the responses of one second mostly share all three, and
// writing them field by field was most of a small response's head. Trivially destructible,
// as recent_http_date's cache.
void append_status_line_date_and_server(std::string& out, int version, int status, std::time_t now,
                                        bool server_tokens) {
    struct Kept {
        std::time_t now = -1;
        int version = 0;
        int status = 0;
        bool server_tokens = false;
        std::size_t size = 0;
        char text[256];
    };
    thread_local Kept kept;
    if (kept.now != now || kept.version != version || kept.status != status ||
        kept.server_tokens != server_tokens) {
        // Written where they go, then kept: no string of its own to allocate (a fork-mode
        // child writes them at its first response, into the head room it inherited).
        std::size_t start = out.size();
        append_status_line(out, version, status);
        append_field(out, "Date", recent_http_date(now));
        append_field(out, "Server", server_field_value(server_tokens));
        std::string_view fresh = std::string_view(out).substr(start);
        if (fresh.size() > sizeof kept.text) {  // a reason phrase no status of ours has
            kept.now = -1;
            return;
        }
        kept = Kept{now, version, status, server_tokens, fresh.size(), {}};
        fresh.copy(kept.text, fresh.size());
        return;
    }
    out.append(kept.text, kept.size);
}

}  // namespace

Framing framing_for(const Response& response, int version) {
    if ((response.status >= 100 && response.status < 200) || response.status == 204 ||
        response.status == 304)
        return Framing::none;
    if (std::holds_alternative<StreamBody>(response.body))
        return version >= 11 ? Framing::chunked : Framing::close_delimited;
    return Framing::content_length;
}

std::size_t body_length(const Response& response) {
    if (const auto* bytes = std::get_if<std::string>(&response.body)) return bytes->size();
    if (const auto* file = std::get_if<FileBody>(&response.body))
        return static_cast<std::size_t>(file->length);
    return 0;
}

std::string serialize_head(const Response& response, const HeadOptions& options) {
    std::string out;
    out.reserve(256);
    append_head(out, response, options, framing_for(response, options.version));
    return out;
}

void append_head(std::string& out, const Response& response, const HeadOptions& options,
                 Framing framing) {
    const int version = options.version >= 11 ? 11 : 10;
    // Most responses carry no fields of their own (ready_fields aside): no lookup then.
    const bool own_fields = !response.headers.empty();
    const bool own_date = own_fields && response.headers.contains("Date");
    const bool own_server = own_fields && response.headers.contains("Server");
    if (!own_date && !own_server) {
        append_status_line_date_and_server(out, version, response.status, options.now,
                                           options.server_tokens);
    } else {
        append_status_line(out, version, response.status);
        if (!own_date) append_field(out, "Date", recent_http_date(options.now));
        if (!own_server) append_field(out, "Server", server_field_value(options.server_tokens));
    }
    for (const auto& [name, value] : response.headers)
        if (!is_server_owned(name) && is_writable(name, value)) append_field(out, name, value);
    if (response.ready_fields) out.append(*response.ready_fields);
    HeadEnd end;
    switch (framing) {
        case Framing::content_length:
            end.put("Content-Length: ");
            end.put_number(body_length(response));
            end.put("\r\n");
            break;
        case Framing::chunked:
            end.put("Transfer-Encoding: chunked\r\n");
            break;
        case Framing::close_delimited:
        case Framing::none:
            break;
    }
    // A close-delimited body ends only with the connection, whatever the caller wanted.
    if (!options.keep_alive || framing == Framing::close_delimited)
        end.put("Connection: close\r\n");
    else if (version == 10)
        end.put("Connection: keep-alive\r\n");
    end.put("\r\n");
    out.append(end.text());
}

std::string serialize_fields(const Headers& fields) {
    std::string out;
    for (const auto& [name, value] : fields)
        if (!is_server_owned(name) && is_writable(name, value)) append_field(out, name, value);
    return out;
}

std::string http_date(std::time_t when) {
    return std::string(recent_http_date(when));
}

}  // namespace forkd::http
