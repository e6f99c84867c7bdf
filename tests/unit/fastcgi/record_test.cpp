// The records forkd sends, byte by byte against the layouts of the FastCGI specification,
// and the name-value pairs both ways.
#include "fastcgi/record.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace forkd::fastcgi {
namespace {

std::string bytes(std::initializer_list<unsigned> values) {
    std::string out;
    for (const unsigned value : values)
        out.push_back(static_cast<char>(value));
    return out;
}

struct Record {
    RecordHeader header;
    std::string content;
};

// Splits `stream` into records, checking that each is whole and padded to 8 with zeros.
std::vector<Record> split_records(std::string_view stream) {
    std::vector<Record> records;
    while (!stream.empty()) {
        const auto header = read_header(stream);
        EXPECT_TRUE(header.has_value());
        if (!header) break;
        const std::size_t size = kHeaderSize + header->content_length + header->padding_length;
        EXPECT_LE(size, stream.size());
        EXPECT_EQ(size % 8, 0U);
        EXPECT_EQ(stream.substr(kHeaderSize + header->content_length, header->padding_length),
                  std::string(header->padding_length, '\0'));
        records.push_back(
            {*header, std::string(stream.substr(kHeaderSize, header->content_length))});
        stream.remove_prefix(std::min(size, stream.size()));
    }
    return records;
}

TEST(Record, BeginRequestWithKeepConnHasTheSpecifiedLayout) {
    std::string out;
    append_begin_request(out, 1, true);
    EXPECT_EQ(out, bytes({1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0}));
}

TEST(Record, BeginRequestCarriesTheRoleAndARequestIdOverAByte) {
    std::string out;
    append_begin_request(out, 0x1234, false, Role::authorizer);
    EXPECT_EQ(out, bytes({1, 1, 0x12, 0x34, 0, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0}));
}

TEST(Record, AbortRequestAndTheEndOfStdinAreEmptyRecords) {
    std::string out;
    append_abort_request(out, 7);
    append_stdin_end(out, 7);
    EXPECT_EQ(out, bytes({1, 2, 0, 7, 0, 0, 0, 0, 1, 5, 0, 7, 0, 0, 0, 0}));
}

TEST(Record, ContentIsPaddedToAMultipleOfEightWithZeros) {
    std::string out;
    append_record(out, RecordType::stdout_stream, 1, "hello");
    EXPECT_EQ(out, bytes({1, 6, 0, 1, 0, 5, 3, 0}) + "hello" + bytes({0, 0, 0}));
}

TEST(Record, ContentOverTheLimitIsACallersMistake) {
    std::string out;
    EXPECT_THROW(append_record(out, RecordType::stdin_stream, 1, std::string(65536, 'x')),
                 std::length_error);
    append_record(out, RecordType::stdin_stream, 1, std::string(65535, 'x'));
    EXPECT_EQ(out.size(), 8U + 65535 + 1);
}

TEST(Record, ReadHeaderNeedsEightBytesAndChecksNothing) {
    EXPECT_FALSE(read_header(bytes({1, 6, 0, 1, 0, 5, 3})).has_value());
    const auto header = read_header(bytes({9, 200, 0xab, 0xcd, 0xff, 0xfe, 255, 7}));
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->version, 9);
    EXPECT_EQ(static_cast<unsigned>(header->type), 200U);
    EXPECT_EQ(header->request_id, 0xabcd);
    EXPECT_EQ(header->content_length, 0xfffe);
    EXPECT_EQ(header->padding_length, 255);
}

TEST(NameValue, ShortLengthsTakeOneByte) {
    std::string out;
    append_name_value(out, "A", std::string(127, 'v'));
    EXPECT_EQ(out.substr(0, 3), bytes({1, 127}) + "A");
    EXPECT_EQ(out.size(), 2U + 1 + 127);
}

TEST(NameValue, LengthsFrom128TakeFourBytesWithTheHighBitSet) {
    std::string out;
    append_name_value(out, std::string(128, 'n'), std::string(0x012345, 'v'));
    EXPECT_EQ(out.substr(0, 8), bytes({0x80, 0, 0, 0x80, 0x80, 0x01, 0x23, 0x45}));
    EXPECT_EQ(out.size(), 8U + 128 + 0x012345);
}

TEST(NameValue, ReadsBackWhatWasWrittenInBothForms) {
    std::string content;
    append_name_value(content, "SCRIPT_FILENAME", "/var/www/index.php");
    append_name_value(content, std::string(300, 'N'), "");
    append_name_value(content, "", std::string(200, 'V'));
    const auto pairs = read_name_values(content);
    ASSERT_TRUE(pairs.has_value());
    EXPECT_EQ(*pairs, (std::vector<NameValue>{{"SCRIPT_FILENAME", "/var/www/index.php"},
                                              {std::string(300, 'N'), ""},
                                              {"", std::string(200, 'V')}}));
}

TEST(NameValue, AcceptsAFourByteLengthBelow128) {
    const auto pairs = read_name_values(bytes({0x80, 0, 0, 1, 1}) + "ab");
    ASSERT_TRUE(pairs.has_value());
    EXPECT_EQ(*pairs, (std::vector<NameValue>{{"a", "b"}}));
}

TEST(NameValue, RefusesLengthsThatRunPastTheContent) {
    EXPECT_FALSE(read_name_values(bytes({1})).has_value());            // no value length
    EXPECT_FALSE(read_name_values(bytes({2, 0}) + "a").has_value());   // name cut short
    EXPECT_FALSE(read_name_values(bytes({1, 2}) + "ab").has_value());  // value cut short
    EXPECT_FALSE(read_name_values(bytes({0x80, 0, 0})).has_value());   // 4-byte length cut
    EXPECT_FALSE(read_name_values(bytes({0xff, 0xff, 0xff, 0xff, 0})).has_value());  // 2^31-1
    EXPECT_FALSE(read_name_values(bytes({0, 0xff, 0xff, 0xff, 0xff})).has_value());
    EXPECT_EQ(read_name_values("")->size(), 0U);
}

TEST(Params, PairsThenTheEmptyRecordThatEndsTheStream) {
    std::string out;
    const std::vector<NameValue> params{{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", ""}};
    append_params(out, 1, params);
    std::string content =
        bytes({14, 3}) + "REQUEST_METHOD" + "GET" + bytes({12, 0}) + "QUERY_STRING";
    ASSERT_EQ(content.size(), 33U);
    EXPECT_EQ(out, bytes({1, 4, 0, 1, 0, 33, 7, 0}) + content + std::string(7, '\0') +
                       bytes({1, 4, 0, 1, 0, 0, 0, 0}));
}

TEST(Params, NoPairsIsTheEmptyRecordAlone) {
    std::string out;
    append_params(out, 3, {});
    EXPECT_EQ(out, bytes({1, 4, 0, 3, 0, 0, 0, 0}));
}

TEST(Params, OverARecordSplitsBetweenPairsSoThatEachRecordReadsOnItsOwn) {
    std::vector<NameValue> params;
    for (int i = 0; i < 40; ++i)
        params.push_back({"HTTP_X_" + std::to_string(i), std::string(4000, 'a' + i % 26)});
    std::string out;
    append_params(out, 1, params);
    const std::vector<Record> records = split_records(out);
    ASSERT_GE(records.size(), 4U);  // 160,000 bytes: three records, then the empty one
    std::vector<NameValue> read;
    for (const Record& record : records) {
        EXPECT_EQ(record.header.type, RecordType::params);
        EXPECT_EQ(record.header.request_id, 1);
        EXPECT_LE(record.content.size(), kMaxStreamContent);
        // php-fpm's limit: content and padding together within 65535.
        EXPECT_LE(record.content.size() + record.header.padding_length, 65535U);
        const auto pairs = read_name_values(record.content);
        ASSERT_TRUE(pairs.has_value()) << "a pair was cut between records";
        read.insert(read.end(), pairs->begin(), pairs->end());
    }
    EXPECT_TRUE(records.back().content.empty());
    EXPECT_EQ(read, params);
}

TEST(Params, APairLongerThanARecordSpansRecordsAndTheNextStartsAfresh) {
    const std::vector<NameValue> params{
        {"A", "1"}, {"HTTP_COOKIE", std::string(70000, 'c')}, {"B", "2"}};
    std::string out;
    append_params(out, 1, params);
    const std::vector<Record> records = split_records(out);
    // "A=1" alone, the cookie over two records, "B=2", the end.
    ASSERT_EQ(records.size(), 5U);
    EXPECT_EQ(*read_name_values(records[0].content), (std::vector<NameValue>{params[0]}));
    EXPECT_EQ(records[1].content.size(), kMaxStreamContent);
    EXPECT_EQ(*read_name_values(records[1].content + records[2].content),
              (std::vector<NameValue>{params[1]}));
    EXPECT_EQ(*read_name_values(records[3].content), (std::vector<NameValue>{params[2]}));
    EXPECT_TRUE(records[4].content.empty());
}

TEST(Stdin, EmptyDataAppendsNothing) {
    std::string out;
    append_stdin(out, 1, "");
    EXPECT_TRUE(out.empty());
}

TEST(Stdin, ABodyIsCutIntoFullRecordsThatNeedNoPadding) {
    const std::string body(2 * kMaxStreamContent + 3, 'b');
    std::string out;
    append_stdin(out, 2, body);
    const std::vector<Record> records = split_records(out);
    ASSERT_EQ(records.size(), 3U);
    EXPECT_EQ(records[0].content.size(), kMaxStreamContent);
    EXPECT_EQ(records[0].header.padding_length, 0);
    EXPECT_EQ(records[1].content.size(), kMaxStreamContent);
    EXPECT_EQ(records[2].content.size(), 3U);
    EXPECT_EQ(records[2].header.padding_length, 5);
    for (const Record& record : records) {
        EXPECT_EQ(record.header.type, RecordType::stdin_stream);
        EXPECT_EQ(record.header.request_id, 2);
    }
    EXPECT_EQ(records[0].content + records[1].content + records[2].content, body);
}

TEST(GetValues, AsksWithEmptyValuesOnRequestIdZero) {
    std::string out;
    const std::vector<std::string_view> names{kMaxConns, kMaxReqs, kMpxsConns};
    append_get_values(out, names);
    const std::string content = bytes({14, 0}) + "FCGI_MAX_CONNS" + bytes({13, 0}) +
                                "FCGI_MAX_REQS" + bytes({15, 0}) + "FCGI_MPXS_CONNS";
    ASSERT_EQ(content.size(), 48U);
    EXPECT_EQ(out, bytes({1, 9, 0, 0, 0, 48, 0, 0}) + content);
}

TEST(GetValues, NamesThatDoNotFitInOneRecordAreACallersMistake) {
    const std::string name(40000, 'n');
    const std::vector<std::string_view> names{name, name};
    std::string out;
    EXPECT_THROW(append_get_values(out, names), std::length_error);
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace forkd::fastcgi
