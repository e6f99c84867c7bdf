#include "session/access_log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

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

// The time in UTC with milliseconds (RFC 3339), its seconds formatted once per second.
std::string utc_time(std::chrono::system_clock::time_point now) {
    static std::time_t last_second = -1;
    static std::string last_text;
    std::time_t second = std::chrono::system_clock::to_time_t(now);
    if (second != last_second) {
        last_second = second;
        last_text = fmt::format("{:%Y-%m-%dT%H:%M:%S}", fmt::gmtime(second));
    }
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
    return fmt::format("{}.{:03}Z", last_text, millis.count() % 1000);
}

using Json = nlohmann::ordered_json;

Json header_or_null(const Request* request, std::string_view name) {
    if (request == nullptr) return nullptr;
    auto value = request->headers.get(name);
    return value ? Json(*value) : Json(nullptr);
}

}  // namespace

AccessLog::AccessLog(const std::string& path, config::AccessLogFormat format)
    : path_(path), format_(format), fd_(os::open_for_append(path)) {}

void AccessLog::reopen() {
    if (path_.empty()) return;
    try {
        fd_ = os::open_for_append(path_);
    } catch (const std::exception& e) {
        log::error("access_log: {}", e.what());
    }
}

std::string_view route_kind(const Handler* handler, const Request& request) {
    if (handler == nullptr) return "none";
    return handler->dispatch(request) == Dispatch::inline_ ? "inline" : "blocking";
}

std::string format_combined(const AccessRecord& record, std::time_t now) {
    const Request* request = record.request;
    std::string request_line = "-";
    if (request != nullptr) {
        request_line =
            fmt::format("{} {} HTTP/{}.{}", escaped(request->method), escaped(request->target),
                        request->version / 10, request->version % 10);
    }
    return fmt::format("{} - - [{:%d/%b/%Y:%H:%M:%S %z}] \"{}\" {} {} \"{}\" \"{}\"\n",
                       api::split_peer(record.peer).host, fmt::localtime(now), request_line,
                       record.status, record.body_bytes, header_or_dash(request, "Referer"),
                       header_or_dash(request, "User-Agent"));
}

// One object with the same keys in the same order on every line; what is unknown (the
// request line of bytes that did not parse, a missing header) is null. Strings are the
// client's bytes, escaped by the JSON writer: quotes and control characters cannot end a
// line or forge a field, and invalid UTF-8 becomes U+FFFD rather than a line lost.
std::string format_json(const AccessRecord& record, std::chrono::system_clock::time_point now) {
    const Request* request = record.request;
    Json line;
    line["time"] = utc_time(now);
    line["remote"] = api::split_peer(record.peer).host;
    if (request != nullptr) {
        line["method"] = request->method;
        line["target"] = request->target;
        line["protocol"] = request->version == 10 ? "HTTP/1.0" : "HTTP/1.1";
    } else {
        line["method"] = nullptr;
        line["target"] = nullptr;
        line["protocol"] = nullptr;
    }
    line["status"] = record.status;
    line["bytes"] = record.body_bytes;
    line["duration_us"] = record.duration.count();
    line["queue_wait_us"] = record.queue_wait.count();
    line["worker_pid"] = record.worker_pid;
    line["route_kind"] = record.route_kind;
    if (request != nullptr && !request->request_id.empty()) {
        line["request_id"] = request->request_id;
    } else {
        line["request_id"] = nullptr;
    }
    line["referer"] = header_or_null(request, "Referer");
    line["user_agent"] = header_or_null(request, "User-Agent");
    std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
    text += '\n';
    return text;
}

void AccessLog::write(const AccessRecord& record) {
    if (!enabled()) return;
    if (format_ == config::AccessLogFormat::json) {
        os::append_line(fd_.get(), format_json(record, std::chrono::system_clock::now()));
    } else {
        os::append_line(fd_.get(), format_combined(record, std::time(nullptr)));
    }
}

}  // namespace forkd::session
