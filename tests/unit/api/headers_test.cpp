#include <gtest/gtest.h>

#include <iterator>
#include <utility>

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

// What a parser does request after request: clear() keeps the room, the next fields are
// copied into it, and nothing of the last request is seen.
TEST(Headers, ClearedRoomHoldsNoneOfTheLastFields) {
    Headers headers;
    headers.add_copy("User-Agent", "a rather long agent string, past any small-string room");
    headers.add_copy("Accept", "*/*");
    headers.add_copy("Cookie", "a=1");
    headers.clear();
    EXPECT_TRUE(headers.empty());
    EXPECT_FALSE(headers.contains("Accept"));

    headers.add_copy("Host", "example.com");
    headers.add("Accept", "text/html");
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers.begin()[0], (std::pair<std::string, std::string>{"Host", "example.com"}));
    EXPECT_EQ(headers.get("accept"), "text/html");
    EXPECT_FALSE(headers.contains("User-Agent"));
    EXPECT_FALSE(headers.contains("Cookie"));
    EXPECT_EQ(headers.count("Cookie"), 0u);
    EXPECT_EQ(std::distance(headers.begin(), headers.end()), 2);
}

TEST(Headers, SetAndRemoveSeeOnlyTheFieldsNotTheRoom) {
    Headers headers;
    headers.add("A", "old");
    headers.add("B", "old");
    headers.add("C", "old");
    headers.clear();
    headers.add("B", "1");
    headers.set("A", "2");  // not there: added after B, not found in the room
    ASSERT_EQ(headers.size(), 2u);
    EXPECT_EQ(headers.begin()[1], (std::pair<std::string, std::string>{"A", "2"}));
    headers.remove("C");  // only in the room: nothing to remove
    EXPECT_EQ(headers.size(), 2u);
    headers.remove("B");
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_EQ(headers.begin()[0].first, "A");
}

TEST(Headers, CopiesAndMovesCarryTheFieldsOnly) {
    Headers headers;
    headers.add("A", "1");
    headers.add("B", "2");
    headers.clear();
    headers.add("C", "3");

    Headers copy = headers;
    ASSERT_EQ(copy.size(), 1u);
    EXPECT_EQ(copy.get("C"), "3");
    Headers assigned;
    assigned.add("X", "y");
    assigned = headers;
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_FALSE(assigned.contains("X"));

    Headers moved = std::move(headers);
    EXPECT_EQ(moved.get("C"), "3");
    EXPECT_TRUE(headers.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
    headers.add("D", "4");
    EXPECT_EQ(headers.size(), 1u);
}

TEST(Iequals, ComparesAsciiCaseInsensitively) {
    EXPECT_TRUE(iequals("Keep-Alive", "keep-alive"));
    EXPECT_FALSE(iequals("keep-alive", "keep-alive "));
    EXPECT_FALSE(iequals("\xc3\xa9", "\xc3\x89"));
}

}  // namespace
}  // namespace forkd
