#include "forkd/testing.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace forkd::testing {
namespace {

App hello_app() {
    App app;
    app.get("/hello/{name}", [](const Request& request) {
        return Response::text("hello " + request.param("name"));
    });
    app.get("/files/{path...}",
            [](const Request& request) { return Response::text("file " + request.param("path")); });
    app.post("/echo", [](const Request& request) {
        return Response::text(request.body.text())
            .header("X-Length", std::to_string(request.body.size()));
    });
    app.get("/query", [](const Request& request) {
        return Response::text(request.query_param("q").value_or("(none)") + "|" + request.path);
    });
    app.get("/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
    app.get("/thrown", [](const Request&) -> Response { throw "a string"; });
    app.get("/stream", [](const Request&) {
        return Response::stream("text/plain", [](BodyWriter& out) {
            out.write("one ");
            out.write("two");
        });
    });
    return app;
}

TEST(MakeRequest, SplitsTheTargetIntoPathAndQuery) {
    Request request = make_request("GET", "/a/b?x=1&y=2");
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.target, "/a/b?x=1&y=2");
    EXPECT_EQ(request.path, "/a/b");
    EXPECT_EQ(request.query, "x=1&y=2");
    EXPECT_EQ(request.version, 11);
    EXPECT_FALSE(request.remote_addr.empty());
    Request plain = make_request("GET", "/a");
    EXPECT_EQ(plain.path, "/a");
    EXPECT_EQ(plain.query, "");
    Request empty_query = make_request("GET", "/a?");
    EXPECT_EQ(empty_query.path, "/a");
    EXPECT_EQ(empty_query.query, "");
}

TEST(MakeRequest, GivesABodyItsLength) {
    Request request = make_request("POST", "/echo", "payload");
    EXPECT_EQ(request.body.text(), "payload");
    EXPECT_EQ(request.header("Content-Length"), "7");
    Headers headers;
    headers.add("Content-Type", "text/plain");
    Request with_headers = make_request("POST", "/echo", "ab", headers);
    EXPECT_EQ(with_headers.header("content-type"), "text/plain");
    EXPECT_EQ(with_headers.header("Content-Length"), "2");
    EXPECT_FALSE(make_request("GET", "/").headers.contains("Content-Length"));
}

TEST(Call, PassesPathParametersToTheHandler) {
    App app = hello_app();
    Result result = call(app, "GET", "/hello/J%C3%B6rg");
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.body, "hello Jörg");
    EXPECT_EQ(result.headers.get("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_FALSE(result.close);
    EXPECT_EQ(call(app, "GET", "/files/a/b.txt").body, "file a/b.txt");
    EXPECT_EQ(call(app, "GET", "/files").body, "file ");
}

TEST(Call, NamesThePatternThatMatched) {
    App app = hello_app();
    EXPECT_EQ(call(app, "GET", "/hello/bob").route, "/hello/{name}");
    EXPECT_EQ(call(app, "GET", "/files/x/y").route, "/files/{path...}");
    EXPECT_EQ(call(app, "GET", "/nowhere").route, "");
}

TEST(Call, PassesTheQueryAndBody) {
    App app = hello_app();
    EXPECT_EQ(call(app, "GET", "/query?q=a+b").body, "a b|/query");
    EXPECT_EQ(call(app, "GET", "/query").body, "(none)|/query");
    Result echo = call(app, "POST", "/echo", "posted");
    EXPECT_EQ(echo.body, "posted");
    EXPECT_EQ(echo.headers.get("X-Length"), "6");
}

TEST(Call, PassesABodyInAFile) {
    App app = hello_app();
    int fd = ::memfd_create("forkd-testing-test", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "from a file", 11), 11);
    Request request = make_request("POST", "/echo");
    request.body = RequestBody::from_file(fd, 11);
    Result result = call(app, std::move(request));
    EXPECT_EQ(result.body, "from a file");
    EXPECT_EQ(result.headers.get("X-Length"), "11");
}

TEST(Call, SendsNoBodyForHead) {
    App app = hello_app();
    Result result = call(app, "HEAD", "/hello/bob");
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.body, "");
    EXPECT_EQ(result.headers.get("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(result.route, "/hello/{name}");
}

TEST(Call, SendsNoBodyForAHeadThatStreams) {
    App app = hello_app();
    Result result = call(app, "HEAD", "/stream");
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.body, "");
}

TEST(Call, CollectsAStreamBody) {
    App app = hello_app();
    Result result = call(app, "GET", "/stream");
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.body, "one two");
    EXPECT_EQ(result.headers.get("Content-Type"), "text/plain");
}

TEST(Call, ReadsAFileBody) {
    std::string path = (std::filesystem::temp_directory_path() /
                        ("forkd-testing-test-" + std::to_string(::getpid()) + ".txt"))
                           .string();
    std::ofstream(path) << "file contents";
    App app;
    app.get("/file", [path](const Request&) { return Response::file(path); });
    Result result = call(app, "GET", "/file");
    std::filesystem::remove(path);
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.body, "file contents");
    EXPECT_EQ(result.headers.get("Content-Type"), "text/plain; charset=utf-8");
}

TEST(Call, Answers500WhenTheHandlerThrows) {
    App app = hello_app();
    Result result = call(app, "GET", "/boom");
    EXPECT_EQ(result.status, 500);
    EXPECT_TRUE(result.close);
    EXPECT_EQ(result.route, "/boom");
    Result other = call(app, "GET", "/thrown");
    EXPECT_EQ(other.status, 500);
    EXPECT_TRUE(other.close);
}

TEST(Call, Answers404And405AsTheServerWould) {
    App app = hello_app();
    Result missing = call(app, "GET", "/nowhere");
    EXPECT_EQ(missing.status, 404);
    Result wrong = call(app, "DELETE", "/hello/bob");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.headers.get("Allow"), "GET, HEAD");
    Result post = call(app, "GET", "/echo");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.headers.get("Allow"), "POST");
}

TEST(Call, AnswersOptionsStar) {
    App app = hello_app();
    Result result = call(app, "OPTIONS", "*");
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.headers.get("Allow"), "GET, HEAD, OPTIONS");
}

TEST(Call, LeavesBuiltinsOut) {
    App app;
    app.mount(Builtin::status);
    app.get("/mine", [](const Request&) { return Response::text("mine"); });
    app.mount(Builtin::static_files);
    EXPECT_EQ(call(app, "GET", "/mine").body, "mine");
    EXPECT_EQ(call(app, "GET", "/index.html").status, 404);
}

}  // namespace
}  // namespace forkd::testing
