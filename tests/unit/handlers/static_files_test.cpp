#include "handlers/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "http/response_head.hpp"

namespace forkd::handlers {
namespace {

namespace fs = std::filesystem;

// <tmp>/root: hello.txt, style.css (+ .gz), .env, docs/index.html, empty/, list/<b>&"x.txt
// <tmp>/assets: logo.svg, served under /static/
class StaticFiles : public testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() / ("forkd-static-" + std::to_string(::getpid()));
        fs::remove_all(base_);
        for (const char* dir : {"root/docs", "root/empty", "root/list", "assets"})
            fs::create_directories(base_ / dir);
        write("root/hello.txt", "hello, world");
        write("root/style.css", "body{}");
        write("root/style.css.gz", "GZIPPED");
        write("root/.env", "SECRET=1");
        write("root/docs/index.html", "<h1>docs</h1>");
        write("root/list/<b>&\"x.txt", "x");
        write("root/noext", "?");
        write("assets/logo.svg", "<svg/>");
        config_.root = base_ / "root";
        config_.locations = {"/static/=" + (base_ / "assets").string()};
    }
    void TearDown() override { fs::remove_all(base_); }

    void write(const std::string& relative, const std::string& text) {
        std::ofstream(base_ / relative, std::ios::trunc) << text;
    }
    static std::string content(const Response& response) {
        const FileBody& file = std::get<FileBody>(response.body);
        return os::read_at(file.fd, file.offset, static_cast<std::size_t>(file.length))
            .value_or("<unreadable>");
    }

    using Fields = std::initializer_list<std::pair<const char*, std::string>>;

    // A request to a fresh handler (and so an empty open-file cache).
    Response get(std::string path, Fields fields = {}, std::string method = "GET") {
        StaticFilesHandler handler(config_);
        return serve(handler, std::move(path), fields, std::move(method));
    }
    // A request to `handler`, which keeps its open-file cache as a serving process does.
    static Response serve(StaticFilesHandler& handler, std::string path, Fields fields = {},
                          std::string method = "GET") {
        Request request;
        request.method = std::move(method);
        request.path = std::move(path);
        for (const auto& [name, value] : fields)
            request.headers.add(name, value);
        return handler.handle(request);
    }

    // A field the handler set, in `headers` or serialised ahead in `ready_fields`; "" if none.
    static std::string header(const Response& response, std::string_view name) {
        if (const auto value = response.headers.get(name)) return std::string(*value);
        if (!response.ready_fields) return "";
        const std::string& ready = *response.ready_fields;
        for (std::size_t at = 0; at < ready.size();) {
            const std::size_t end = ready.find("\r\n", at);
            const std::string_view line = std::string_view(ready).substr(at, end - at);
            if (line.size() > name.size() + 1 && line[name.size()] == ':' &&
                iequals(line.substr(0, name.size()), name))
                return std::string(line.substr(name.size() + 2));
            at = end + 2;
        }
        return "";
    }
    // The head a client receives, at a fixed Date.
    static std::string wire_head(const Response& response) {
        return http::serialize_head(response, {11, true, true, 784111777});
    }
    static const FileBody& file_of(const Response& response) {
        return std::get<FileBody>(response.body);
    }
    static const std::string& bytes_of(const Response& response) {
        return std::get<std::string>(response.body);
    }

    fs::path base_;
    config::Config config_;
};

TEST_F(StaticFiles, ServesAFileAsAFileBodyWithValidators) {
    const Response response = get("/hello.txt");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(header(response, "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(header(response, "Accept-Ranges"), "bytes");
    EXPECT_FALSE(header(response, "ETag").empty());
    EXPECT_FALSE(header(response, "Last-Modified").empty());
    EXPECT_EQ(file_of(response).offset, 0);
    EXPECT_EQ(file_of(response).length, 12);
}

TEST_F(StaticFiles, AnswersHeadLikeGet) {
    const Response response = get("/hello.txt", {}, "HEAD");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(file_of(response).length, 12);
}

TEST_F(StaticFiles, RefusesOtherMethodsWithAllow) {
    const Response response = get("/hello.txt", {}, "POST");
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(header(response, "Allow"), "GET, HEAD");
}

TEST_F(StaticFiles, AnswersNotFoundForMissingFilesAndDotfiles) {
    EXPECT_EQ(get("/missing").status, 404);
    EXPECT_EQ(get("/.env").status, 404);
    config_.dotfiles = true;
    EXPECT_EQ(get("/.env").status, 200);
}

// A file that cannot exist (ENAMETOOLONG) is not found, as nginx answers; 414 is the parser's.
TEST_F(StaticFiles, AnswersNotFoundForAPathTheFileSystemCannotHold) {
    std::string long_path;  // 8,000 bytes in names of 99, past PATH_MAX
    while (long_path.size() < 8000)
        long_path += "/" + std::string(99, 'd');
    for (const std::string& path :
         {"/" + std::string(300, 'n'), "/docs/" + std::string(256, 'n') + ".html", long_path,
          "/hello.txt" + long_path}) {
        for (int cache : {1000, 0}) {
            config_.open_file_cache = cache;
            EXPECT_EQ(get(path).status, 404) << path.size() << " cache " << cache;
        }
    }
}

TEST_F(StaticFiles, RejectsPathsThatClimbOutOrHideSeparators) {
    for (const char* path : {"/../secret", "/%2e%2e/secret", "/..%2fsecret", "/a%00", "/..\\x"})
        EXPECT_EQ(get(path).status, 400) << path;
}

TEST_F(StaticFiles, UsesTheDefaultTypeForUnknownExtensions) {
    EXPECT_EQ(header(get("/noext"), "Content-Type"), "application/octet-stream");
    config_.default_type = "text/plain";
    EXPECT_EQ(header(get("/noext"), "Content-Type"), "text/plain; charset=utf-8");
}

TEST_F(StaticFiles, RedirectsADirectoryToItsSlashForm) {
    const Response response = get("/docs");
    EXPECT_EQ(response.status, 301);
    EXPECT_EQ(header(response, "Location"), "/docs/");
}

TEST_F(StaticFiles, ServesTheIndexFileOfADirectory) {
    const Response response = get("/docs/");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(header(response, "Content-Type"), "text/html; charset=utf-8");
}

TEST_F(StaticFiles, ForbidsADirectoryWithoutIndexUnlessAutoindex) {
    EXPECT_EQ(get("/list/").status, 403);
    config_.autoindex = true;
    const Response response = get("/list/");
    EXPECT_EQ(response.status, 200);
    const std::string& page = bytes_of(response);
    EXPECT_NE(page.find("&lt;b&gt;&amp;&quot;x.txt"), std::string::npos) << page;
    EXPECT_NE(page.find("href=\"./%3Cb%3E&amp;%22x.txt\""), std::string::npos) << page;
    EXPECT_EQ(page.find("<b>"), std::string::npos);
}

TEST_F(StaticFiles, ServesLocationsFromTheirOwnDirectory) {
    EXPECT_EQ(header(get("/static/logo.svg"), "Content-Type"), "image/svg+xml; charset=utf-8");
    EXPECT_EQ(get("/logo.svg").status, 404);
}

TEST_F(StaticFiles, AnswersNotModifiedForTheCurrentEtag) {
    const std::string etag = header(get("/hello.txt"), "ETag");
    const Response response = get("/hello.txt", {{"If-None-Match", etag}});
    EXPECT_EQ(response.status, 304);
    EXPECT_EQ(header(response, "ETag"), etag);
}

TEST_F(StaticFiles, AnswersPreconditionFailedForAnotherEtag) {
    EXPECT_EQ(get("/hello.txt", {{"If-Match", "\"other\""}}).status, 412);
}

TEST_F(StaticFiles, ServesOneRangeAsAFileSlice) {
    const Response response = get("/hello.txt", {{"Range", "bytes=7-"}});
    EXPECT_EQ(response.status, 206);
    EXPECT_EQ(header(response, "Content-Range"), "bytes 7-11/12");
    EXPECT_EQ(file_of(response).offset, 7);
    EXPECT_EQ(file_of(response).length, 5);
}

TEST_F(StaticFiles, ServesSeveralRangesAsMultipart) {
    const Response response = get("/hello.txt", {{"Range", "bytes=0-4,-5"}});
    EXPECT_EQ(response.status, 206);
    EXPECT_TRUE(header(response, "Content-Type").starts_with("multipart/byteranges; boundary="));
    const std::string& body = bytes_of(response);
    EXPECT_NE(body.find("Content-Range: bytes 0-4/12\r\n\r\nhello\r\n"), std::string::npos);
    EXPECT_NE(body.find("Content-Range: bytes 7-11/12\r\n\r\nworld\r\n"), std::string::npos);
}

TEST_F(StaticFiles, AnswersUnsatisfiableRanges) {
    const Response response = get("/hello.txt", {{"Range", "bytes=50-"}});
    EXPECT_EQ(response.status, 416);
    EXPECT_EQ(header(response, "Content-Range"), "bytes */12");
}

TEST_F(StaticFiles, IgnoresRangesForHeadAndForAStaleIfRange) {
    EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=0-1"}}, "HEAD").status, 200);
    EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=0-1"}, {"If-Range", "\"old\""}}).status, 200);
    EXPECT_EQ(get("/hello.txt", {{"Range", "bytes=x"}}).status, 200);
}

TEST_F(StaticFiles, ServesAPrecompressedVariantToClientsThatAcceptIt) {
    const Response response = get("/style.css", {{"Accept-Encoding", "gzip, deflate"}});
    EXPECT_EQ(header(response, "Content-Encoding"), "gzip");
    EXPECT_EQ(header(response, "Vary"), "Accept-Encoding");
    EXPECT_EQ(header(response, "Content-Type"), "text/css; charset=utf-8");
    EXPECT_EQ(file_of(response).length, 7);
    EXPECT_EQ(header(get("/style.css"), "Content-Encoding"), "");
    config_.precompressed = false;
    EXPECT_EQ(header(get("/style.css", {{"Accept-Encoding", "gzip"}}), "Content-Encoding"), "");
}

// The open-file cache is on by default; one handler serves every request, as in a process.

TEST_F(StaticFiles, SendsAHotFileFromOneCachedDescriptor) {
    StaticFilesHandler handler(config_);
    const Response first = serve(handler, "/hello.txt");
    const Response second = serve(handler, "/hello.txt");
    EXPECT_EQ(file_of(first).fd, file_of(second).fd);
    EXPECT_EQ(content(second), "hello, world");
}

TEST_F(StaticFiles, OpensTheFileForEveryRequestWithTheCacheOff) {
    config_.open_file_cache = 0;
    StaticFilesHandler handler(config_);
    const Response first = serve(handler, "/hello.txt");
    const Response second = serve(handler, "/hello.txt");
    EXPECT_NE(file_of(first).fd, file_of(second).fd);
}

TEST_F(StaticFiles, ServesAnInPlaceEditWithItsNewLengthAndEtagAtOnce) {
    StaticFilesHandler handler(config_);
    const std::string old_etag = header(serve(handler, "/hello.txt"), "ETag");
    write("root/hello.txt", "hello, edited world");
    const Response edited = serve(handler, "/hello.txt");
    EXPECT_EQ(content(edited), "hello, edited world");
    EXPECT_NE(header(edited, "ETag"), old_etag);
    EXPECT_EQ(serve(handler, "/hello.txt", {{"If-None-Match", old_etag}}).status, 200);
}

TEST_F(StaticFiles, AnswersNotFoundForADeletedFileAtOnce) {
    StaticFilesHandler handler(config_);
    EXPECT_EQ(serve(handler, "/hello.txt").status, 200);
    fs::remove(base_ / "root/hello.txt");
    EXPECT_EQ(serve(handler, "/hello.txt").status, 404);
}

TEST_F(StaticFiles, DropsADeletedPrecompressedVariantAtOnce) {
    StaticFilesHandler handler(config_);
    EXPECT_EQ(content(serve(handler, "/style.css", {{"Accept-Encoding", "gzip"}})), "GZIPPED");
    fs::remove(base_ / "root/style.css.gz");
    const Response plain = serve(handler, "/style.css", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(header(plain, "Content-Encoding"), "");
    EXPECT_EQ(content(plain), "body{}");
}

// A file's head (validators, type, a 200's fields) is made once per state of the file and kept
// in its cache entry.

TEST_F(StaticFiles, AnswersAHotFileWithTheHeadOfAColdOneByteForByte) {
    StaticFilesHandler handler(config_);
    const Response miss = serve(handler, "/hello.txt");
    const Response hit = serve(handler, "/hello.txt");
    ASSERT_NE(hit.ready_fields, nullptr);
    EXPECT_EQ(hit.ready_fields, miss.ready_fields);  // the entry's, not made again
    EXPECT_EQ(wire_head(hit), wire_head(miss));
    EXPECT_EQ(wire_head(serve(handler, "/hello.txt", {}, "HEAD")), wire_head(miss));
    config_.open_file_cache = 0;
    StaticFilesHandler uncached(config_);
    EXPECT_EQ(wire_head(serve(uncached, "/hello.txt")), wire_head(hit));
    EXPECT_NE(wire_head(hit).find("Content-Type: text/plain; charset=utf-8\r\n"),
              std::string::npos);
}

TEST_F(StaticFiles, GivesAChangedFileNewFieldsAtOnce) {
    StaticFilesHandler handler(config_);
    const Response before = serve(handler, "/hello.txt");
    serve(handler, "/hello.txt");  // hot: its entry holds the head
    write("root/hello.txt", "hello, edited world");
    const fs::path path = base_ / "root/hello.txt";
    fs::last_write_time(path, fs::last_write_time(path) - std::chrono::hours(24));
    const Response after = serve(handler, "/hello.txt");
    EXPECT_NE(header(after, "ETag"), header(before, "ETag"));
    EXPECT_NE(header(after, "Last-Modified"), header(before, "Last-Modified"));
    EXPECT_NE(wire_head(after).find("Content-Length: 19\r\n"), std::string::npos);
    StaticFilesHandler fresh(config_);
    EXPECT_EQ(wire_head(after), wire_head(serve(fresh, "/hello.txt")));
    EXPECT_EQ(serve(handler, "/hello.txt", {{"If-None-Match", header(after, "ETag")}}).status, 304);
}

TEST_F(StaticFiles, KeepsThePathsTypeOutOfAPrecompressedVariantsEntry) {
    StaticFilesHandler handler(config_);
    serve(handler, "/style.css", {{"Accept-Encoding", "gzip"}});  // opens style.css.gz
    const Response direct = serve(handler, "/style.css.gz");
    EXPECT_NE(header(direct, "Content-Type"), "text/css; charset=utf-8");
    EXPECT_EQ(header(direct, "Content-Encoding"), "");
    const Response variant = serve(handler, "/style.css", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(header(variant, "Content-Type"), "text/css; charset=utf-8");
    EXPECT_EQ(header(variant, "Content-Encoding"), "gzip");
}

}  // namespace
}  // namespace forkd::handlers
