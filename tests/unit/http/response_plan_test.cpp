// One plan for every response writer: framing, the final keep-alive, the head, and what
// follows it.
#include "http/response_plan.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace forkd::http {
namespace {

constexpr std::time_t kSunday = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

Request request_with(int version, std::string connection = "") {
    Request request;
    request.method = "GET";
    request.target = "/";
    request.version = version;
    if (!connection.empty()) request.headers.add("Connection", connection);
    return request;
}

TEST(MayKeepAlive, FollowsTheRequestTheLimitAndTheStop) {
    EXPECT_TRUE(may_keep_alive(request_with(11), 1, 100, false));
    EXPECT_FALSE(may_keep_alive(request_with(11, "close"), 1, 100, false));
    EXPECT_FALSE(may_keep_alive(request_with(10), 1, 100, false));
    EXPECT_TRUE(may_keep_alive(request_with(10, "keep-alive"), 1, 100, false));
    EXPECT_FALSE(may_keep_alive(request_with(11), 100, 100, false)) << "the last one allowed";
    EXPECT_FALSE(may_keep_alive(request_with(11), 1, 100, true)) << "the server stops";
}

TEST(ResponsePlan, PutsBytesRightBehindTheHead) {
    Response response = Response::text("hello");
    ResponsePlan plan = plan_response(response, 11, false, true);
    EXPECT_EQ(plan.framing, Framing::content_length);
    EXPECT_TRUE(plan.keep_alive);
    EXPECT_EQ(plan.source, BodySource::bytes);
    EXPECT_EQ(plan.bytes, "hello");
}

TEST(ResponsePlan, SendsNoBodyForAHeadRequestOrANotModified) {
    Response response = Response::text("hello");
    EXPECT_EQ(plan_response(response, 11, true, true).source, BodySource::none);
    response.status = 304;
    ResponsePlan plan = plan_response(response, 11, false, true);
    EXPECT_EQ(plan.framing, Framing::none);
    EXPECT_EQ(plan.source, BodySource::none);
    EXPECT_TRUE(plan.keep_alive);
}

TEST(ResponsePlan, ClosesWhenTheResponseAsksForIt) {
    Response response = Response::text("bye");
    response.close = true;
    ResponsePlan plan = plan_response(response, 11, false, true);
    EXPECT_FALSE(plan.keep_alive);
    std::string head;
    append_head(head, response, plan, true, kSunday);
    EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
}

TEST(ResponsePlan, ChunksAStreamForHttp11AndClosesAfterItForHttp10) {
    Response response = Response::stream("text/plain", [](BodyWriter&) {});
    ResponsePlan chunked = plan_response(response, 11, false, true);
    EXPECT_EQ(chunked.framing, Framing::chunked);
    EXPECT_EQ(chunked.source, BodySource::stream);
    EXPECT_TRUE(chunked.keep_alive);
    ResponsePlan delimited = plan_response(response, 10, false, true);
    EXPECT_EQ(delimited.framing, Framing::close_delimited);
    EXPECT_FALSE(delimited.keep_alive) << "the end of the body is the close";
}

TEST(ResponsePlan, LeavesAFileToTheWriterUnlessItsBytesAreInMemory) {
    Response response;
    response.body = FileBody(std::make_shared<int>(0), -1, 2, 3);
    ResponsePlan on_disk = plan_response(response, 11, false, true);
    EXPECT_EQ(on_disk.source, BodySource::file);
    EXPECT_EQ(on_disk.file, &std::get<FileBody>(response.body));

    std::get<FileBody>(response.body).content = std::make_shared<const std::string>("abcdefg");
    ResponsePlan in_memory = plan_response(response, 11, false, true);
    EXPECT_EQ(in_memory.source, BodySource::bytes);
    EXPECT_EQ(in_memory.bytes, "cde") << "the file body's range of the cached bytes";
    std::string head;
    append_head(head, response, in_memory, true, kSunday);
    EXPECT_NE(head.find("Content-Length: 3\r\n"), std::string::npos);
}

TEST(ResponsePlan, WritesTheSameHeadAsSerializeHead) {
    Response response = Response::text("hello");
    response.headers.add("X-A", "1");
    for (int version : {10, 11}) {
        for (bool keep_alive : {false, true}) {
            ResponsePlan plan = plan_response(response, version, false, keep_alive);
            std::string head = "earlier bytes";
            append_head(head, response, plan, true, kSunday);
            EXPECT_EQ(head, "earlier bytes" +
                                serialize_head(response, {version, keep_alive, true, kSunday}));
        }
    }
}

TEST(ChunkFraming, FramesAPieceAndSkipsAnEmptyOne) {
    std::string out;
    append_chunk(out, "hello, world, and more");
    append_chunk(out, "");
    out += kLastChunk;
    EXPECT_EQ(out, "16\r\nhello, world, and more\r\n0\r\n\r\n");
    EXPECT_EQ(ChunkSizeLine(0xabcdef).text(), "abcdef\r\n");
}

}  // namespace
}  // namespace forkd::http
