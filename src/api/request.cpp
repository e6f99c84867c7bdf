// forkd::Request's accessors and forkd::RequestBody: one reader for a body in memory or in
// the file the io worker spooled it to.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <system_error>

#include "api/request_renewal.hpp"
#include "forkd/request.hpp"
#include "os/io.hpp"

namespace forkd {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Calls `found(value)` for every `name=value` (or bare `name`) parameter of `query`.
template <typename Found>
void for_each_query_value(std::string_view query, std::string_view name, Found found) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view parameter = query.substr(0, amp);
        std::size_t equals = parameter.find('=');
        std::string_view key = parameter.substr(0, equals);
        std::string_view value =
            equals == std::string_view::npos ? std::string_view() : parameter.substr(equals + 1);
        if (!parameter.empty() && percent_decode(key, true) == name) found(value);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            int high = hex_value(text[i + 1]);
            int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out += static_cast<char>(high * 16 + low);
                i += 2;
                continue;
            }
        }
        out += (plus_is_space && c == '+') ? ' ' : c;
    }
    return out;
}

const std::string& Request::param(std::string_view name) const {
    static const std::string none;
    for (const auto& [key, value] : params) {
        if (key == name) return value;
    }
    return none;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
    std::optional<std::string> first;
    for_each_query_value(query, name, [&](std::string_view value) {
        if (!first) first = percent_decode(value, true);
    });
    return first;
}

std::vector<std::string> Request::query_params(std::string_view name) const {
    std::vector<std::string> values;
    for_each_query_value(query, name, [&](std::string_view value) {
        values.push_back(percent_decode(value, true));
    });
    return values;
}

RequestBody RequestBody::from_file(int fd, std::uint64_t size) {
    RequestBody body;
    body.file_ = std::shared_ptr<const int>(new int(fd), [](const int* owned) {
        Fd closed_here(*owned);
        delete owned;
    });
    body.file_size_ = size;
    return body;
}

int RequestBody::file_descriptor() const {
    return file_ ? *file_ : -1;
}

std::size_t RequestBody::read_at(std::uint64_t offset, std::span<char> out) const {
    if (offset >= size() || out.empty()) return 0;
    std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size() - offset));
    if (!file_) {
        std::memcpy(out.data(), bytes_.data() + offset, want);
        return want;
    }
    ssize_t got = os::read_at(*file_, offset, out.first(want));
    if (got < 0) throw std::system_error(errno, std::generic_category(), "request body");
    return static_cast<std::size_t>(got);
}

std::string RequestBody::text() const {
    if (!file_) return bytes_;
    std::string whole;
    if (!os::append_file_range(*file_, 0, static_cast<std::size_t>(file_size_), whole)) {
        throw std::system_error(EIO, std::generic_category(), "request body file is short");
    }
    return whole;
}

namespace api {

// Member by member, each emptied where it is: a fresh Request assigned or constructed in
// place would give back every string's and list's heap storage, and a keep-alive
// connection's next request would allocate it again (a path longer than 15 characters, the
// field list, the id).
void renew(Request& request) {
    // Names every member of Request: a member added there stops this line from compiling
    // until it is renewed here too.
    auto& [method, target, path, query, version, headers, body, remote_addr, peer_addr, scheme,
           request_id, route, params] = request;
    method.clear();
    target.clear();
    path.clear();
    query.clear();
    version = 11;  // as Request declares them, as is scheme
    headers.clear();
    body = RequestBody();
    remote_addr.clear();
    peer_addr.clear();
    scheme = "http";
    request_id.clear();
    route.clear();
    params.clear();
}

}  // namespace api
}  // namespace forkd
