#include "http/byte_ranges.hpp"

#include <gtest/gtest.h>

namespace forkd::http {
namespace {

using Outcome = RangeSelection::Outcome;

TEST(ByteRanges, SelectsAClosedRangeClampedToTheSize) {
    const auto selection = select_ranges("bytes=2-5", 10);
    EXPECT_EQ(selection.outcome, Outcome::satisfiable);
    EXPECT_EQ(selection.ranges, (std::vector<ByteRange>{{2, 5}}));
    EXPECT_EQ(select_ranges("bytes=5-100", 10).ranges, (std::vector<ByteRange>{{5, 9}}));
}

TEST(ByteRanges, SelectsOpenEndedAndSuffixRanges) {
    EXPECT_EQ(select_ranges("bytes=7-", 10).ranges, (std::vector<ByteRange>{{7, 9}}));
    EXPECT_EQ(select_ranges("bytes=-3", 10).ranges, (std::vector<ByteRange>{{7, 9}}));
    EXPECT_EQ(select_ranges("bytes=-30", 10).ranges, (std::vector<ByteRange>{{0, 9}}));
}

TEST(ByteRanges, KeepsSeveralRangesInTheOrderAsked) {
    const auto selection = select_ranges("bytes=0-0, 5-6 ,-1", 10);
    EXPECT_EQ(selection.ranges, (std::vector<ByteRange>{{0, 0}, {5, 6}, {9, 9}}));
}

TEST(ByteRanges, AcceptsTheUnitInAnyCaseAndEmptyListElements) {
    EXPECT_EQ(select_ranges("Bytes=1-1", 10).outcome, Outcome::satisfiable);
    EXPECT_EQ(select_ranges("bytes=,1-1,,", 10).ranges, (std::vector<ByteRange>{{1, 1}}));
}

TEST(ByteRanges, IsUnsatisfiableWhenNoRangeOverlapsTheFile) {
    EXPECT_EQ(select_ranges("bytes=10-20", 10).outcome, Outcome::unsatisfiable);
    EXPECT_EQ(select_ranges("bytes=-0", 10).outcome, Outcome::unsatisfiable);
    EXPECT_EQ(select_ranges("bytes=0-", 0).outcome, Outcome::unsatisfiable);
    EXPECT_EQ(select_ranges("bytes=-5", 0).outcome, Outcome::unsatisfiable);
}

TEST(ByteRanges, DropsUnsatisfiableRangesBesideSatisfiableOnes) {
    EXPECT_EQ(select_ranges("bytes=50-60,1-2", 10).ranges, (std::vector<ByteRange>{{1, 2}}));
}

TEST(ByteRanges, IgnoresMalformedHeaders) {
    for (const char* header :
         {"", "bytes", "bytes=", "items=1-2", "bytes=a-b", "bytes=5-2", "bytes=1-2-3", "bytes=--1",
          "bytes=1", "bytes=1-2,x", "bytes= 1 -2", "bytes=+1-2", "bytes=0x1-2", "bytes=,"}) {
        EXPECT_EQ(select_ranges(header, 10).outcome, Outcome::ignore) << header;
    }
}

TEST(ByteRanges, SaturatesHugeNumbersInsteadOfOverflowing) {
    EXPECT_EQ(select_ranges("bytes=0-99999999999999999999999", 10).ranges,
              (std::vector<ByteRange>{{0, 9}}));
    EXPECT_EQ(select_ranges("bytes=99999999999999999999999-", 10).outcome, Outcome::unsatisfiable);
}

TEST(ByteRanges, IgnoresMoreRangesThanTheCap) {
    std::string header = "bytes=0-0";
    for (std::size_t i = 0; i < kMaxRanges; ++i)
        header += ",0-0";
    EXPECT_EQ(select_ranges(header, 10).outcome, Outcome::ignore);
}

TEST(ByteRanges, FormatsContentRanges) {
    EXPECT_EQ(content_range({0, 99}, 1000), "bytes 0-99/1000");
    EXPECT_EQ(unsatisfied_content_range(1000), "bytes */1000");
}

TEST(ByteRanges, FormatsMultipartDelimiters) {
    EXPECT_EQ(multipart_part_head("B", "text/plain", {1, 2}, 10, true),
              "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 1-2/10\r\n\r\n");
    EXPECT_TRUE(multipart_part_head("B", "t/p", {1, 2}, 10, false).starts_with("\r\n--B\r\n"));
    EXPECT_EQ(multipart_end("B"), "\r\n--B--\r\n");
}

}  // namespace
}  // namespace forkd::http
