// Fuzz target: the two readings of a head (http/bodiless_head.hpp) must agree. The same
// connection's bytes go through a parser that reads bodiless heads itself and one that gives
// every head to Beast, request by request: each step must end the same way (progress,
// bytes consumed, error status) and each request must come out the same, field by field.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/request_parser.hpp"

namespace {

using forkd::http::HeadReading;
using forkd::http::Progress;
using forkd::http::RequestParser;

constexpr int kMaxRequests = 16;

void check_same_request(const forkd::Request& mine, const forkd::Request& beast) {
    FUZZ_CHECK(mine.method == beast.method, "same method");
    FUZZ_CHECK(mine.target == beast.target, "same target");
    FUZZ_CHECK(mine.path == beast.path, "same path");
    FUZZ_CHECK(mine.query == beast.query, "same query");
    FUZZ_CHECK(mine.version == beast.version, "same version");
    FUZZ_CHECK(mine.body.text() == beast.body.text(), "same body");
    auto a = mine.headers.begin();
    auto b = beast.headers.begin();
    for (; a != mine.headers.end() && b != beast.headers.end(); ++a, ++b) {
        FUZZ_CHECK(a->first == b->first, "same field name");
        FUZZ_CHECK(a->second == b->second, "same field value");
    }
    FUZZ_CHECK(a == mine.headers.end() && b == beast.headers.end(), "as many fields");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    const forkd::http::Limits limits;
    RequestParser mine(limits);
    RequestParser beast(limits, HeadReading::beast_only);
    for (int n = 0; n < kMaxRequests && !rest.empty(); ++n) {
        const forkd::http::ParseStep a = mine.feed(rest);
        const forkd::http::ParseStep b = beast.feed(rest);
        FUZZ_CHECK(a.progress == b.progress, "same progress");
        FUZZ_CHECK(a.consumed == b.consumed, "same bytes consumed");
        FUZZ_CHECK(a.error_status == b.error_status, "same error status");
        if (a.progress != Progress::complete) break;
        check_same_request(mine.take_request(), beast.take_request());
        rest.remove_prefix(a.consumed);
        mine.reset();
        beast.reset();
    }
    return 0;
}
