// Beast's "parsegrind" idea for forkd's RequestParser: every case is fed whole, then split
// in two at every byte offset, then one byte at a time, by a caller that behaves like the
// session (it keeps a buffer, erases what was consumed, appends what arrives). Every way
// must reach the same outcome, or the parser depends on how the network cut the bytes.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.hpp"

namespace forkd::http::testing {

struct Outcome {
    Progress progress = Progress::need_more;
    int status = 0;
    std::string reason;
    Request request;
    std::string leftover;  // bytes of the input the parser did not take (pipelined data)
    int headers_done_count = 0;
    bool expects_continue = false;  // as reported when headers_done was returned
};

// Feeds `bytes` cut at `cuts` (increasing offsets) the way a session would.
inline Outcome feed_in_pieces(std::string_view bytes, const std::vector<std::size_t>& cuts,
                              const Limits& limits) {
    RequestParser parser(limits);
    Outcome out;
    std::string buffer;
    std::size_t from = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(bytes.size());
    for (std::size_t end : ends) {
        buffer.append(bytes.substr(from, end - from));
        from = end;
        for (;;) {
            const ParseStep step = parser.feed(buffer);
            EXPECT_LE(step.consumed, buffer.size());
            buffer.erase(0, step.consumed);
            out.progress = step.progress;
            if (step.progress == Progress::headers_done) {
                ++out.headers_done_count;
                out.expects_continue = parser.expects_continue();
                EXPECT_TRUE(parser.headers_done());
                continue;  // the session may offer the same bytes again at once
            }
            if (step.progress == Progress::error) {
                out.status = step.error_status;
                out.reason = step.error_reason;
                return out;
            }
            if (step.progress == Progress::complete) {
                out.request = parser.take_request();
                out.leftover = buffer + std::string(bytes.substr(from));
                return out;
            }
            break;  // need_more: wait for the next piece
        }
    }
    out.leftover = buffer;
    return out;
}

inline void expect_same(const Outcome& want, const Outcome& got, const std::string& how) {
    SCOPED_TRACE(how);
    ASSERT_EQ(want.progress, got.progress);
    EXPECT_EQ(want.status, got.status);
    EXPECT_EQ(want.reason, got.reason);
    EXPECT_LE(got.headers_done_count, 1);
    if (want.progress != Progress::complete) return;
    EXPECT_EQ(want.leftover, got.leftover);
    EXPECT_EQ(want.request.method, got.request.method);
    EXPECT_EQ(want.request.target, got.request.target);
    EXPECT_EQ(want.request.path, got.request.path);
    EXPECT_EQ(want.request.query, got.request.query);
    EXPECT_EQ(want.request.version, got.request.version);
    EXPECT_EQ(want.request.body.text(), got.request.body.text());
    EXPECT_TRUE(std::equal(want.request.headers.begin(), want.request.headers.end(),
                           got.request.headers.begin(), got.request.headers.end()));
}

// The outcome of feeding `bytes` whole, after checking that every other way agrees.
inline Outcome grind(std::string_view bytes, const Limits& limits = Limits{}) {
    const Outcome whole = feed_in_pieces(bytes, {}, limits);
    for (std::size_t k = 0; k <= bytes.size(); ++k)
        expect_same(whole, feed_in_pieces(bytes, {k}, limits), "split at " + std::to_string(k));
    std::vector<std::size_t> every;
    for (std::size_t k = 1; k < bytes.size(); ++k)
        every.push_back(k);
    expect_same(whole, feed_in_pieces(bytes, every, limits), "byte by byte");
    return whole;
}

}  // namespace forkd::http::testing
