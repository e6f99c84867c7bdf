#include "http/http_date.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

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

std::string formatted(std::time_t when) {
    char text[kHttpDateLength];
    format_http_date(when, text);
    return std::string(text, kHttpDateLength);
}

TEST(HttpDate, WritesTheImfFixdateOfAnyDay) {
    EXPECT_EQ(formatted(k1994), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(formatted(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");  // a leap day
    EXPECT_EQ(formatted(4133980799), "Fri, 31 Dec 2100 23:59:59 GMT");
    EXPECT_EQ(formatted(-1), "Wed, 31 Dec 1969 23:59:59 GMT");  // before the epoch
    // Every day of a leap and a common year reads back as itself.
    for (std::time_t when = 946684800 + 12345; when < 946684800 + 2 * 366 * 86400; when += 86400)
        EXPECT_EQ(parse_http_date(formatted(when)), when) << when;
}

TEST(HttpDate, HoldsYearsToTheFourDigitsOfTheForm) {
    EXPECT_EQ(formatted(std::numeric_limits<std::time_t>::max()), "Fri, 31 Dec 9999 23:59:59 GMT");
    EXPECT_EQ(formatted(std::numeric_limits<std::time_t>::min()), "Sat, 01 Jan 0000 00:00:00 GMT");
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
