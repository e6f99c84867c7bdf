#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "api/request_renewal.hpp"
#include "forkd/request.hpp"

namespace forkd {
namespace {

Request with_query(std::string query) {
    Request request;
    request.query = std::move(query);
    return request;
}

// An unlinked file holding `content`, its offset at the end (as a spooled body's would be).
int file_holding(std::string_view content) {
    int fd = ::memfd_create("forkd-request-test", MFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t wrote = ::write(fd, content.data() + done, content.size() - done);
        if (wrote <= 0) throw std::system_error(errno, std::generic_category(), "write");
        done += static_cast<std::size_t>(wrote);
    }
    return fd;
}

bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

std::string read_at(const RequestBody& body, std::uint64_t offset, std::size_t size) {
    std::string out(size, '\0');
    out.resize(body.read_at(offset, std::span<char>(out.data(), out.size())));
    return out;
}

TEST(PercentDecode, DecodesEscapes) {
    EXPECT_EQ(percent_decode("a%20b"), "a b");
    EXPECT_EQ(percent_decode("J%C3%B6rg"), "Jörg");
    EXPECT_EQ(percent_decode("%2f%2F"), "//");
    EXPECT_EQ(percent_decode("%41%42"), "AB");
    EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, KeepsAMalformedPercent) {
    EXPECT_EQ(percent_decode("100%"), "100%");
    EXPECT_EQ(percent_decode("%4"), "%4");
    EXPECT_EQ(percent_decode("a%4"), "a%4");
    EXPECT_EQ(percent_decode("%zz"), "%zz");
    EXPECT_EQ(percent_decode("%g1"), "%g1");
    EXPECT_EQ(percent_decode("%%41"), "%A");
}

TEST(PercentDecode, MakesPlusASpaceOnlyWhenAsked) {
    EXPECT_EQ(percent_decode("a+b"), "a+b");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("a%2Bb", true), "a+b");
}

TEST(Request, DecodesQueryParameters) {
    Request request = with_query("q=a+b%21&name=J%C3%B6rg&raw=100%&odd=%zz");
    EXPECT_EQ(request.query_param("q"), "a b!");
    EXPECT_EQ(request.query_param("name"), "Jörg");
    EXPECT_EQ(request.query_param("raw"), "100%");
    EXPECT_EQ(request.query_param("odd"), "%zz");
}

TEST(Request, GivesNoQueryParameterThatIsAbsent) {
    EXPECT_EQ(with_query("").query_param("x"), std::nullopt);
    EXPECT_EQ(with_query("a=1").query_param("x"), std::nullopt);
    EXPECT_EQ(with_query("xx=1").query_param("x"), std::nullopt);
    EXPECT_EQ(with_query("a=x").query_param("x"), std::nullopt);
    EXPECT_TRUE(with_query("a=1").query_params("x").empty());
}

TEST(Request, GivesABareQueryKeyAnEmptyValue) {
    Request request = with_query("flag&x=1&empty=");
    EXPECT_EQ(request.query_param("flag"), "");
    EXPECT_EQ(request.query_param("empty"), "");
    EXPECT_EQ(request.query_param("x"), "1");
    EXPECT_EQ(with_query("flag").query_param("flag"), "");
}

TEST(Request, GivesTheFirstOfARepeatedQueryParameter) {
    Request request = with_query("tag=a&other=x&tag=b+c&tag=&tag");
    EXPECT_EQ(request.query_param("tag"), "a");
    EXPECT_EQ(request.query_params("tag"), (std::vector<std::string>{"a", "b c", "", ""}));
}

TEST(Request, DecodesQueryKeys) {
    Request request = with_query("first+name=Ann&a%5Bb%5D=1");
    EXPECT_EQ(request.query_param("first name"), "Ann");
    EXPECT_EQ(request.query_param("a[b]"), "1");
}

TEST(Request, SkipsEmptyQueryParameters) {
    Request request = with_query("&&a=1&&b=2&");
    EXPECT_EQ(request.query_param("a"), "1");
    EXPECT_EQ(request.query_param("b"), "2");
    EXPECT_EQ(request.query_param(""), std::nullopt);
}

TEST(Request, KeepsEverythingAfterTheFirstEqualsInTheValue) {
    EXPECT_EQ(with_query("expr=a=b").query_param("expr"), "a=b");
    EXPECT_EQ(with_query("k=%3D").query_param("k"), "=");
}

TEST(Request, GivesPathParametersByName) {
    Request request;
    request.params = {{"user", "bob"}, {"path", ""}};
    EXPECT_EQ(request.param("user"), "bob");
    EXPECT_EQ(request.param("path"), "");
    EXPECT_EQ(request.param("absent"), "");
    EXPECT_EQ(Request{}.param("anything"), "");
}

TEST(Request, ReadsHeadersCaseInsensitively) {
    Request request;
    request.headers.add("Content-Type", "text/plain");
    EXPECT_EQ(request.header("content-type"), "text/plain");
    EXPECT_EQ(request.header("Accept"), std::nullopt);
    EXPECT_FALSE(request.is_head());
    request.method = "HEAD";
    EXPECT_TRUE(request.is_head());
}

TEST(RequestBody, ReadsABodyInMemory) {
    RequestBody body("hello world");
    EXPECT_FALSE(body.in_file());
    EXPECT_EQ(body.file_descriptor(), -1);
    EXPECT_EQ(body.size(), 11U);
    EXPECT_FALSE(body.empty());
    EXPECT_EQ(body.text(), "hello world");
    EXPECT_EQ(body.in_memory(), "hello world");
    EXPECT_TRUE(body == "hello world");
    EXPECT_EQ(read_at(body, 0, 5), "hello");
    EXPECT_EQ(read_at(body, 6, 100), "world");
    EXPECT_EQ(read_at(body, 11, 4), "");
    EXPECT_EQ(read_at(body, 1000, 4), "");
    EXPECT_EQ(read_at(body, 3, 0), "");
}

TEST(RequestBody, IsEmptyByDefault) {
    RequestBody body;
    EXPECT_TRUE(body.empty());
    EXPECT_EQ(body.size(), 0U);
    EXPECT_EQ(body.text(), "");
    EXPECT_EQ(read_at(body, 0, 8), "");
}

TEST(RequestBody, KeepsBinaryBytes) {
    std::string bytes("a\0b\xff", 4);
    RequestBody body(bytes);
    EXPECT_EQ(body.size(), 4U);
    EXPECT_EQ(body.text(), bytes);
}

TEST(RequestBody, GrowsPieceByPiece) {
    RequestBody body;
    body.reserve(16);
    body.append("ab");
    body.append("cd");
    EXPECT_EQ(body.text(), "abcd");
    EXPECT_EQ(body.take_bytes(), "abcd");
    EXPECT_TRUE(body.empty());
}

TEST(RequestBody, ReadsABodyInAFile) {
    const std::string content = "0123456789abcdef";
    int fd = file_holding(content);
    RequestBody body = RequestBody::from_file(fd, content.size());
    EXPECT_TRUE(body.in_file());
    EXPECT_EQ(body.file_descriptor(), fd);
    EXPECT_EQ(body.size(), content.size());
    EXPECT_EQ(body.in_memory(), "");
    EXPECT_EQ(body.text(), content);
    EXPECT_TRUE(body == content);
    // Positional reads: the file's own offset (at its end after the writes) does not matter.
    EXPECT_EQ(read_at(body, 0, 4), "0123");
    EXPECT_EQ(read_at(body, 10, 4), "abcd");
    EXPECT_EQ(read_at(body, 12, 100), "cdef");
    EXPECT_EQ(read_at(body, 16, 4), "");
    EXPECT_EQ(read_at(body, 1000, 4), "");
    EXPECT_EQ(body.text(), content);  // again: nothing was consumed
}

TEST(RequestBody, ReadsOnlyTheSizeItWasGiven) {
    int fd = file_holding("0123456789");
    RequestBody body = RequestBody::from_file(fd, 4);
    EXPECT_EQ(body.size(), 4U);
    EXPECT_EQ(body.text(), "0123");
    EXPECT_EQ(read_at(body, 2, 100), "23");
    EXPECT_EQ(read_at(body, 4, 100), "");
}

TEST(RequestBody, ReadsALargeFileWhole) {
    std::string content;
    for (int i = 0; i < 200000; ++i)
        content += static_cast<char>('a' + i % 26);
    RequestBody body = RequestBody::from_file(file_holding(content), content.size());
    EXPECT_EQ(body.text(), content);
    EXPECT_EQ(read_at(body, 150000, 3), content.substr(150000, 3));
}

TEST(RequestBody, ThrowsWhenTheFileIsShorterThanItsSize) {
    RequestBody body = RequestBody::from_file(file_holding("abc"), 10);
    EXPECT_THROW((void)body.text(), std::system_error);
}

TEST(RequestBody, ThrowsWhenTheFileCannotBeRead) {
    int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    RequestBody body = RequestBody::from_file(fd, 10);
    std::array<char, 4> out{};
    EXPECT_THROW((void)body.read_at(0, out), std::system_error);
    EXPECT_THROW((void)body.text(), std::system_error);
}

TEST(RequestBody, SharesTheFileBetweenCopies) {
    int fd = file_holding("shared");
    std::optional<RequestBody> original = RequestBody::from_file(fd, 6);
    RequestBody copy = *original;
    RequestBody assigned;
    assigned = copy;
    EXPECT_EQ(copy.file_descriptor(), fd);
    EXPECT_EQ(assigned.file_descriptor(), fd);
    original.reset();
    EXPECT_TRUE(is_open(fd));
    EXPECT_EQ(copy.text(), "shared");
    EXPECT_EQ(assigned.text(), "shared");
}

TEST(RequestBody, ClosesTheFileWithTheLastCopy) {
    int fd = file_holding("x");
    {
        std::optional<RequestBody> first = RequestBody::from_file(fd, 1);
        {
            RequestBody second = *first;
            first.reset();
            EXPECT_TRUE(is_open(fd));
            RequestBody moved = std::move(second);
            EXPECT_TRUE(is_open(fd));
            EXPECT_EQ(moved.text(), "x");
        }
        EXPECT_FALSE(is_open(fd));
    }
}

TEST(RequestBody, ClosesTheFileWhenReplaced) {
    int fd = file_holding("x");
    RequestBody body = RequestBody::from_file(fd, 1);
    body = RequestBody("in memory");
    EXPECT_FALSE(is_open(fd));
    EXPECT_FALSE(body.in_file());
    EXPECT_EQ(body.text(), "in memory");
}

TEST(RequestBody, ReachesTheRequestThatCarriesIt) {
    int fd = file_holding("payload");
    {
        Request request;
        request.body = RequestBody::from_file(fd, 7);
        Request copy = request;
        EXPECT_EQ(copy.body.text(), "payload");
    }
    EXPECT_FALSE(is_open(fd));
}

// A connection reads request after request into one object: nothing of the last may reach
// the next (a stale path, field, route or client address would be answered as the new
// request's), and a body file must close.
TEST(RequestRenewal, LeavesEveryMemberAsADefaultRequestHasIt) {
    int fd = file_holding("payload");
    Request request;
    request.method = "POST";
    request.target = "http://example.com/a/rather/long/path?with=query";
    request.path = "/a/rather/long/path";
    request.query = "with=query";
    request.version = 10;
    request.headers.add("Host", "example.com");
    request.body = RequestBody::from_file(fd, 7);
    request.remote_addr = "192.0.2.1";
    request.peer_addr = "127.0.0.1:40000";
    request.scheme = "https";
    request.request_id = "3f9c0a7d51e2b846000002a1";
    request.route = "/a/{rest...}";
    request.params = {{"rest", "rather/long/path"}};

    api::renew(request);

    const Request fresh;
    EXPECT_EQ(request.method, fresh.method);
    EXPECT_EQ(request.target, fresh.target);
    EXPECT_EQ(request.path, fresh.path);
    EXPECT_EQ(request.query, fresh.query);
    EXPECT_EQ(request.version, fresh.version);
    EXPECT_TRUE(request.headers.empty());
    EXPECT_TRUE(request.body.empty());
    EXPECT_FALSE(request.body.in_file());
    EXPECT_FALSE(is_open(fd));
    EXPECT_EQ(request.remote_addr, fresh.remote_addr);
    EXPECT_EQ(request.peer_addr, fresh.peer_addr);
    EXPECT_EQ(request.scheme, fresh.scheme);
    EXPECT_EQ(request.request_id, fresh.request_id);
    EXPECT_EQ(request.route, fresh.route);
    EXPECT_TRUE(request.params.empty());
}

}  // namespace
}  // namespace forkd
