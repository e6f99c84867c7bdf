// A request body while it arrives: memory up to the limit, then a temp file that grows as the
// parser decodes; handed on as that file, or back in memory for a handler that reads
// request.body in an io worker.
#include "session/body_spool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "os/io.hpp"

namespace forkd::session {
namespace {

namespace fs = std::filesystem;

class BodySpoolTest : public testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "forkd-spool-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        directory = pattern;
    }
    void TearDown() override { fs::remove_all(directory); }

    static std::string contents(const Fd& file) {
        std::string out;
        EXPECT_TRUE(os::read_whole_file(file.get(), out));
        return out;
    }

    fs::path directory;
    http::RequestParser parser{http::Limits{}};
    Fd file;
};

constexpr std::string_view kHead = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";

TEST_F(BodySpoolTest, KeepsABodyWithinTheLimitInMemory) {
    BodySpool spool(10, directory.string());
    ASSERT_EQ(parser.feed(std::string(kHead) + "0123456789").progress, http::Progress::complete);
    ASSERT_TRUE(spool.absorb(parser, file));
    EXPECT_FALSE(file);
    EXPECT_EQ(parser.take_request().body.text(), "0123456789");
}

TEST_F(BodySpoolTest, MovesABodyOverTheLimitToAFileAsItArrives) {
    BodySpool spool(4, directory.string());
    ASSERT_EQ(parser.feed(std::string(kHead) + "012").progress, http::Progress::headers_done);
    ASSERT_TRUE(spool.absorb(parser, file));
    EXPECT_FALSE(file) << "three bytes fit in memory";
    ASSERT_EQ(parser.feed("3456").progress, http::Progress::need_more);
    ASSERT_TRUE(spool.absorb(parser, file));
    ASSERT_TRUE(file);
    EXPECT_EQ(parser.held_body_size(), 0U);
    ASSERT_EQ(parser.feed("789").progress, http::Progress::complete);
    ASSERT_TRUE(spool.absorb(parser, file));
    EXPECT_EQ(contents(file), "0123456789");
    EXPECT_EQ(parser.take_request().body.text(), "");
    EXPECT_TRUE(fs::is_empty(directory)) << "the file has no name";
}

TEST_F(BodySpoolTest, MovesWhatIsLeftToTheFileForAHandOff) {
    BodySpool spool(4, directory.string());
    Request request;
    request.body = "small";
    ASSERT_TRUE(spool.move_to_file(request, file, 64));
    EXPECT_FALSE(file);
    EXPECT_EQ(request.body.text(), "small");
    ASSERT_TRUE(spool.move_to_file(request, file, 3));
    EXPECT_EQ(contents(file), "small");
    EXPECT_EQ(request.body.text(), "");
    request.body = " tail";  // decoded after the last absorb
    ASSERT_TRUE(spool.move_to_file(request, file, 64));
    EXPECT_EQ(contents(file), "small tail");
}

TEST_F(BodySpoolTest, BringsAFileBodyBackIntoMemoryFileFirst) {
    BodySpool spool(4, directory.string());
    Request request;
    request.body = "head";
    ASSERT_TRUE(spool.move_to_file(request, file, 0));
    request.body = "+tail";
    ASSERT_TRUE(BodySpool::bring_back(request, file));
    EXPECT_EQ(request.body.text(), "head+tail");
    EXPECT_FALSE(file);
}

TEST_F(BodySpoolTest, SettlesABodyPartlyInAFileAsThatFileForTheHandler) {
    BodySpool spool(4, directory.string());
    ASSERT_EQ(parser.feed(std::string(kHead) + "012345").progress, http::Progress::headers_done);
    ASSERT_TRUE(spool.absorb(parser, file));
    ASSERT_EQ(parser.feed("6789").progress, http::Progress::complete);
    Request request = parser.take_request();
    ASSERT_TRUE(spool.settle_body(request, file));
    EXPECT_FALSE(file) << "the request owns the file now";
    ASSERT_TRUE(request.body.in_file());
    EXPECT_GE(request.body.file_descriptor(), 0);
    EXPECT_EQ(request.body.size(), 10U);
    EXPECT_EQ(request.body.text(), "0123456789");
    EXPECT_TRUE(fs::is_empty(directory)) << "the file has no name";
}

TEST_F(BodySpoolTest, SettlesABodyWithinTheLimitInMemory) {
    BodySpool spool(10, directory.string());
    ASSERT_EQ(parser.feed(std::string(kHead) + "0123456789").progress, http::Progress::complete);
    ASSERT_TRUE(spool.absorb(parser, file));
    Request request = parser.take_request();
    ASSERT_TRUE(spool.settle_body(request, file));
    EXPECT_FALSE(request.body.in_file());
    EXPECT_EQ(request.body.in_memory(), "0123456789");
}

TEST_F(BodySpoolTest, FailsWhenTheDirectoryCannotHoldFiles) {
    BodySpool spool(0, (directory / "missing").string());
    EXPECT_NE(spool.check(), "");
    Request request;
    request.body = "x";
    EXPECT_FALSE(spool.move_to_file(request, file, 0));
    request.body = "over the limit";
    EXPECT_FALSE(spool.settle_body(request, file));
    EXPECT_EQ(BodySpool(0, directory.string()).check(), "");
}

}  // namespace
}  // namespace forkd::session
