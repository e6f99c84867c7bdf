// forkd's embedding API: the request a handler receives.
//
// A Request is a parsed, validated HTTP/1.1 request: the framing rules of RFC 9112 have
// already been enforced and the body (if any) has been read whole. Handlers never see
// malformed input. The string views point into storage owned by the Request itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forkd {

// Header fields in arrival order; names compare case-insensitively (RFC 9110 §5.1).
class Headers {
  public:
    void add(std::string name, std::string value);
    // Replaces every field called `name` with one field.
    void set(std::string name, std::string value);
    void remove(std::string_view name);
    // The first value of `name`, if present.
    std::optional<std::string_view> get(std::string_view name) const;
    bool contains(std::string_view name) const { return get(name).has_value(); }
    std::size_t count(std::string_view name) const;

    auto begin() const { return fields_.begin(); }
    auto end() const { return fields_.end(); }
    std::size_t size() const { return fields_.size(); }
    bool empty() const { return fields_.empty(); }

  private:
    std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b);

struct Request {
    std::string method;  // "GET", "HEAD", ... as sent (methods are case-sensitive)
    std::string target;  // the request-target as sent: "/a?b", "http://h/a", "*"
    std::string path;    // target's path, not percent-decoded ("*" for "OPTIONS *")
    std::string query;   // what follows '?', without it; empty when absent
    int version = 11;    // 10 for HTTP/1.0, 11 for HTTP/1.1
    Headers headers;
    std::string body;         // decoded body (chunked coding removed)
    std::string remote_addr;  // "127.0.0.1:51234", "[::1]:40000" or "unix"

    bool is_head() const { return method == "HEAD"; }
};

}  // namespace forkd
