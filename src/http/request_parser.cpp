#include "http/request_parser.hpp"

#include <algorithm>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "api/request_renewal.hpp"
#include "http/bodiless_head.hpp"
#include "http/field_text.hpp"
#include "http/framing_rules.hpp"
#include "http/head_scanner.hpp"

namespace forkd::http {

namespace {

namespace beast = boost::beast;
using beast::error_code;
using beast::string_view;

// The most memory reserved for a body ahead of its bytes.
constexpr std::size_t kBodyReserve = 64 * 1024;

// Beast's tokenizer, told to collect into a Request. The head reaches it only after the
// HeadScanner accepted it whole; the framing rules run in on_header_impl, i.e. after Beast
// has read every field and before it reads a byte of the body.
class BeastRequestParser final : public beast::http::basic_parser<true> {
  public:
    BeastRequestParser(const Limits& limits, Request& request)
        : limits_(limits), request_(request) {
        // The scanner enforces the two head limits; Beast's single one must not interfere.
        header_limit(std::numeric_limits<std::uint32_t>::max());
        // Body limits are ours too, so that 413 is decided in one place. Not boost::none:
        // Beast 1.74 compares `len_ > body_limit_` with an empty optional, which is always
        // true, so every request with a Content-Length would fail with body_limit.
        body_limit(std::numeric_limits<std::uint64_t>::max());
    }

    const std::optional<ParseError>& rejection() const { return rejection_; }
    // The bytes of the put() about to be made (for check_trailers).
    void offer(std::string_view bytes) { input_ = bytes; }
    // Before the first chunk with data, Beast expects no CRLF ahead of the next chunk line.
    bool before_first_chunk() const { return chunked() && !saw_chunk_; }

  private:
    void on_request_impl(beast::http::verb, string_view method, string_view target, int version,
                         error_code&) override {
        request_.method = std::string(method);
        request_.target = std::string(target);
        request_.version = version;
    }

    void on_response_impl(int, string_view, int, error_code& ec) override {
        ec = beast::http::error::bad_version;  // never called for a request parser
    }

    void on_field_impl(beast::http::field, string_view name, string_view value,
                       error_code&) override {
        // After the head, Beast reports the chunked body's trailer fields here: forkd
        // discards them (RFC 9110 §6.5.2 lets a recipient do so).
        if (!in_trailers_)
            request_.headers.add_copy({name.data(), name.size()}, {value.data(), value.size()});
    }

    void on_header_impl(error_code& ec) override {
        in_trailers_ = true;
        BodyFraming framing;
        rejection_ = check_fields(request_, limits_, framing);
        if (!rejection_) rejection_ = split_target(request_);
        if (!rejection_ && !agrees_with_beast(framing))
            rejection_ = ParseError{400, "ambiguous message framing"};
        if (rejection_) ec = beast::http::error::bad_value;
    }

    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        // Capped: the caller may move a large body out as it comes (take_held_body), and a
        // declared length is no reason to reserve memory before a byte arrived.
        if (length) request_.body.reserve(std::min<std::size_t>(*length, kBodyReserve));
    }

    std::size_t on_body_impl(string_view piece, error_code&) override {
        append_body(piece);
        return piece.size();
    }

    void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override {
        saw_chunk_ = true;
        if (size > limits_.max_body_size - body_size_) {
            rejection_ = ParseError{413, "request body too large"};
            ec = beast::http::error::body_limit;
            return;
        }
        rejection_ = check_chunk_extensions({extensions.data(), extensions.size()});
        if (!rejection_ && size == 0) rejection_ = check_trailers(extensions);
        if (rejection_) ec = beast::http::error::bad_value;
    }

    // Beast announces the last chunk only once the whole trailer section is in the bytes of
    // this put(), and its extensions end at the line's CRLF, so the raw section follows them.
    // Beast would accept (and unfold) obs-fold there: the head's field-line rules apply.
    std::optional<ParseError> check_trailers(string_view extensions) const {
        const char* line_end = extensions.data() + extensions.size();
        if (line_end < input_.data() || input_.data() + input_.size() - line_end < 2 ||
            std::string_view(line_end, 2) != "\r\n")
            return ParseError{400, "malformed last chunk"};  // not where Beast 1.74 puts it
        const auto offset = static_cast<std::size_t>(line_end + 2 - input_.data());
        return check_trailer_section(input_.substr(offset));
    }

    std::size_t on_chunk_body_impl(std::uint64_t, string_view piece, error_code&) override {
        append_body(piece);
        return piece.size();
    }

    void append_body(string_view piece) {
        request_.body.append(std::string_view(piece.data(), piece.size()));
        body_size_ += piece.size();
    }

    void on_finish_impl(error_code&) override {}

    // Our rules decided the framing; Beast will read the body by its own flags. If the two
    // ever disagreed, a second request could hide in this one's body: refuse instead.
    bool agrees_with_beast(const BodyFraming& framing) const {
        const auto beast_length = content_length();
        switch (framing.kind) {
            case BodyFraming::Kind::chunked:
                return chunked() && !beast_length;
            case BodyFraming::Kind::length:
                return !chunked() && beast_length && *beast_length == framing.length;
            case BodyFraming::Kind::none:
                return !chunked() && !beast_length;
        }
        return false;
    }

    const Limits& limits_;
    Request& request_;
    std::size_t body_size_ = 0;  // decoded so far, including bytes the caller took
    std::string_view input_;
    bool in_trailers_ = false;
    bool saw_chunk_ = false;
    std::optional<ParseError> rejection_;
};

enum class Phase { head, body, complete, error };

// Beast 1.74 asserts (basic_parser.ipp, parse_chunk_header: `n >= 5`) that, once it has read
// the last-chunk line, it is offered at least 5 bytes; a body beginning "0\r\n" that arrives
// in pieces breaks that in debug builds. Beast would only answer need_more to such bytes
// (the shortest end, "0\r\n\r\n", is 5 bytes), so not offering them changes no outcome.
// After a data chunk the next line starts with the CRLF, so the case cannot arise there.
bool trips_last_chunk_assert(std::string_view bytes) {
    // A CR without LF before the line end is an error Beast must still see.
    const auto line_end = bytes.find("\r\n");
    return bytes.size() < 5 && bytes.starts_with('0') && line_end != bytes.npos &&
           bytes.find('\r') == line_end;
}

ParseStep step_of(Progress progress, std::size_t consumed) {
    ParseStep step;
    step.progress = progress;
    step.consumed = consumed;
    return step;
}

}  // namespace

struct RequestParser::State {
    State(const Limits& l, HeadReading r)
        : limits(l),
          bodiless(request),
          scanner(l, r == HeadReading::bodiless_without_beast ? &bodiless : nullptr) {}

    Limits limits;
    Request request;
    BodilessHead bodiless;  // reads the head as the scanner checks it, unless Beast must
    HeadScanner scanner;
    std::optional<BeastRequestParser> beast;  // made for a head Beast reads, not before
    Phase phase = Phase::head;
    ParseStep failure;
    bool expects_continue = false;

    ParseStep fail(const ParseError& error, std::size_t consumed);
    ParseStep fail_from_beast(const error_code& ec, std::size_t consumed);
    ParseStep feed_head(std::string_view bytes);
    ParseStep finish_bodiless_head(std::size_t consumed);
    ParseStep feed_body(std::string_view bytes, std::size_t consumed);
};

ParseStep RequestParser::State::fail(const ParseError& error, std::size_t consumed) {
    phase = Phase::error;
    failure = step_of(Progress::error, 0);
    failure.error_status = error.status;
    failure.error_reason = error.reason;
    ParseStep step = failure;
    step.consumed = consumed;
    return step;
}

ParseStep RequestParser::State::fail_from_beast(const error_code& ec, std::size_t consumed) {
    if (beast->rejection()) return fail(*beast->rejection(), consumed);
    return fail(ParseError{400, ec.message()}, consumed);
}

ParseStep RequestParser::State::feed_head(std::string_view bytes) {
    std::size_t consumed = 0;
    if (!scanner.in_head()) {
        consumed = scanner.skip_empty_lines(bytes);
        if (scanner.error()) return fail(*scanner.error(), consumed);
        bytes.remove_prefix(consumed);
        if (!scanner.in_head()) return step_of(Progress::need_more, consumed);
    }
    switch (scanner.scan(bytes)) {
        case HeadScanner::Result::need_more:
            return step_of(Progress::need_more, consumed);
        case HeadScanner::Result::error:
            return fail(*scanner.error(), consumed);
        case HeadScanner::Result::done:
            break;
    }
    std::string_view head = bytes.substr(0, scanner.head_size());
    if (scanner.reads_without_beast()) {
        if (bodiless.read()) return finish_bodiless_head(consumed + head.size());
        request.headers.clear();  // the fields read before the one Beast must interpret
    }
    // Beast stops after the header when not eager, so the body is read by feed_body below.
    error_code ec;
    // RFC 9110 §2.5: a higher minor version of HTTP/1 is processed as 1.1. Beast 1.74 refuses
    // versions above 1.1, so it reads a copy that says 1.1 (the scanner let only
    // "HTTP/1.<digit>\r\n" end the request line).
    std::string as_http11;
    if (const std::size_t minor = head.find('\n') - 2; head[minor] > '1') {
        as_http11 = head;
        as_http11[minor] = '1';
        head = as_http11;
    }
    beast.emplace(limits, request);
    const std::size_t n = beast->put(boost::asio::buffer(head.data(), head.size()), ec);
    if (ec) return fail_from_beast(ec, consumed);
    if (n != head.size()) return fail(ParseError{400, "malformed header section"}, consumed);
    consumed += n;
    if (beast->is_done()) {
        phase = Phase::complete;
        return step_of(Progress::complete, consumed);
    }
    phase = Phase::body;
    beast->eager(true);
    expects_continue = asks_for_continue(request);
    ParseStep step = feed_body(bytes.substr(n), consumed);
    // Announce the end of the head once, unless the body was already complete or wrong.
    if (step.progress == Progress::need_more) step.progress = Progress::headers_done;
    return step;
}

// The checks Beast's path makes once the fields are in (BeastRequestParser::on_header_impl),
// for a head read without Beast: it announced no body, so the framing must say none.
ParseStep RequestParser::State::finish_bodiless_head(std::size_t consumed) {
    BodyFraming framing;
    std::optional<ParseError> rejection = check_fields(request, limits, bodiless.seen(), framing);
    if (!rejection) rejection = split_target(request);
    if (!rejection && framing.kind != BodyFraming::Kind::none)
        rejection = ParseError{400, "ambiguous message framing"};
    if (rejection) return fail(*rejection, consumed - scanner.head_size());
    phase = Phase::complete;
    return step_of(Progress::complete, consumed);
}

// Offers Beast the body in windows of at most max_header_size bytes. Chunk data is always
// consumed, so Beast refusing a whole window means a chunk-size line, or the last chunk with
// its trailer section, is longer than that: refused, so that the caller's buffer stays bounded.
ParseStep RequestParser::State::feed_body(std::string_view bytes, std::size_t consumed) {
    const std::size_t window = std::max<std::size_t>(limits.max_header_size, 64);
    while (!bytes.empty()) {
        if (beast->before_first_chunk() && trips_last_chunk_assert(bytes)) break;
        const std::string_view piece = bytes.substr(0, window);
        error_code ec;
        beast->offer(piece);
        const std::size_t n = beast->put(boost::asio::buffer(piece.data(), piece.size()), ec);
        consumed += n;
        bytes.remove_prefix(n);
        if (ec == beast::http::error::need_more) {
            if (n > 0) continue;
            if (piece.size() < window) break;
            return fail(ParseError{431, "chunk line or trailer section too large"}, consumed);
        }
        if (ec) return fail_from_beast(ec, consumed);
        if (beast->is_done()) {
            phase = Phase::complete;
            expects_continue = false;
            return step_of(Progress::complete, consumed);
        }
    }
    return step_of(Progress::need_more, consumed);
}

RequestParser::RequestParser(const Limits& limits, HeadReading reading)
    : state_(std::make_unique<State>(limits, reading)) {}

RequestParser::~RequestParser() = default;

ParseStep RequestParser::feed(std::string_view bytes) {
    switch (state_->phase) {
        case Phase::head:
            return state_->feed_head(bytes);
        case Phase::body:
            return state_->feed_body(bytes, 0);
        case Phase::complete:
            return step_of(Progress::complete, 0);
        case Phase::error:
            return state_->failure;
    }
    return state_->failure;
}

bool RequestParser::headers_done() const {
    return state_->phase == Phase::body || state_->phase == Phase::complete;
}

bool RequestParser::expects_continue() const {
    return state_->expects_continue;
}

Request RequestParser::take_request() {
    return std::move(state_->request);
}

Request& RequestParser::request() {
    return state_->request;
}

std::size_t RequestParser::held_body_size() const {
    return state_->request.body.size();
}

std::string RequestParser::take_held_body() {
    return state_->request.body.take_bytes();
}

// In place: a keep-alive connection reads many requests, and a new State per request was an
// allocation and a deallocation of a few hundred bytes each time.
void RequestParser::reset() {
    State& state = *state_;
    state.scanner.restart();
    state.beast.reset();  // it refers to the request
    api::renew(state.request);
    state.bodiless.restart();
    state.phase = Phase::head;
    state.failure = ParseStep{};
    state.expects_continue = false;
}

void RequestParser::set_limits(const Limits& limits) {
    state_->limits = limits;
    state_->scanner.set_limits(limits);
}

const Limits& RequestParser::limits() const {
    return state_->limits;
}

// RFC 9112 §9.3: 1.1 stays open unless a Connection field lists "close"; 1.0 closes unless
// one lists "keep-alive" (and none "close"). One walk over the fields answers both.
bool wants_keep_alive(const Request& request) {
    bool keep_alive = request.version >= 11;
    for (const auto& [name, value] : request.headers) {
        if (!iequals(name, "Connection")) continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const std::string_view token = trim_ows(rest.substr(0, comma));
            if (iequals(token, "close")) return false;
            if (iequals(token, "keep-alive")) keep_alive = true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return keep_alive;
}

}  // namespace forkd::http
