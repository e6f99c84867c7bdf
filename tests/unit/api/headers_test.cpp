#include <gtest/gtest.h>

#include "forkd/request.hpp"

namespace forkd {
namespace {

TEST(Headers, FindsFieldsWhateverTheirCase) {
    Headers headers;
    headers.add("Content-Type", "text/plain");
    EXPECT_EQ(headers.get("content-type"), "text/plain");
    EXPECT_TRUE(headers.contains("CONTENT-TYPE"));
    EXPECT_FALSE(headers.get("Content-Length").has_value());
}

TEST(Headers, KeepsArrivalOrderAndDuplicates) {
    Headers headers;
    headers.add("A", "1");
    headers.add("B", "2");
    headers.add("a", "3");
    EXPECT_EQ(headers.count("A"), 2u);
    EXPECT_EQ(headers.get("A"), "1");
    ASSERT_EQ(headers.size(), 3u);
    EXPECT_EQ(headers.begin()[2].first, "a");
}

TEST(Headers, SetReplacesEveryFieldOfThatNameInThePlaceOfTheFirst) {
    Headers headers;
    headers.add("A", "1");
    headers.add("B", "2");
    headers.add("a", "3");
    headers.set("A", "4");
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers.begin()[0], (std::pair<std::string, std::string>{"A", "4"}));
    EXPECT_EQ(headers.begin()[1].first, "B");
    headers.set("C", "5");
    EXPECT_EQ(headers.begin()[2].second, "5");
}

TEST(Headers, RemoveDropsEveryFieldOfThatName) {
    Headers headers;
    headers.add("A", "1");
    headers.add("a", "2");
    headers.add("B", "3");
    headers.remove("A");
    EXPECT_EQ(headers.size(), 1u);
    EXPECT_FALSE(headers.contains("a"));
}

TEST(Iequals, ComparesAsciiCaseInsensitively) {
    EXPECT_TRUE(iequals("Keep-Alive", "keep-alive"));
    EXPECT_FALSE(iequals("keep-alive", "keep-alive "));
    EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));
}

}  // namespace
}  // namespace forkd
