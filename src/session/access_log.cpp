#include "session/access_log.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>

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
    int within = static_cast<int>(millis.count() % 1000);
    std::string text = last_text;
    text += '.';
    text += static_cast<char>('0' + within / 100);
    text += static_cast<char>('0' + within / 10 % 10);
    text += static_cast<char>('0' + within % 10);
    text += 'Z';
    return text;
}

// One JSON object built field by field into one string. The keys and the server's own
// values (numbers, the time, the request id, the route kind) need no escaping; the client's
// strings go through nlohmann-json's writer whenever they hold anything but printable ASCII
// without '"' and '\\' (which JSON writes as it is). Building an nlohmann object per line
// and dumping it cost 2.2 times the combined line's instructions per request (+24,000 on
// W1's request, docs/benchmarks.md), this a few per cent.
class JsonLine {
  public:
    explicit JsonLine(std::size_t reserve) { text_.reserve(reserve); }

    void text(std::string_view key, std::string_view value) {
        open(key);
        if (std::ranges::all_of(value, is_plain)) {
            text_ += '"';
            text_ += value;
            text_ += '"';
        } else {
            text_ += nlohmann::json(value).dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace);
        }
    }
    void text_or_null(std::string_view key, std::optional<std::string_view> value) {
        if (value) return text(key, *value);
        null(key);
    }
    void number(std::string_view key, long long value) {
        open(key);
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        text_.append(digits, end);
    }
    void null(std::string_view key) {
        open(key);
        text_ += "null";
    }
    std::string finish() {
        text_ += "}\n";
        return std::move(text_);
    }

  private:
    static bool is_plain(char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }
    void open(std::string_view key) {
        text_ += text_.empty() ? "{\"" : ",\"";
        text_ += key;
        text_ += "\":";
    }

    std::string text_;
};

std::optional<std::string_view> header_of(const Request* request, std::string_view name) {
    if (request == nullptr) return std::nullopt;
    return request->headers.get(name);
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
    JsonLine line(384);
    line.text("time", utc_time(now));
    line.text("remote", api::split_peer(record.peer).host);
    if (request != nullptr) {
        line.text("method", request->method);
        line.text("target", request->target);
        line.text("protocol", request->version == 10 ? "HTTP/1.0" : "HTTP/1.1");
    } else {
        line.null("method");
        line.null("target");
        line.null("protocol");
    }
    line.number("status", record.status);
    line.number("bytes", static_cast<long long>(record.body_bytes));
    line.number("duration_us", record.duration.count());
    line.number("queue_wait_us", record.queue_wait.count());
    line.number("worker_pid", record.worker_pid);
    line.text("route_kind", record.route_kind);
    if (request != nullptr && !request->request_id.empty()) {
        line.text("request_id", request->request_id);
    } else {
        line.null("request_id");
    }
    line.text_or_null("referer", header_of(request, "Referer"));
    line.text_or_null("user_agent", header_of(request, "User-Agent"));
    return line.finish();
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
