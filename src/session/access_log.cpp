#include "session/access_log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "api/peer_address.hpp"
#include "base/log.hpp"
#include "os/io.hpp"

namespace forkd::session {
namespace {

// Quoted fields escape '"', '\\' and control bytes, so a client cannot forge log lines.
std::string escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02X}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string header_or_dash(const Request* request, std::string_view name) {
    if (request == nullptr) return "-";
    auto value = request->headers.get(name);
    return value ? escaped(*value) : "-";
}

}  // namespace

AccessLog::AccessLog(const std::string& path) : path_(path), fd_(os::open_for_append(path)) {}

void AccessLog::reopen() {
    if (path_.empty()) return;
    try {
        fd_ = os::open_for_append(path_);
    } catch (const std::exception& e) {
        log::error("access_log: {}", e.what());
    }
}

std::string format_combined(const std::string& peer, const Request* request, int status,
                            std::size_t body_bytes, std::time_t now) {
    std::string request_line = "-";
    if (request != nullptr) {
        request_line =
            fmt::format("{} {} HTTP/{}.{}", escaped(request->method), escaped(request->target),
                        request->version / 10, request->version % 10);
    }
    return fmt::format("{} - - [{:%d/%b/%Y:%H:%M:%S %z}] \"{}\" {} {} \"{}\" \"{}\"\n",
                       api::split_peer(peer).host, fmt::localtime(now), request_line, status,
                       body_bytes, header_or_dash(request, "Referer"),
                       header_or_dash(request, "User-Agent"));
}

void AccessLog::write(const std::string& peer, const Request* request, int status,
                      std::size_t body_bytes) {
    if (!enabled()) return;
    os::append_line(fd_.get(),
                    format_combined(peer, request, status, body_bytes, std::time(nullptr)));
}

}  // namespace forkd::session
