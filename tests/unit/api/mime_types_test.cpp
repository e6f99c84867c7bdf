#include "api/mime_types.hpp"

#include <gtest/gtest.h>

namespace forkd::api {
namespace {

TEST(MimeTypes, KnowsCommonTypesWithoutASystemTable) {
    const MimeTypes types;
    EXPECT_EQ(types.content_type("a/b.png", "x/y"), "image/png");
    EXPECT_EQ(types.content_type("index.HTML", "x/y"), "text/html; charset=utf-8");
    EXPECT_EQ(types.content_type("app.js", "x/y"), "text/javascript; charset=utf-8");
}

TEST(MimeTypes, FallsBackToTheDefaultType) {
    const MimeTypes types;
    EXPECT_EQ(types.content_type("README", "application/octet-stream"), "application/octet-stream");
    EXPECT_EQ(types.content_type("a.unknownext", "text/plain"), "text/plain; charset=utf-8");
    EXPECT_EQ(types.content_type("trailingdot.", "x/y"), "x/y");
}

TEST(MimeTypes, LetsTheSystemTableOverrideTheBuiltInOne) {
    MimeTypes types;
    types.add_table(
        "# comment\n"
        "image/x-special png pngx\n"
        "application/x-first dup\n"
        "application/x-second dup\n"
        "text/x-lonely\n"
        "text/x-commented foo # bar\n");
    EXPECT_EQ(types.content_type("a.png", "d/d"), "image/x-special");
    EXPECT_EQ(types.content_type("a.PNGX", "d/d"), "image/x-special");
    EXPECT_EQ(types.content_type("a.dup", "d/d"), "application/x-first");
    EXPECT_EQ(types.content_type("a.foo", "d/d"), "text/x-commented; charset=utf-8");
    EXPECT_EQ(types.content_type("a.bar", "d/d"), "d/d");
}

TEST(MimeTypes, AddsACharsetToTextualTypesOnly) {
    EXPECT_TRUE(is_textual("text/css"));
    EXPECT_TRUE(is_textual("application/json"));
    EXPECT_TRUE(is_textual("image/svg+xml"));
    EXPECT_FALSE(is_textual("image/png"));
    EXPECT_FALSE(is_textual("application/octet-stream"));
}

}  // namespace
}  // namespace forkd::api
