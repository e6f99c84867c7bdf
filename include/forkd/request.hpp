// forkd's embedding API: the request a handler receives.
//
// A Request is a parsed, validated HTTP/1.1 request: the framing rules of RFC 9112 have
// already been enforced and the body has been received whole, either in memory or in an
// unlinked temporary file the server spooled it to. Handlers never see malformed input, and
// read the body the same way wherever it was kept (RequestBody).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forkd {

// Header fields in arrival order; names compare case-insensitively (RFC 9110 §5.1).
class Headers {
  public:
    Headers() = default;
    // A copy holds the fields only, none of the room a clear() left.
    Headers(const Headers& other);
    Headers& operator=(const Headers& other);
    Headers(Headers&& other) noexcept
        : fields_(std::move(other.fields_)), size_(std::exchange(other.size_, 0)) {}
    Headers& operator=(Headers&& other) noexcept {
        fields_ = std::move(other.fields_);
        size_ = std::exchange(other.size_, 0);
        return *this;
    }

    void add(std::string name, std::string value);
    // Adds a field copied from `name` and `value` into the room a clear() left, if any: a
    // parser that reads request after request into one list allocates only for a field
    // longer than the one that was there.
    void add_copy(std::string_view name, std::string_view value);
    // Replaces every field called `name` with one field.
    void set(std::string name, std::string value);
    void remove(std::string_view name);
    // The first value of `name`, if present.
    std::optional<std::string_view> get(std::string_view name) const;
    bool contains(std::string_view name) const { return get(name).has_value(); }
    std::size_t count(std::string_view name) const;
    // Room for `fields` fields, for a parser that knows how many will come.
    void reserve(std::size_t fields) { fields_.reserve(fields); }
    // Removes every field; the room stays, the fields' strings too, for a parser that reuses
    // it for the next request (add_copy).
    void clear() { size_ = 0; }

    auto begin() const { return fields_.begin(); }
    auto end() const { return fields_.begin() + static_cast<std::ptrdiff_t>(size_); }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

  private:
    auto used_end() { return fields_.begin() + static_cast<std::ptrdiff_t>(size_); }

    // The fields are the first size_ entries; any after them are room a clear() left.
    std::vector<std::pair<std::string, std::string>> fields_;
    std::size_t size_ = 0;
};

// Case-insensitive ASCII comparison (field names are tokens; std::tolower would consult the
// locale). Inline: every lookup of a field runs it once per field.
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == b[i]) continue;
        // Different bytes match only as the two cases of one letter (they differ in 0x20).
        const auto lower = static_cast<unsigned char>(a[i] | 0x20);
        if (lower < 'a' || lower > 'z' || lower != static_cast<unsigned char>(b[i] | 0x20))
            return false;
    }
    return true;
}

// The request body (chunked coding already removed), kept in memory or, when it was larger
// than body_buffer_size, in an unlinked temporary file. One reader API for both: text() for
// the whole body, read_at() for pieces of a large one. Copies share the same file.
class RequestBody {
  public:
    RequestBody() = default;
    RequestBody(std::string bytes) : bytes_(std::move(bytes)) {}  // NOLINT: implicit on purpose
    RequestBody(const char* bytes) : bytes_(bytes) {}             // NOLINT
    // A body kept in the file `fd` (read from offset 0, `size` bytes); the body owns `fd`.
    static RequestBody from_file(int fd, std::uint64_t size);

    std::uint64_t size() const { return file_ ? file_size_ : bytes_.size(); }
    bool empty() const { return size() == 0; }
    // The whole body as a string (read from the file when it is in one). Throws
    // std::system_error when the file cannot be read.
    std::string text() const;
    // Copies up to `out.size()` bytes from `offset` into `out`; returns how many (0 at the
    // end). Throws std::system_error when the file cannot be read.
    std::size_t read_at(std::uint64_t offset, std::span<char> out) const;

    // Where the body is kept, for code that hands it on (a CGI program's stdin): the file's
    // descriptor (-1 when the body is in memory; read it positionally, never close it).
    bool in_file() const { return file_ != nullptr; }
    int file_descriptor() const;
    // The bytes of a body kept in memory (empty for a body in a file).
    std::string_view in_memory() const { return bytes_; }

    // For the server's parser, which receives a body piece by piece.
    void append(std::string_view piece) { bytes_.append(piece); }
    void reserve(std::size_t bytes) { bytes_.reserve(bytes); }
    std::string take_bytes() { return std::exchange(bytes_, std::string()); }

    friend bool operator==(const RequestBody& body, std::string_view bytes) {
        return body.text() == bytes;
    }

  private:
    std::string bytes_;
    std::shared_ptr<const int> file_;  // the descriptor, closed with the last copy
    std::uint64_t file_size_ = 0;
};

struct Request {
    std::string method;  // "GET", "HEAD", ... as sent (methods are case-sensitive)
    std::string target;  // the request-target as sent: "/a?b", "http://h/a", "*"
    std::string path;    // target's path, not percent-decoded ("*" for "OPTIONS *")
    std::string query;   // what follows '?', without it; empty when absent
    int version = 11;    // 10 for HTTP/1.0, 11 for HTTP/1.1
    Headers headers;
    RequestBody body;
    // The client: "127.0.0.1:51234", "[::1]:40000", "unix", or an address without a port
    // ("192.0.2.1", "[2001:db8::1]") when a trusted proxy named it in X-Forwarded-For.
    std::string remote_addr;
    // The connection's peer as forkd took it: the socket's peer, or on a listener marked
    // proxy_protocol the client the PROXY header named. remote_addr differs from it when the
    // peer is in `trusted_proxies` and named the client in Forwarded or X-Forwarded-For.
    std::string peer_addr;
    // "http", or "https" when a trusted proxy said the client used it (X-Forwarded-Proto,
    // Forwarded's proto): CGI's HTTPS and REQUEST_SCHEME.
    std::string scheme = "http";
    // The server's id for this request ("3f9c0a7d51e2b846000002a1": 24 hex digits or more),
    // unique across processes, instances and restarts; the same id is in the json access
    // log and a CGI or FastCGI program's REQUEST_ID. Quote it in your own logs.
    std::string request_id;

    // Set by the router: the pattern of the route that matched ("/hello/{name}") and its
    // parameters, percent-decoded, in pattern order.
    std::string route;
    std::vector<std::pair<std::string, std::string>> params;

    bool is_head() const { return method == "HEAD"; }
    // The path parameter `name` ("{name}" or "{name...}" in the pattern); "" when absent.
    const std::string& param(std::string_view name) const;
    // The first query parameter called `name`, percent-decoded ('+' is a space), if any.
    std::optional<std::string> query_param(std::string_view name) const;
    // Every value of a repeated query parameter, in order (`?tag=a&tag=b`).
    std::vector<std::string> query_params(std::string_view name) const;
    // The first value of header `name`, if present.
    std::optional<std::string_view> header(std::string_view name) const {
        return headers.get(name);
    }
};

// Percent-decodes `text` (RFC 3986 §2.1); with `plus_is_space`, '+' becomes ' ' as in
// application/x-www-form-urlencoded. A '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace forkd
