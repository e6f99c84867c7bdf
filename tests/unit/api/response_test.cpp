#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "api/error_pages.hpp"
#include "forkd/response.hpp"

namespace forkd {
namespace {

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

int file_holding(std::string_view content) {
    int fd = ::memfd_create("forkd-response-test", MFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
    if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
        throw std::system_error(errno, std::generic_category(), "write");
    }
    return fd;
}

// A directory of its own under the system's temporary directory, removed at the end.
class TempDir {
  public:
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "forkd-api-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        path_ = templ;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string write(const std::string& name, std::string_view content) const {
        std::string file = (path_ / name).string();
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }
    std::string path() const { return path_.string(); }

  private:
    std::filesystem::path path_;
};

// Installs app error pages for one test and removes them after it.
class ErrorPagesInstalled {
  public:
    explicit ErrorPagesInstalled(std::vector<api::ErrorPage> pages) {
        api::set_error_pages(std::move(pages));
    }
    ~ErrorPagesInstalled() { api::set_error_pages({}); }
    ErrorPagesInstalled(const ErrorPagesInstalled&) = delete;
    ErrorPagesInstalled& operator=(const ErrorPagesInstalled&) = delete;
};

const std::string& bytes_of(const Response& response) {
    return std::get<std::string>(response.body);
}

TEST(Response, MakesPlainText) {
    Response response = Response::text("hello");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(response.headers.size(), 1U);
    EXPECT_EQ(bytes_of(response), "hello");
    EXPECT_FALSE(response.close);
}

TEST(Response, MakesTextWithAStatusAndType) {
    Response response = Response::text(201, "made", "text/csv");
    EXPECT_EQ(response.status, 201);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/csv");
    EXPECT_EQ(bytes_of(response), "made");
    EXPECT_EQ(Response::text(418, "teapot").headers.get("Content-Type"),
              "text/plain; charset=utf-8");
}

TEST(Response, MakesHtml) {
    Response response = Response::html("<p>hi</p>");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(bytes_of(response), "<p>hi</p>");
    EXPECT_EQ(Response::html("", 404).status, 404);
}

TEST(Response, MakesJson) {
    Response response = Response::json(R"({"ok":true})");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "application/json");
    EXPECT_EQ(bytes_of(response), R"({"ok":true})");
    EXPECT_EQ(Response::json("{}", 422).status, 422);
}

TEST(Response, SetsHeadersReplacingAnyOfTheSameName) {
    Response response = Response::text("x");
    response.header("X-One", "1").header("content-type", "text/x-mine").header("X-One", "2");
    EXPECT_EQ(response.headers.count("X-One"), 1U);
    EXPECT_EQ(response.headers.get("x-one"), "2");
    EXPECT_EQ(response.headers.count("Content-Type"), 1U);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/x-mine");
}

TEST(Response, SetsHeadersOnATemporary) {
    auto make = [] {
        return Response::text("x").header("Cache-Control", "no-store").header("X-Two", "2");
    };
    Response response = make();
    EXPECT_EQ(response.headers.get("Cache-Control"), "no-store");
    EXPECT_EQ(response.headers.get("X-Two"), "2");
    EXPECT_EQ(bytes_of(response), "x");
}

TEST(Response, RedirectsWithLocation) {
    Response found = Response::redirect("/login?next=%2F");
    EXPECT_EQ(found.status, 302);
    EXPECT_EQ(found.headers.get("Location"), "/login?next=%2F");
    EXPECT_EQ(bytes_of(found), "");
    for (int status : {301, 303, 307, 308}) {
        Response response = Response::redirect("https://example.com/", status);
        EXPECT_EQ(response.status, status);
        EXPECT_EQ(response.headers.get("Location"), "https://example.com/");
    }
}

TEST(Response, SendsAFileByItsDescriptor) {
    TempDir dir;
    const std::string content = "<h1>page</h1>\n";
    std::string path = dir.write("page.html", content);
    Response response = Response::file(path);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
    auto* file = std::get_if<FileBody>(&response.body);
    ASSERT_NE(file, nullptr);
    EXPECT_GE(file->fd, 0);
    EXPECT_EQ(file->offset, 0);
    EXPECT_EQ(file->length, static_cast<off_t>(content.size()));
    EXPECT_EQ(file->owner, nullptr);
    EXPECT_EQ(collect_body(response), content);
    // The descriptor is not inherited by programs the worker starts.
    EXPECT_NE(::fcntl(file->fd, F_GETFD) & FD_CLOEXEC, 0);
}

TEST(Response, SendsAFileOfUnknownTypeAsOctetStream) {
    TempDir dir;
    Response response = Response::file(dir.write("blob.forkd-unknown-ext", "\x01\x02"));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "application/octet-stream");
    EXPECT_EQ(std::get<FileBody>(response.body).length, 2);
}

TEST(Response, SendsAnEmptyFile) {
    TempDir dir;
    Response response = Response::file(dir.write("empty.txt", ""));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(std::get<FileBody>(response.body).length, 0);
    EXPECT_EQ(collect_body(response), "");
}

TEST(Response, AnswersAMissingFileWith404) {
    TempDir dir;
    Response response = Response::file(dir.path() + "/absent.txt");
    EXPECT_EQ(response.status, 404);
    EXPECT_TRUE(std::holds_alternative<std::string>(response.body));
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
}

TEST(Response, AnswersADirectoryWith404) {
    TempDir dir;
    Response response = Response::file(dir.path());
    EXPECT_EQ(response.status, 404);
    EXPECT_TRUE(std::holds_alternative<std::string>(response.body));
}

TEST(Response, AnswersAFifoWith404WithoutWaitingForAWriter) {
    TempDir dir;
    std::string fifo = dir.path() + "/fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    Response response = Response::file(fifo);  // would block in open() without O_NONBLOCK
    EXPECT_EQ(response.status, 404);
}

TEST(FileBody, ClosesItsDescriptor) {
    int fd = file_holding("abc");
    { FileBody body(fd, 0, 3); }
    EXPECT_FALSE(is_open(fd));
}

TEST(FileBody, HandsItsDescriptorOnWhenMoved) {
    int fd = file_holding("abc");
    {
        FileBody first(fd, 1, 2);
        FileBody second(std::move(first));
        EXPECT_EQ(first.fd, -1);  // NOLINT(bugprone-use-after-move): moved-from state is the API
        EXPECT_EQ(second.fd, fd);
        EXPECT_EQ(second.offset, 1);
        EXPECT_EQ(second.length, 2);
        { FileBody gone(std::move(second)); }
        EXPECT_FALSE(is_open(fd));
    }
}

TEST(FileBody, ClosesTheDescriptorItHeldWhenAssigned) {
    int old_fd = file_holding("old");
    int new_fd = file_holding("new");
    FileBody body(old_fd, 0, 3);
    body = FileBody(new_fd, 0, 3);
    EXPECT_FALSE(is_open(old_fd));
    EXPECT_TRUE(is_open(new_fd));
    EXPECT_EQ(body.fd, new_fd);
}

TEST(FileBody, LeavesAnOwnedDescriptorToItsOwner) {
    int fd = file_holding("cached");
    auto owner = std::shared_ptr<const int>(new int(fd), [](const int* owned) {
        ::close(*owned);
        delete owned;
    });
    std::weak_ptr<const int> watch = owner;
    {
        FileBody body(owner, fd, 0, 6);
        owner.reset();
        EXPECT_FALSE(watch.expired());  // the body keeps the owner alive
        Response response;
        response.body = std::move(body);
        EXPECT_EQ(collect_body(response), "cached");
    }
    EXPECT_TRUE(watch.expired());
    EXPECT_FALSE(is_open(fd));
}

TEST(FileBody, ReadsItsRangeOnly) {
    Response response;
    response.body = FileBody(file_holding("0123456789"), 3, 4);
    EXPECT_EQ(collect_body(response), "3456");
}

TEST(Response, ClosesAFileBodyWhenReplacedByAnother) {
    int fd = file_holding("abc");
    Response response;
    response.body = FileBody(fd, 0, 3);
    response.body = std::string("bytes");
    EXPECT_FALSE(is_open(fd));
}

TEST(Response, StreamsABodyInPieces) {
    Response response = Response::stream("text/event-stream", [](BodyWriter& out) {
        for (int i = 0; i < 3; ++i) {
            if (!out.write("data: " + std::to_string(i) + "\n\n")) return;
        }
    });
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/event-stream");
    ASSERT_TRUE(std::holds_alternative<StreamBody>(response.body));
    EXPECT_EQ(collect_body(response), "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

TEST(Response, CollectsAStreamWithNothingToProduce) {
    Response response;
    response.body = StreamBody{};
    EXPECT_EQ(collect_body(response), "");
}

TEST(Response, CollectsBytesAsTheyAre) {
    Response response = Response::text("bytes");
    EXPECT_EQ(collect_body(response), "bytes");
}

TEST(Response, ThrowsWhenAFileBodyIsShort) {
    Response response;
    response.body = FileBody(file_holding("abc"), 0, 10);
    EXPECT_THROW((void)collect_body(response), std::system_error);
}

TEST(Response, MakesAnErrorPage) {
    Response response = Response::error(404, "Nothing here.");
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.headers.get("Content-Type"), "text/html; charset=utf-8");
    const std::string& page = bytes_of(response);
    EXPECT_NE(page.find("404 Not Found"), std::string::npos) << page;
    EXPECT_NE(page.find("Nothing here."), std::string::npos) << page;
}

TEST(Response, EscapesTheDetailOfAnErrorPage) {
    Response response = Response::error(400, R"(<script>alert("x&y's")</script>)");
    const std::string& page = bytes_of(response);
    EXPECT_EQ(page.find("<script>"), std::string::npos) << page;
    EXPECT_NE(page.find("&lt;script&gt;alert(&quot;x&amp;y&#39;s&quot;)&lt;/script&gt;"),
              std::string::npos)
        << page;
}

TEST(Response, MakesAnErrorPageForAnUnknownStatus) {
    Response response = Response::error(599, "odd");
    EXPECT_EQ(response.status, 599);
    EXPECT_NE(bytes_of(response).find("599"), std::string::npos);
}

TEST(Response, UsesTheAppsErrorPageInstead) {
    ErrorPagesInstalled installed({{404, "<p>custom 404</p>", "text/html; charset=utf-8"},
                                   {500, R"({"error":"internal"})", "application/json"}});
    Response missing = Response::error(404, "ignored detail");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(bytes_of(missing), "<p>custom 404</p>");
    EXPECT_EQ(missing.headers.get("Content-Type"), "text/html; charset=utf-8");
    Response failed = Response::error(500, "ignored");
    EXPECT_EQ(failed.status, 500);
    EXPECT_EQ(bytes_of(failed), R"({"error":"internal"})");
    EXPECT_EQ(failed.headers.get("Content-Type"), "application/json");
    // Statuses the app has no page for keep forkd's.
    Response other = Response::error(405, "not this method");
    EXPECT_NE(bytes_of(other).find("405 Method Not Allowed"), std::string::npos);
}

TEST(Response, GoesBackToItsOwnErrorPageWhenTheAppsAreRemoved) {
    {
        ErrorPagesInstalled installed({{404, "custom", "text/plain"}});
        EXPECT_EQ(bytes_of(Response::error(404, "x")), "custom");
    }
    EXPECT_NE(bytes_of(Response::error(404, "x")), "custom");
    EXPECT_EQ(api::error_page_for(404), nullptr);
}

TEST(ReasonPhrase, NamesCommonStatuses) {
    EXPECT_EQ(reason_phrase(200), "OK");
    EXPECT_EQ(reason_phrase(204), "No Content");
    EXPECT_EQ(reason_phrase(301), "Moved Permanently");
    EXPECT_EQ(reason_phrase(404), "Not Found");
    EXPECT_EQ(reason_phrase(405), "Method Not Allowed");
    EXPECT_EQ(reason_phrase(413), "Content Too Large");
    EXPECT_EQ(reason_phrase(500), "Internal Server Error");
    EXPECT_EQ(reason_phrase(504), "Gateway Timeout");
    EXPECT_EQ(reason_phrase(299), "");
    EXPECT_EQ(reason_phrase(0), "");
}

}  // namespace
}  // namespace forkd
