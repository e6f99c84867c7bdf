#include "http/response_head.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace forkd::http {
namespace {

constexpr std::time_t kSunday = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

HeadOptions options(int version = 11, bool keep_alive = true) {
    HeadOptions o;
    o.version = version;
    o.keep_alive = keep_alive;
    o.now = kSunday;
    return o;
}

TEST(HttpDate, FormatsAnImfFixdate) {
    EXPECT_EQ(http_date(kSunday), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(SerializeHead, WritesTheServerFieldsAndTheHandlersInOrder) {
    Response response = Response::text(200, "this is server", "text/html; charset=utf-8");
    response.headers.add("X-B", "2");
    response.headers.add("X-A", "1");
    EXPECT_EQ(serialize_head(response, options()),
              "HTTP/1.1 200 OK\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "Server: forkd/0.1.0\r\n"
              "Content-Type: text/html; charset=utf-8\r\n"
              "X-B: 2\r\n"
              "X-A: 1\r\n"
              "Content-Length: 14\r\n"
              "\r\n");
}

// The status line, Date and Server are kept from one head to the next: a head must still
// show its own status, version, second and server_tokens whatever the one before had.
TEST(SerializeHead, EachHeadHasItsOwnStatusDateAndServerWhateverCameBefore) {
    auto head_of = [](int status, HeadOptions o) {
        return serialize_head(Response::text(status, ""), o);
    };
    EXPECT_TRUE(head_of(200, options()).starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_TRUE(head_of(404, options()).starts_with("HTTP/1.1 404 Not Found\r\n"));
    HeadOptions later = options();
    later.now = kSunday + 1;
    EXPECT_NE(head_of(404, later).find("Date: Sun, 06 Nov 1994 08:49:38 GMT\r\n"),
              std::string::npos);
    HeadOptions quiet = later;
    quiet.server_tokens = false;
    EXPECT_NE(head_of(404, quiet).find("Server: forkd\r\n"), std::string::npos);
    EXPECT_TRUE(head_of(404, options(10)).starts_with("HTTP/1.0 404 Not Found\r\n"));
    EXPECT_NE(head_of(404, options()).find("Server: forkd/"), std::string::npos);
}

TEST(SerializeHead, AnswersAnHttp10ClientInHttp10) {
    const std::string head = serialize_head(Response::text(404, "no"), options(10, true));
    EXPECT_TRUE(head.starts_with("HTTP/1.0 404 Not Found\r\n")) << head;
    EXPECT_NE(head.find("Connection: keep-alive\r\n"), std::string::npos);
    const std::string closing = serialize_head(Response::text(200, ""), options(10, false));
    EXPECT_NE(closing.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(closing.find("keep-alive"), std::string::npos);
}

TEST(SerializeHead, SaysCloseWhenTheConnectionWillClose) {
    const std::string head = serialize_head(Response::text(200, ""), options(11, false));
    EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(serialize_head(Response::text(200, ""), options()).find("Connection"),
              std::string::npos);
}

TEST(SerializeHead, HonoursServerTokensAndTheHandlersServer) {
    HeadOptions quiet = options();
    quiet.server_tokens = false;
    EXPECT_NE(serialize_head(Response::text(200, ""), quiet).find("Server: forkd\r\n"),
              std::string::npos);
    Response response = Response::text(200, "");
    response.headers.add("Server", "custom");
    const std::string head = serialize_head(response, options());
    EXPECT_NE(head.find("Server: custom\r\n"), std::string::npos);
    EXPECT_EQ(head.find("forkd"), std::string::npos);
}

TEST(SerializeHead, ReplacesTheHandlersFramingFields) {
    Response response = Response::text(200, "abc");
    response.headers.add("Content-Length", "99");
    response.headers.add("Transfer-Encoding", "chunked");
    response.headers.add("Connection", "upgrade");
    const std::string head = serialize_head(response, options());
    EXPECT_NE(head.find("Content-Length: 3\r\n"), std::string::npos);
    EXPECT_EQ(head.find("Content-Length: 99"), std::string::npos);
    EXPECT_EQ(head.find("chunked"), std::string::npos);
    EXPECT_EQ(head.find("upgrade"), std::string::npos);
}

TEST(SerializeHead, DropsFieldsThatWouldSplitTheResponse) {
    Response response = Response::text(200, "");
    response.headers.add("X-Echo", "a\r\nSet-Cookie: x=1");
    EXPECT_EQ(serialize_head(response, options()).find("X-Echo"), std::string::npos);
}

TEST(SerializeHead, FramesAStreamByChunksForHttp11AndByCloseForHttp10) {
    Response response;
    response.body = StreamBody{[](BodyWriter&) {}};
    EXPECT_EQ(framing_for(response, 11), Framing::chunked);
    EXPECT_EQ(framing_for(response, 10), Framing::close_delimited);
    EXPECT_NE(serialize_head(response, options()).find("Transfer-Encoding: chunked\r\n"),
              std::string::npos);
    const std::string old = serialize_head(response, options(10, true));
    EXPECT_EQ(old.find("Transfer-Encoding"), std::string::npos);
    EXPECT_EQ(old.find("Content-Length"), std::string::npos);
    EXPECT_NE(old.find("Connection: close\r\n"), std::string::npos);
}

TEST(SerializeHead, WritesNoLengthForResponsesWithoutABody) {
    for (int status : {100, 204, 304}) {
        Response response = Response::text(status, "");
        EXPECT_EQ(framing_for(response, 11), Framing::none);
        const std::string head = serialize_head(response, options());
        EXPECT_EQ(head.find("Content-Length"), std::string::npos) << status;
    }
}

TEST(SerializeHead, GivesAFileBodyItsLength) {
    Response response;
    response.body = FileBody(-1, 10, 1234);
    EXPECT_EQ(body_length(response), 1234u);
    EXPECT_NE(serialize_head(response, options()).find("Content-Length: 1234\r\n"),
              std::string::npos);
}

TEST(SerializeHead, WritesReadyFieldsAfterTheHandlersAndBeforeTheLength) {
    Response response = Response::text(200, "hi", "text/plain");
    response.headers.add("X-A", "1");
    response.ready_fields = std::make_shared<const std::string>("ETag: \"1-2-3\"\r\n");
    EXPECT_EQ(serialize_head(response, options()),
              "HTTP/1.1 200 OK\r\n"
              "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "Server: forkd/0.1.0\r\n"
              "Content-Type: text/plain\r\n"
              "X-A: 1\r\n"
              "ETag: \"1-2-3\"\r\n"
              "Content-Length: 2\r\n"
              "\r\n");
}

TEST(SerializeFields, WritesWhatSerializeHeadWouldAndDropsTheSame) {
    Headers fields;
    fields.add("Content-Type", "text/plain");
    fields.add("Content-Length", "99");         // the server's own
    fields.add("X-Split", "a\r\nInjected: 1");  // would split the response
    fields.add("Accept-Ranges", "bytes");
    EXPECT_EQ(serialize_fields(fields), "Content-Type: text/plain\r\nAccept-Ranges: bytes\r\n");

    Response as_headers = Response::text(200, "hi");
    as_headers.headers = fields;
    Response as_ready = Response::text(200, "hi");
    as_ready.headers = Headers();
    as_ready.ready_fields = std::make_shared<const std::string>(serialize_fields(fields));
    EXPECT_EQ(serialize_head(as_ready, options()), serialize_head(as_headers, options()));
}

TEST(FileBody, ClosesItsFdOnceWhenDestroyed) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[1]);
    {
        FileBody first(fds[0], 0, 0);
        FileBody second = std::move(first);
        EXPECT_EQ(first.fd, -1);
        EXPECT_NE(::fcntl(fds[0], F_GETFD), -1);
    }
    EXPECT_EQ(::fcntl(fds[0], F_GETFD), -1);
}

TEST(FileBody, LeavesASharedFdToItsOwnerWhoClosesItAfterTheLastBody) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[1]);
    // The owner closes the fd when its last holder goes (as a cached descriptor would).
    auto owner = std::shared_ptr<const int>(new int(fds[0]), [](const int* fd) {
        ::close(*fd);
        delete fd;
    });
    {
        FileBody first(owner, fds[0], 0, 0);
        FileBody second = std::move(first);
        FileBody third(owner, fds[0], 0, 0);
        third = std::move(second);  // assigning over a shared body must not close its fd
        owner.reset();              // the cache drops it: the body still holds it
        EXPECT_NE(::fcntl(fds[0], F_GETFD), -1);
    }
    EXPECT_EQ(::fcntl(fds[0], F_GETFD), -1);
}

TEST(ErrorResponse, IsASmallHtmlPageWithEscapedDetail) {
    const Response response = error_response(400, "bad <script>&\"'");
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
    const auto& page = std::get<std::string>(response.body);
    EXPECT_NE(page.find("400 Bad Request"), std::string::npos);
    EXPECT_NE(page.find("bad &lt;script&gt;&amp;&quot;&#39;"), std::string::npos);
    EXPECT_EQ(page.find("<script>"), std::string::npos);
}

TEST(ReasonPhrase, NamesKnownStatusesAndIsEmptyOtherwise) {
    EXPECT_EQ(reason_phrase(200), "OK");
    EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
    EXPECT_EQ(reason_phrase(599), "");
}

}  // namespace
}  // namespace forkd::http
