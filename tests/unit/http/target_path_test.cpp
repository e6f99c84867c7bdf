#include "http/target_path.hpp"

#include <gtest/gtest.h>

namespace forkd::http {
namespace {

std::string normalized(std::string_view raw) {
    const auto path = normalize_target_path(raw);
    return path ? path->text() : "<invalid>";
}

TEST(TargetPath, KeepsASimplePath) {
    EXPECT_EQ(normalized("/"), "/");
    EXPECT_EQ(normalized("/a/b.txt"), "/a/b.txt");
    EXPECT_EQ(normalized("/a/b/"), "/a/b/");
    EXPECT_EQ(normalize_target_path("/a/b")->relative(), "a/b");
}

// A plain segment is copied whole after a check of eight bytes at a time: a byte that
// needs decoding or refusing is found wherever it falls in a word, in long names too.
TEST(TargetPath, FindsAnEscapeOrARefusedByteAnywhereInALongName) {
    for (std::size_t place = 0; place < 20; ++place) {
        std::string name(20, 'n');
        name[place] = '\\';
        EXPECT_EQ(normalized("/d/" + name), "<invalid>") << "backslash at " << place;
        name[place] = '\0';
        EXPECT_EQ(normalized("/d/" + name), "<invalid>") << "NUL at " << place;
        name[place] = '%';
        EXPECT_EQ(normalized("/d/" + name), "<invalid>") << "'%' without digits at " << place;
        name.replace(place, 1, "%41");
        std::string decoded(20, 'n');
        decoded[place] = 'A';
        EXPECT_EQ(normalized("/d/" + name), "/d/" + decoded) << "escape at " << place;
        name.replace(place, 3, "n");
        EXPECT_EQ(normalized("/d/" + name), "/d/" + name);
    }
}

TEST(TargetPath, DecodesEachSegmentOnce) {
    EXPECT_EQ(normalized("/a%20b/%C3%A9"), "/a b/\xC3\xA9");
    EXPECT_EQ(normalized("/%252e%252e/x"), "/%2e%2e/x");
}

TEST(TargetPath, ResolvesDotSegmentsBeneathTheRoot) {
    EXPECT_EQ(normalized("/a/./b/../c"), "/a/c");
    EXPECT_EQ(normalized("/a//b"), "/a/b");
    EXPECT_EQ(normalized("/a/%2e%2e/c"), "/c");
    EXPECT_EQ(normalized("/a/.."), "/");
    EXPECT_EQ(normalized("/a/b/."), "/a/b/");
}

TEST(TargetPath, RejectsClimbingAboveTheRoot) {
    EXPECT_EQ(normalized("/.."), "<invalid>");
    EXPECT_EQ(normalized("/../secret"), "<invalid>");
    EXPECT_EQ(normalized("/a/../../secret"), "<invalid>");
    EXPECT_EQ(normalized("/%2e%2e/secret"), "<invalid>");
    EXPECT_EQ(normalized("/%2E%2e/secret"), "<invalid>");
    EXPECT_EQ(normalized("/.%2e/secret"), "<invalid>");
}

TEST(TargetPath, RejectsEncodedSlashesBackslashesAndNul) {
    EXPECT_EQ(normalized("/..%2fsecret"), "<invalid>");
    EXPECT_EQ(normalized("/a%2Fb"), "<invalid>");
    EXPECT_EQ(normalized("/..\\secret"), "<invalid>");
    EXPECT_EQ(normalized("/..%5csecret"), "<invalid>");
    EXPECT_EQ(normalized("/a%00.txt"), "<invalid>");
}

TEST(TargetPath, RejectsMalformedEscapesAndRelativePaths) {
    EXPECT_EQ(normalized("/a%"), "<invalid>");
    EXPECT_EQ(normalized("/a%2"), "<invalid>");
    EXPECT_EQ(normalized("/a%zz"), "<invalid>");
    EXPECT_EQ(normalized("a/b"), "<invalid>");
    EXPECT_EQ(normalized(""), "<invalid>");
}

TEST(TargetPath, EncodesSegmentsForLinks) {
    EXPECT_EQ(encode_path_segment("a b<\"#?%/"), "a%20b%3C%22%23%3F%25%2F");
    EXPECT_EQ(encode_path_segment("plain-name_1.txt"), "plain-name_1.txt");
    EXPECT_EQ(encode_path_segment("\xC3\xA9"), "%C3%A9");
}

}  // namespace
}  // namespace forkd::http
