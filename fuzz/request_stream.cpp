#include "request_stream.hpp"

#include <algorithm>
#include <charconv>

#include "fuzz_check.hpp"
#include "http/head_scanner.hpp"

namespace forkd::fuzz {
namespace {

using http::Progress;

bool is_visible_ascii(char c) {
    return c > 0x20 && c < 0x7f;
}

bool has_line_break_or_nul(std::string_view text) {
    return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// What a handler may take for granted about a request the parser handed out.
void check_request(const Request& request, const http::Limits& limits) {
    FUZZ_CHECK(!request.method.empty() && std::ranges::all_of(request.method, http::is_tchar),
               "the method is a token");
    FUZZ_CHECK(!request.target.empty() && std::ranges::all_of(request.target, is_visible_ascii),
               "the target is visible ASCII");
    FUZZ_CHECK(request.version == 10 || request.version == 11, "the version is 1.0 or 1.1");
    FUZZ_CHECK(request.target == "*" ? request.path == "*" : request.path.starts_with('/'),
               "the path is '*' for OPTIONS * and absolute otherwise");
    FUZZ_CHECK(request.body.size() <= limits.max_body_size, "the body is within max_body_size");
    std::size_t lengths = 0;
    for (const auto& [name, value] : request.headers) {
        FUZZ_CHECK(!name.empty() && std::ranges::all_of(name, http::is_tchar),
                   "a field name is a token");
        FUZZ_CHECK(!has_line_break_or_nul(value), "a field value holds no CR, LF or NUL");
        if (!iequals(name, "Content-Length")) continue;
        ++lengths;
        std::uint64_t length = 0;
        const auto [end, error] =
            std::from_chars(value.data(), value.data() + value.size(), length);
        // "5, 5" is one length; only a plain number is compared here.
        if (error == std::errc() && end == value.data() + value.size())
            FUZZ_CHECK(request.body.size() == length, "the body has its Content-Length");
    }
    FUZZ_CHECK(lengths == 0 || !request.headers.contains("Transfer-Encoding"),
               "never both Content-Length and Transfer-Encoding");
}

// One parser over one connection's bytes, fed by a session-like buffer.
class Reader {
  public:
    Reader(std::string_view bytes, const http::Limits& limits, std::size_t max_requests)
        : bytes_(bytes), limits_(limits), max_requests_(max_requests), parser_(limits) {}

    // Offers the buffer until the parser needs more; false once the stream has ended.
    bool receive(std::size_t upto);
    RequestStream take() { return std::move(stream_); }

  private:
    bool finish_request();
    void finish_with_error(const http::ParseStep& step);

    std::string_view bytes_;
    const http::Limits& limits_;
    std::size_t max_requests_;
    http::RequestParser parser_;
    std::string buffer_;
    std::size_t received_ = 0;
    bool saw_headers_done_ = false;
    RequestStream stream_;
};

bool Reader::receive(std::size_t upto) {
    buffer_.append(bytes_.substr(received_, upto - received_));
    received_ = upto;
    while (!buffer_.empty()) {
        const http::ParseStep step = parser_.feed(buffer_);
        FUZZ_CHECK(step.consumed <= buffer_.size(), "consumed never exceeds what was offered");
        buffer_.erase(0, step.consumed);
        stream_.consumed += step.consumed;
        switch (step.progress) {
            case Progress::need_more:
                return true;
            case Progress::headers_done:
                FUZZ_CHECK(!saw_headers_done_, "headers_done at most once per request");
                FUZZ_CHECK(parser_.headers_done(), "headers_done() agrees with the step");
                saw_headers_done_ = true;
                continue;  // a session offers the rest at once
            case Progress::complete:
                if (!finish_request()) return false;
                continue;
            case Progress::error:
                finish_with_error(step);
                return false;
        }
    }
    return true;
}

bool Reader::finish_request() {
    const http::ParseStep again = parser_.feed(buffer_);
    FUZZ_CHECK(again.progress == Progress::complete && again.consumed == 0,
               "a complete request stays complete and consumes nothing more");
    FUZZ_CHECK(!parser_.expects_continue(), "no 100-continue once the body is complete");
    ParsedRequest parsed{parser_.take_request(), stream_.consumed};
    check_request(parsed.request, limits_);
    stream_.requests.push_back(std::move(parsed));
    if (stream_.requests.size() == max_requests_) {
        stream_.end = RequestStream::End::cap;
        return false;
    }
    parser_.reset();
    saw_headers_done_ = false;
    return true;
}

void Reader::finish_with_error(const http::ParseStep& step) {
    FUZZ_CHECK(step.error_status >= 400 && step.error_status <= 505 && !step.error_reason.empty(),
               "an error has a 4xx/5xx status and a reason");
    // Whatever arrives next, the answer stays the same and nothing more is taken.
    const std::string more = buffer_ + std::string(bytes_.substr(received_)) + "\r\n\r\n";
    const http::ParseStep again = parser_.feed(more);
    FUZZ_CHECK(again.progress == Progress::error && again.consumed == 0 &&
                   again.error_status == step.error_status,
               "a rejected request stays rejected");
    stream_.end = RequestStream::End::error;
    stream_.error_status = step.error_status;
    stream_.error_reason = step.error_reason;
}

}  // namespace

RequestStream read_requests(std::string_view bytes, const std::vector<std::size_t>& cuts,
                            const http::Limits& limits, std::size_t max_requests) {
    Reader reader(bytes, limits, max_requests);
    for (const std::size_t cut : cuts)
        if (!reader.receive(cut)) return reader.take();
    reader.receive(bytes.size());
    return reader.take();
}

void check_same(const RequestStream& whole, const RequestStream& split) {
    FUZZ_CHECK(whole.end == split.end, "split input ends the same way");
    FUZZ_CHECK(whole.error_status == split.error_status, "split input gets the same status");
    FUZZ_CHECK(whole.error_reason == split.error_reason, "split input gets the same reason");
    FUZZ_CHECK(whole.requests.size() == split.requests.size(), "split input: as many requests");
    if (whole.end == RequestStream::End::incomplete)
        FUZZ_CHECK(whole.consumed == split.consumed, "split input: as many bytes consumed");
    for (std::size_t i = 0; i < whole.requests.size(); ++i) {
        const Request& a = whole.requests[i].request;
        const Request& b = split.requests[i].request;
        FUZZ_CHECK(whole.requests[i].end == split.requests[i].end, "split: same request ends");
        FUZZ_CHECK(a.method == b.method && a.target == b.target && a.version == b.version,
                   "split input: same request line");
        FUZZ_CHECK(a.path == b.path && a.query == b.query, "split input: same path and query");
        FUZZ_CHECK(a.body.text() == b.body.text(), "split input: same body");
        FUZZ_CHECK(std::ranges::equal(a.headers, b.headers), "split input: same header fields");
    }
}

}  // namespace forkd::fuzz
