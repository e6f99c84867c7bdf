#include "http/accept_encoding.hpp"

#include <gtest/gtest.h>

namespace forkd::http {
namespace {

TEST(AcceptEncoding, AcceptsANamedCoding) {
    EXPECT_TRUE(accepts_coding("gzip, deflate, br", "br"));
    EXPECT_TRUE(accepts_coding("GZIP", "gzip"));
    EXPECT_TRUE(accepts_coding("x-gzip", "gzip"));
    EXPECT_FALSE(accepts_coding("deflate", "gzip"));
    EXPECT_FALSE(accepts_coding("", "gzip"));
}

TEST(AcceptEncoding, RefusesACodingWithQualityZero) {
    EXPECT_FALSE(accepts_coding("gzip;q=0", "gzip"));
    EXPECT_FALSE(accepts_coding("gzip; q=0.000, br", "gzip"));
    EXPECT_TRUE(accepts_coding("gzip;q=0.5", "gzip"));
}

TEST(AcceptEncoding, LetsTheWildcardCoverUnnamedCodings) {
    EXPECT_TRUE(accepts_coding("*", "br"));
    EXPECT_FALSE(accepts_coding("*;q=0", "br"));
    EXPECT_TRUE(accepts_coding("*;q=0, br", "br"));
    EXPECT_FALSE(accepts_coding("*, br;q=0", "br"));
}

}  // namespace
}  // namespace forkd::http
