// The request line and the header section: limits, byte rules, versions, targets. Every case
// goes through grind(), which feeds it at every split point and byte by byte.
#include <gtest/gtest.h>

#include <string>

#include "http/request_parser.hpp"
#include "parse_grind.hpp"

namespace forkd::http {
namespace {

using testing::grind;
using testing::Outcome;

Outcome expect_complete(std::string_view bytes, const Limits& limits = Limits{}) {
    Outcome outcome = grind(bytes, limits);
    EXPECT_EQ(outcome.progress, Progress::complete) << outcome.status << " " << outcome.reason;
    return outcome;
}

void expect_rejected(std::string_view bytes, int status, const Limits& limits = Limits{}) {
    const Outcome outcome = grind(bytes, limits);
    EXPECT_EQ(outcome.progress, Progress::error);
    EXPECT_EQ(outcome.status, status) << outcome.reason;
    EXPECT_FALSE(outcome.reason.empty());
}

Limits small_limits() {
    Limits limits;
    limits.max_request_line = 32;
    limits.max_header_size = 64;
    limits.max_body_size = 16;
    return limits;
}

TEST(RequestParser, ParsesASimpleGet) {
    const Outcome out =
        expect_complete("GET /index.html HTTP/1.1\r\nHost: a\r\nX-A:  b c \r\n\r\n");
    EXPECT_EQ(out.request.method, "GET");
    EXPECT_EQ(out.request.target, "/index.html");
    EXPECT_EQ(out.request.path, "/index.html");
    EXPECT_EQ(out.request.query, "");
    EXPECT_EQ(out.request.version, 11);
    EXPECT_EQ(out.request.headers.get("x-a"), "b c");
    EXPECT_EQ(out.headers_done_count, 0);
}

TEST(RequestParser, SkipsEmptyLinesBeforeTheRequestLine) {
    const Outcome out = expect_complete("\r\n\n\r\nGET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(out.request.version, 10);
    EXPECT_EQ(out.leftover, "");
}

TEST(RequestParser, RejectsTooManyEmptyLinesBeforeTheRequestLine) {
    expect_rejected(std::string(33, '\n') + "GET / HTTP/1.0\r\n\r\n", 400, small_limits());
    expect_complete(std::string(32, '\n') + "GET / HTTP/1.0\r\n\r\n", small_limits());
}

TEST(RequestParser, LeavesPipelinedRequestsInTheCallersBuffer) {
    const std::string second = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    const Outcome out = expect_complete("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" + second);
    EXPECT_EQ(out.request.path, "/1");
    EXPECT_EQ(out.leftover, second);
    const Outcome with_body =
        expect_complete("POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" + second);
    EXPECT_EQ(with_body.request.body.text(), "abc");
    EXPECT_EQ(with_body.leftover, second);
}

TEST(RequestParser, ParsesTheNextRequestAfterReset) {
    RequestParser parser{Limits{}};
    ASSERT_EQ(parser.feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n").progress, Progress::complete);
    EXPECT_EQ(parser.take_request().path, "/1");
    parser.reset();
    ASSERT_EQ(parser.feed("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n").progress, Progress::complete);
    EXPECT_EQ(parser.take_request().path, "/2");
}

// The io worker answers the parser's request in place and resets it: whatever the last
// request had or was given (fields, id, body, address) must not show in the next one.
TEST(RequestParser, ARequestUsedInPlaceLeavesNothingToTheNextAfterReset) {
    RequestParser parser{Limits{}};
    ASSERT_EQ(parser
                  .feed("POST /1?a=b HTTP/1.0\r\nHost: a\r\nX-One: 1\r\nX-Two: 2\r\n"
                        "Content-Length: 3\r\n\r\nabc")
                  .progress,
              Progress::complete);
    Request& first = parser.request();
    EXPECT_EQ(first.headers.size(), 4u);
    first.request_id = "an-id-longer-than-any-small-string";
    first.remote_addr = "192.0.2.1";
    first.route = "/1";
    parser.reset();
    ASSERT_EQ(parser.feed("GET /2 HTTP/1.1\r\nHost: b\r\n\r\n").progress, Progress::complete);
    const Request& second = parser.request();
    EXPECT_EQ(second.method, "GET");
    EXPECT_EQ(second.path, "/2");
    EXPECT_EQ(second.query, "");
    EXPECT_EQ(second.version, 11);
    ASSERT_EQ(second.headers.size(), 1u);
    EXPECT_EQ(second.header("Host"), "b");
    EXPECT_FALSE(second.header("X-One"));
    EXPECT_EQ(second.body.size(), 0u);
    EXPECT_EQ(second.request_id, "");
    EXPECT_EQ(second.remote_addr, "");
    EXPECT_EQ(second.route, "");
}

TEST(RequestParser, RejectsALongRequestLineWith414) {
    expect_rejected("GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414,
                    small_limits());
    // 32 bytes exactly is still fine.
    expect_complete("GET /" + std::string(18, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n",
                    small_limits());
}

TEST(RequestParser, DetectsALongRequestLineBeforeItEnds) {
    expect_rejected("GET /" + std::string(40, 'a'), 414, small_limits());
    RequestParser parser(small_limits());
    EXPECT_EQ(parser.feed(std::string(32, 'G')).progress, Progress::need_more);
    EXPECT_EQ(parser.feed(std::string(32, 'G') + "\r").progress, Progress::need_more);
    EXPECT_EQ(parser.feed(std::string(33, 'G')).error_status, 414);
}

TEST(RequestParser, RejectsALargeHeaderSectionWith431) {
    // The section counts from after the request line up to and including the blank line.
    const std::string at_limit = "A: " + std::string(57, 'x') + "\r\n\r\n";  // 64 bytes
    ASSERT_EQ(at_limit.size(), 64u);
    expect_complete("GET / HTTP/1.0\r\n" + at_limit, small_limits());
    expect_rejected("GET / HTTP/1.0\r\nA: " + std::string(58, 'x') + "\r\n\r\n", 431,
                    small_limits());
    expect_rejected("GET / HTTP/1.0\r\n" + std::string(10, 'A') + ": 1\r\nB: 2\r\n" +
                        std::string(50, 'C') + ": 3\r\n\r\n",
                    431, small_limits());
}

TEST(RequestParser, DetectsALargeHeaderSectionBeforeItEnds) {
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(60, 'x'), 431, small_limits());
}

TEST(RequestParser, RejectsUnsupportedVersionsWith505) {
    expect_rejected("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    expect_rejected("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505);
    expect_rejected("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
    expect_rejected("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
    expect_rejected("GET /\r\n", 505);  // HTTP/0.9
}

// RFC 9110 §2.5, RFC 9112 §2.3: a higher minor version of HTTP/1 is processed as 1.1.
TEST(RequestParser, ReadsAHigherMinorVersionOfHttp1As11) {
    for (const char* version : {"HTTP/1.2", "HTTP/1.9"}) {
        const Outcome out =
            expect_complete(std::string("GET /a ") + version + "\r\nHost: a\r\n\r\n");
        EXPECT_EQ(out.request.version, 11) << version;
        EXPECT_EQ(out.request.path, "/a");
    }
    // As 1.1 it needs a Host and may announce a chunked body.
    expect_rejected("GET / HTTP/1.2\r\n\r\n", 400);
    const Outcome out = expect_complete(
        "POST / HTTP/1.2\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(out.request.body.text(), "abc");
    EXPECT_EQ(expect_complete("GET / HTTP/1.0\r\n\r\n").request.version, 10);
}

TEST(RequestParser, RejectsMalformedVersionsWith400) {
    for (const char* version : {"HTTP/1", "http/1.1", "HTTP/1.1x", "HTTP/11.1", "HTTP/1.a", "HTTP"})
        expect_rejected(std::string("GET / ") + version + "\r\nHost: a\r\n\r\n", 400);
}

TEST(RequestParser, RejectsMalformedRequestLines) {
    expect_rejected("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
    expect_rejected("GET\r\nHost: a\r\n\r\n", 400);
    expect_rejected("GET /\ta HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_rejected("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(RequestParser, PassesUnknownMethodsThrough) {
    EXPECT_EQ(expect_complete("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n").request.method, "BREW");
}

TEST(RequestParser, RejectsBareLineFeedLineEndings) {
    expect_rejected("GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost: a\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
}

TEST(RequestParser, RejectsObsoleteLineFolding) {
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
}

TEST(RequestParser, RejectsABareCarriageReturn) {
    expect_rejected("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
    expect_rejected("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\n\rX: b\r\n\r\n", 400);
    expect_rejected("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(RequestParser, RejectsControlCharactersInFieldValues) {
    for (char c : {'\0', '\x01', '\x1f', '\x7f'})
        expect_rejected(std::string("GET / HTTP/1.1\r\nHost: a\r\nX: a") + c + "b\r\n\r\n", 400);
}

// Puts every byte value (but those `skipped`) at each of 20 places of a 20-byte piece that
// `head_with` puts into a request, and expects the parser to accept exactly the `allowed`.
// The checks look at eight bytes at a time, so a byte must be judged wherever it falls in
// a word.
template <typename HeadWith, typename Skipped, typename Allowed>
void expect_every_byte_judged(HeadWith head_with, Skipped skipped, Allowed allowed) {
    for (int byte = 0; byte < 256; ++byte) {
        const char c = static_cast<char>(byte);
        if (skipped(c)) continue;
        for (std::size_t place = 0; place < 20; ++place) {
            std::string piece(20, 'p');
            piece[place] = c;
            RequestParser parser(Limits{});
            const ParseStep step = parser.feed(head_with(piece));
            EXPECT_EQ(step.progress, allowed(byte) ? Progress::complete : Progress::error)
                << "byte " << byte << " at " << place;
        }
    }
}

// RFC 9110 §5.5: a field value admits HTAB, SP, VCHAR and obs-text, nothing else.
TEST(RequestParser, JudgesEveryByteOfAFieldValueWhereverItIs) {
    expect_every_byte_judged(
        [](const std::string& value) {
            return "GET / HTTP/1.1\r\nHost: a\r\nX: v" + value + "v\r\n\r\n";
        },
        [](char c) { return c == '\r' || c == '\n'; },  // they end the line
        [](int byte) { return byte == '\t' || (byte >= 0x20 && byte != 0x7f); });
}

// A request-target admits visible ASCII only (0x21 to 0x7e).
TEST(RequestParser, JudgesEveryByteOfATargetWhereverItIs) {
    expect_every_byte_judged(
        [](const std::string& target) { return "GET /" + target + " HTTP/1.1\r\nHost: a\r\n\r\n"; },
        [](char c) { return c == '\r' || c == '\n' || c == ' '; },  // they end a part
        [](int byte) { return byte > 0x20 && byte < 0x7f; });
}

TEST(RequestParser, AcceptsObsTextInFieldValues) {
    const Outcome out = expect_complete("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\t!\r\n\r\n");
    EXPECT_EQ(out.request.headers.get("X"), "caf\xc3\xa9\t!");
}

TEST(RequestParser, RejectsWhitespaceBetweenFieldNameAndColon) {
    expect_rejected("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400);
}

TEST(RequestParser, RejectsEmptyAndInvalidFieldNames) {
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nX(Y): b\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", 400);
}

TEST(RequestParser, RequiresExactlyOneHostInHttp11) {
    expect_rejected("GET / HTTP/1.1\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400);
    expect_complete("GET / HTTP/1.0\r\n\r\n");
}

// RFC 9112 §3.2: Host = uri-host [ ":" port ] (RFC 3986 §3.2.2-3.2.3), else 400.
TEST(RequestParser, AcceptsEveryHostFormOfRfc3986) {
    for (const char* host :
         {"", "a", "example.com", "example.com.", "EXAMPLE.com:8080", "example.com:", "my_host",
          "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:80", "[2001:db8::7]:", "[::ffff:1.2.3.4]",
          "[v1.fe80::a+en1]", "a%2Fb", "a~b-c", "!$&'()*+,;=", ":80"})
        expect_complete(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n");
}

TEST(RequestParser, RejectsAnInvalidHostWith400) {
    for (const char* host : {"bad/host name",
                             "a/b",
                             "a b",
                             "a@b",
                             "user@example.com",
                             "a:b",
                             "a:80:80",
                             "a:-1",
                             "a:8 0",
                             "a%2",
                             "a%zz",
                             "a?b",
                             "a#b",
                             "a\"b",
                             "a<b>",
                             "a[b]",
                             "[::1",
                             "[::1]x",
                             "[::1]:a",
                             "[zz]",
                             "[]",
                             "::1",
                             "[v1]",
                             "[v.x]",
                             "a\\b",
                             "a{b}",
                             "a|b",
                             "a^b"})
        expect_rejected(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n", 400);
    expect_rejected("GET / HTTP/1.0\r\nHost: a/b\r\n\r\n", 400);
}

TEST(RequestParser, SplitsTheTargetAtTheFirstQuestionMark) {
    const Outcome out = expect_complete("GET /a%20b?x=1?y=2 HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(out.request.path, "/a%20b");
    EXPECT_EQ(out.request.query, "x=1?y=2");
    EXPECT_EQ(expect_complete("GET /?sleep HTTP/1.1\r\nHost: a\r\n\r\n").request.query, "sleep");
    EXPECT_EQ(expect_complete("GET /? HTTP/1.1\r\nHost: a\r\n\r\n").request.query, "");
}

TEST(RequestParser, SplitsAnAbsoluteFormTarget) {
    Outcome out = expect_complete("GET http://example.com/a?b HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(out.request.target, "http://example.com/a?b");
    EXPECT_EQ(out.request.path, "/a");
    EXPECT_EQ(out.request.query, "b");
    out = expect_complete("GET HTTPS://example.com:8443 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(out.request.path, "/");
    out = expect_complete("GET http://example.com?q HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(out.request.path, "/");
    EXPECT_EQ(out.request.query, "q");
    expect_rejected("GET ftp://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    expect_rejected("GET http:///a HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    // Found by fuzz/request_differential: an absolute-form target with nothing after "//".
    expect_rejected("GET http:// HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    // The authority follows the Host field's rule; an http URI needs a host (RFC 9110 §4.2.1).
    for (const char* authority : {"[::1]:8080", "my_host.", "a%41:", "127.0.0.1"})
        EXPECT_EQ(expect_complete(std::string("GET http://") + authority +
                                  "/p HTTP/1.1\r\nHost: x\r\n\r\n")
                      .request.path,
                  "/p");
    for (const char* authority :
         {"user@example.com", "a:b", "[::1", "a\"b", "a#frag", ":80", "[zz]:80", "a%4"})
        expect_rejected(std::string("GET http://") + authority + "/p HTTP/1.1\r\nHost: x\r\n\r\n",
                        400);
}

TEST(RequestParser, KeepsTheAsteriskOfOptionsAsThePath) {
    const Outcome out = expect_complete("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(out.request.path, "*");
    EXPECT_EQ(out.request.target, "*");
    expect_rejected("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

TEST(RequestParser, RejectsTargetsThatAreNotOriginForm) {
    expect_rejected("GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_rejected("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_rejected("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 501);
}

TEST(RequestParser, ReportsAnErrorAgainWhenFedAfterIt) {
    RequestParser parser{Limits{}};
    EXPECT_EQ(parser.feed("GET / HTTP/2.0\r\n").error_status, 505);
    const ParseStep again = parser.feed("GET / HTTP/2.0\r\n");
    EXPECT_EQ(again.progress, Progress::error);
    EXPECT_EQ(again.error_status, 505);
}

// Hybrid's io worker moves a large body to a file as it arrives (front/body_spool.hpp).
TEST(RequestParser, LeavesInTheRequestOnlyTheBodyBytesDecodedAfterTheLastTake) {
    RequestParser parser{Limits{}};
    ParseStep step = parser.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc");
    ASSERT_EQ(step.progress, Progress::headers_done);
    EXPECT_EQ(parser.held_body_size(), 3U);
    EXPECT_EQ(parser.take_held_body(), "abc");
    EXPECT_EQ(parser.held_body_size(), 0U);
    ASSERT_EQ(parser.feed("def").progress, Progress::complete);
    EXPECT_EQ(parser.take_request().body, "def");
}

TEST(RequestParser, CountsBodyBytesTakenOutAgainstMaxBodySize) {
    Limits limits;
    limits.max_body_size = 10;
    RequestParser parser{limits};
    std::string buffer = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    buffer += "6\r\nabcdef\r\n";
    ParseStep first = parser.feed(buffer);
    ASSERT_EQ(first.progress, Progress::headers_done);
    EXPECT_EQ(parser.take_held_body(), "abcdef");
    buffer.erase(0, first.consumed);  // a caller offers what was not consumed again
    const ParseStep step = parser.feed(buffer + "5\r\nghijk\r\n0\r\n\r\n");
    EXPECT_EQ(step.progress, Progress::error);
    EXPECT_EQ(step.error_status, 413);
}

}  // namespace
}  // namespace forkd::http
