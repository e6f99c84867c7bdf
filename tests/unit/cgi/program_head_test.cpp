#include "cgi/program_head.hpp"

#include <gtest/gtest.h>

namespace forkd::cgi {
namespace {

ProgramHead parsed(std::string_view head, bool nph = false) {
    auto result = parse_program_head(head, nph);
    EXPECT_TRUE(std::holds_alternative<ProgramHead>(result))
        << (std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "");
    return std::holds_alternative<ProgramHead>(result) ? std::get<ProgramHead>(result)
                                                       : ProgramHead{};
}

std::string refused(std::string_view head, bool nph = false) {
    auto result = parse_program_head(head, nph);
    EXPECT_TRUE(std::holds_alternative<std::string>(result));
    return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "";
}

TEST(EndOfHead, FindsTheBlankLineWithLfOrCrlfOrBothMixed) {
    EXPECT_EQ(end_of_head("Content-Type: a\n\nbody"), 17u);
    EXPECT_EQ(end_of_head("Content-Type: a\r\n\r\nbody"), 19u);
    EXPECT_EQ(end_of_head("A: b\r\nC: d\n\nbody"), 12u);
    EXPECT_EQ(end_of_head("Content-Type: a\n"), std::string_view::npos);
    EXPECT_EQ(end_of_head("Content-Type: a\r\n\r"), std::string_view::npos);
}

TEST(ProgramHead, ADocumentKeepsItsHeadersAndIs200) {
    ProgramHead head = parsed("Content-Type: text/plain\nX-Thing: 1\nSet-Cookie: a=b\n");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers.get("Content-Type"), "text/plain");
    EXPECT_EQ(head.headers.get("X-Thing"), "1");
    EXPECT_EQ(head.headers.get("Set-Cookie"), "a=b");
}

TEST(ProgramHead, StatusSetsTheCodeAndIsNotPassedOn) {
    ProgramHead head = parsed("Status: 404 Not Found\r\nContent-Type: text/html\r\n");
    EXPECT_EQ(head.status, 404);
    EXPECT_FALSE(head.headers.contains("Status"));
}

TEST(ProgramHead, FramingFieldsAreTheServersOwn) {
    ProgramHead head = parsed(
        "Content-Type: a\nContent-Length: 5\nTransfer-Encoding: chunked\nConnection: close\n");
    EXPECT_FALSE(head.headers.contains("Content-Length"));
    EXPECT_FALSE(head.headers.contains("Transfer-Encoding"));
    EXPECT_FALSE(head.headers.contains("Connection"));
}

TEST(ProgramHead, ALocalLocationAloneIsALocalRedirect) {
    ProgramHead head = parsed("Location: /other?x=1\n");
    EXPECT_EQ(head.local_redirect, "/other?x=1");
}

TEST(ProgramHead, AnAbsoluteLocationIsAClientRedirect302) {
    ProgramHead head = parsed("Location: http://example.com/x\n");
    EXPECT_TRUE(head.local_redirect.empty());
    EXPECT_EQ(head.status, 302);
    EXPECT_EQ(head.headers.get("Location"), "http://example.com/x");
}

TEST(ProgramHead, ALocalLocationWithAnotherStatusGoesToTheClientAsApacheDoes) {
    EXPECT_TRUE(parsed("Status: 301\nLocation: /moved\n").local_redirect.empty());
    EXPECT_EQ(parsed("Status: 301\nLocation: /moved\n").status, 301);
    EXPECT_EQ(parsed("Location: /x\nContent-Type: text/html\n").local_redirect, "/x");
    EXPECT_TRUE(parsed("Location: //evil.example/\n").local_redirect.empty());
}

TEST(ProgramHead, MalformedBlocksAreRefusedWithAReason) {
    EXPECT_NE(refused("no colon here\n").find("no field name"), std::string::npos);
    EXPECT_NE(refused("X-Only: 1\n").find("none of"), std::string::npos);
    EXPECT_NE(refused("Status: abc\nContent-Type: a\n").find("Status"), std::string::npos);
    EXPECT_NE(refused("Status: 2000\nContent-Type: a\n").find("Status"), std::string::npos);
    EXPECT_NE(refused("Bad Name: 1\nContent-Type: a\n").find("token"), std::string::npos);
    EXPECT_NE(refused(std::string_view("X: a\0b\nContent-Type: a\n", 22)).find("forbidden"),
              std::string::npos);
    EXPECT_NE(refused("HTTP/1.1 200 OK\nContent-Type: a\n").find("nph-"), std::string::npos);
}

TEST(ProgramHead, AnNphProgramBeginsWithItsStatusLine) {
    ProgramHead head = parsed("HTTP/1.1 418 I'm a teapot\r\nContent-Type: text/plain\r\n", true);
    EXPECT_EQ(head.status, 418);
    EXPECT_EQ(head.headers.get("Content-Type"), "text/plain");
    refused("Content-Type: text/plain\n", true);
}

}  // namespace
}  // namespace forkd::cgi
