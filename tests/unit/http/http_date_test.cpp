#include "http/http_date.hpp"

#include <gtest/gtest.h>

#include "http/response_head.hpp"

namespace forkd::http {
namespace {

constexpr std::time_t k1994 = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(HttpDate, ReadsTheImfFixdate) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), k1994);
}

TEST(HttpDate, ReadsTheObsoleteRfc850Form) {
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), k1994);
}

TEST(HttpDate, ReadsTheObsoleteAsctimeForm) {
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), k1994);
}

TEST(HttpDate, ReadsWhatHttpDateWrites) {
    EXPECT_EQ(parse_http_date(http_date(1700000000)), 1700000000);
    EXPECT_EQ(parse_http_date(http_date(0)), 0);
}

TEST(HttpDate, WritesEachTimeRightWhateverItWasAskedBefore) {
    // http_date keeps the last two it wrote: three times in turn replace each other.
    for (int round = 0; round < 3; ++round) {
        EXPECT_EQ(http_date(k1994), "Sun, 06 Nov 1994 08:49:37 GMT");
        EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        EXPECT_EQ(http_date(k1994 + 1), "Sun, 06 Nov 1994 08:49:38 GMT");
        EXPECT_EQ(http_date(k1994 + 1), "Sun, 06 Nov 1994 08:49:38 GMT");
    }
}

TEST(HttpDate, RefusesAnythingElse) {
    for (const char* text :
         {"", "yesterday", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 31 Feb 1994 08:49:37 GMT",
          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
          "Sun, 06 Nov 1994 08:49:37 GMT ", "1994-11-06T08:49:37Z", "784111777"}) {
        EXPECT_EQ(parse_http_date(text), std::nullopt) << text;
    }
}

}  // namespace
}  // namespace forkd::http
