#include "http/conditional.hpp"

#include <gtest/gtest.h>

#include "http/response_head.hpp"

namespace forkd::http {
namespace {

constexpr std::time_t kModified = 1700000000;
const Validators kCurrent{"\"abc\"", kModified};

Request request_with(std::initializer_list<std::pair<const char*, std::string>> fields,
                     std::string method = "GET") {
    Request request;
    request.method = std::move(method);
    for (const auto& [name, value] : fields)
        request.headers.add(name, value);
    return request;
}

TEST(Etag, IsStrongQuotedHexOfInodeSizeAndMtime) {
    EXPECT_EQ(make_strong_etag(255, 16, 1'000'000'000), "\"ff-10-3b9aca00\"");
}

TEST(EtagList, MatchesStronglyOnlyStrongTags) {
    EXPECT_TRUE(etag_list_matches("\"abc\"", "\"abc\"", true));
    EXPECT_TRUE(etag_list_matches("\"x\", \"abc\"", "\"abc\"", true));
    EXPECT_FALSE(etag_list_matches("W/\"abc\"", "\"abc\"", true));
    EXPECT_TRUE(etag_list_matches("W/\"abc\"", "\"abc\"", false));
    EXPECT_TRUE(etag_list_matches("*", "\"abc\"", true));
    EXPECT_FALSE(etag_list_matches("\"abcd\"", "\"abc\"", false));
}

TEST(EtagList, MatchesNothingWhenMalformed) {
    EXPECT_FALSE(etag_list_matches("abc", "\"abc\"", false));
    EXPECT_FALSE(etag_list_matches("\"abc", "\"abc\"", false));
    EXPECT_FALSE(etag_list_matches("\"x\"junk, \"abc\"", "\"abc\"", false));
}

TEST(Preconditions, ProceedWithoutConditions) {
    EXPECT_EQ(evaluate_preconditions(request_with({}), kCurrent), Precondition::proceed);
}

TEST(Preconditions, FailWhenIfMatchNamesAnotherTag) {
    EXPECT_EQ(evaluate_preconditions(request_with({{"If-Match", "\"old\""}}), kCurrent),
              Precondition::failed);
    EXPECT_EQ(evaluate_preconditions(request_with({{"If-Match", "\"abc\""}}), kCurrent),
              Precondition::proceed);
}

TEST(Preconditions, CombineIfMatchFieldsSentOnSeveralLines) {
    const auto request = request_with({{"If-Match", "\"old\""}, {"If-Match", "\"abc\""}});
    EXPECT_EQ(evaluate_preconditions(request, kCurrent), Precondition::proceed);
}

TEST(Preconditions, FailWhenModifiedSinceIfUnmodifiedSince) {
    EXPECT_EQ(evaluate_preconditions(
                  request_with({{"If-Unmodified-Since", http_date(kModified - 1)}}), kCurrent),
              Precondition::failed);
    EXPECT_EQ(evaluate_preconditions(request_with({{"If-Unmodified-Since", http_date(kModified)}}),
                                     kCurrent),
              Precondition::proceed);
}

TEST(Preconditions, IgnoreIfUnmodifiedSinceWhenIfMatchIsPresent) {
    const auto request =
        request_with({{"If-Match", "\"abc\""}, {"If-Unmodified-Since", http_date(kModified - 1)}});
    EXPECT_EQ(evaluate_preconditions(request, kCurrent), Precondition::proceed);
}

TEST(Preconditions, AnswerNotModifiedWhenIfNoneMatchMatches) {
    EXPECT_EQ(evaluate_preconditions(request_with({{"If-None-Match", "W/\"abc\""}}), kCurrent),
              Precondition::not_modified);
    EXPECT_EQ(evaluate_preconditions(request_with({{"If-None-Match", "\"x\""}}), kCurrent),
              Precondition::proceed);
    EXPECT_EQ(
        evaluate_preconditions(request_with({{"If-None-Match", "\"abc\""}}, "DELETE"), kCurrent),
        Precondition::failed);
}

TEST(Preconditions, IgnoreIfModifiedSinceWhenIfNoneMatchIsPresent) {
    const auto request =
        request_with({{"If-None-Match", "\"x\""}, {"If-Modified-Since", http_date(kModified)}});
    EXPECT_EQ(evaluate_preconditions(request, kCurrent), Precondition::proceed);
}

TEST(Preconditions, AnswerNotModifiedWhenNotModifiedSince) {
    EXPECT_EQ(evaluate_preconditions(request_with({{"If-Modified-Since", http_date(kModified)}}),
                                     kCurrent),
              Precondition::not_modified);
    EXPECT_EQ(evaluate_preconditions(
                  request_with({{"If-Modified-Since", http_date(kModified - 1)}}), kCurrent),
              Precondition::proceed);
    EXPECT_EQ(evaluate_preconditions(request_with({{"If-Modified-Since", "garbage"}}), kCurrent),
              Precondition::proceed);
}

TEST(Preconditions, CheckIfMatchBeforeIfNoneMatch) {
    const auto request = request_with({{"If-Match", "\"old\""}, {"If-None-Match", "\"abc\""}});
    EXPECT_EQ(evaluate_preconditions(request, kCurrent), Precondition::failed);
}

TEST(IfRange, AllowsTheRangeForTheCurrentStrongTagOrDate) {
    EXPECT_TRUE(range_allowed(request_with({}), kCurrent));
    EXPECT_TRUE(range_allowed(request_with({{"If-Range", "\"abc\""}}), kCurrent));
    EXPECT_TRUE(range_allowed(request_with({{"If-Range", http_date(kModified)}}), kCurrent));
}

TEST(IfRange, RefusesTheRangeForAnythingElse) {
    EXPECT_FALSE(range_allowed(request_with({{"If-Range", "\"old\""}}), kCurrent));
    EXPECT_FALSE(range_allowed(request_with({{"If-Range", "W/\"abc\""}}), kCurrent));
    EXPECT_FALSE(range_allowed(request_with({{"If-Range", http_date(kModified + 1)}}), kCurrent));
    EXPECT_FALSE(range_allowed(request_with({{"If-Range", "garbage"}}), kCurrent));
}

}  // namespace
}  // namespace forkd::http
