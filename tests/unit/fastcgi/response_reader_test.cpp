// What an application answers, read by ResponseReader. Every case goes through grind(): fed
// whole, split in two at every offset, and one byte at a time, by a caller that keeps a
// buffer as a connection would; every way must give the same events (data events merged,
// since where they split follows the network), the same end and the same error.
#include "fastcgi/response_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace forkd::fastcgi {
namespace {

std::string bytes(std::initializer_list<unsigned> values) {
    std::string out;
    for (const unsigned value : values)
        out.push_back(static_cast<char>(value));
    return out;
}

// A record as an application may send it, with any padding (the bytes 0xAA).
std::string record(unsigned type, unsigned request_id, std::string_view content,
                   unsigned padding = 0, unsigned version = 1) {
    return bytes({version, type, request_id >> 8U, request_id & 0xffU,
                  static_cast<unsigned>(content.size() >> 8U),
                  static_cast<unsigned>(content.size() & 0xffU), padding, 0}) +
           std::string(content) + std::string(padding, '\xaa');
}

std::string stdout_record(std::string_view content, unsigned padding = 0) {
    return record(6, 1, content, padding);
}

std::string stderr_record(std::string_view content, unsigned padding = 0) {
    return record(7, 1, content, padding);
}

std::string end_request(std::uint32_t app_status, unsigned protocol_status = 0,
                        unsigned request_id = 1) {
    return record(3, request_id,
                  bytes({app_status >> 24U, (app_status >> 16U) & 0xffU, (app_status >> 8U) & 0xffU,
                         app_status & 0xffU, protocol_status, 0, 0, 0}));
}

// An event as text, so that it outlives the bytes it viewed and reads well in a failure.
using Seen = std::pair<std::string, std::string>;

struct Outcome {
    std::vector<Seen> events;
    bool finished = false;
    std::optional<std::string> error;
    std::string leftover;  // offered and never consumed
};

void add_event(std::vector<Seen>& events, const ResponseEvent& event) {
    if (const auto* out = std::get_if<StdoutData>(&event)) {
        EXPECT_FALSE(out->bytes.empty());
        if (!events.empty() && events.back().first == "stdout")
            events.back().second += out->bytes;  // data events merge: their cuts may differ
        else
            events.emplace_back("stdout", std::string(out->bytes));
    } else if (const auto* err = std::get_if<StderrData>(&event)) {
        EXPECT_FALSE(err->bytes.empty());
        if (!events.empty() && events.back().first == "stderr")
            events.back().second += err->bytes;
        else
            events.emplace_back("stderr", std::string(err->bytes));
    } else if (const auto* end = std::get_if<EndRequest>(&event)) {
        events.emplace_back("end", std::to_string(end->app_status) + " " +
                                       std::to_string(static_cast<int>(end->protocol_status)));
    } else {
        std::string text;
        for (const NameValue& pair : std::get<ValuesResult>(event).values)
            text += pair.name + "=" + pair.value + ";";
        events.emplace_back("values", text);
    }
}

// Feeds `input` cut at `cuts` (increasing offsets) the way a connection would.
Outcome feed_in_pieces(std::string_view input, std::vector<std::size_t> cuts,
                       std::uint16_t request_id) {
    ResponseReader reader(request_id);
    Outcome outcome;
    std::string buffer;
    std::size_t from = 0;
    cuts.push_back(input.size());
    for (const std::size_t cut : cuts) {
        buffer.append(input.substr(from, cut - from));
        from = cut;
        const ReadStep step = reader.feed(buffer);
        EXPECT_LE(step.consumed, buffer.size());
        for (const ResponseEvent& event : step.events)
            add_event(outcome.events, event);
        buffer.erase(0, step.consumed);
    }
    outcome.finished = reader.finished();
    outcome.error = reader.error();
    outcome.leftover = buffer;
    return outcome;
}

Outcome grind(std::string_view input, std::uint16_t request_id = 1) {
    const Outcome whole = feed_in_pieces(input, {}, request_id);
    const auto expect_same = [&](const Outcome& got, const std::string& how) {
        SCOPED_TRACE(how);
        EXPECT_EQ(got.events, whole.events);
        EXPECT_EQ(got.finished, whole.finished);
        EXPECT_EQ(got.error, whole.error);
        EXPECT_EQ(got.leftover, whole.leftover);
    };
    for (std::size_t k = 0; k <= input.size(); ++k)
        expect_same(feed_in_pieces(input, {k}, request_id), "split at " + std::to_string(k));
    std::vector<std::size_t> every;
    for (std::size_t k = 1; k < input.size(); ++k)
        every.push_back(k);
    expect_same(feed_in_pieces(input, every, request_id), "byte by byte");
    return whole;
}

Outcome expect_refused(std::string_view input, std::string_view reason_part) {
    const Outcome outcome = grind(input);
    EXPECT_TRUE(outcome.error.has_value());
    EXPECT_NE(outcome.error.value_or("").find(reason_part), std::string::npos)
        << outcome.error.value_or("(no error)");
    return outcome;
}

TEST(ResponseReader, ReadsAResponseAsPhpSendsIt) {
    const std::string input = stdout_record("Content-type: text/html\r\n\r\nhello", 6) +
                              stdout_record("") + end_request(0);
    const Outcome outcome = grind(input);
    EXPECT_EQ(outcome.events, (std::vector<Seen>{{"stdout", "Content-type: text/html\r\n\r\nhello"},
                                                 {"end", "0 0"}}));
    EXPECT_TRUE(outcome.finished);
    EXPECT_FALSE(outcome.error.has_value());
    EXPECT_EQ(outcome.leftover, "");
}

TEST(ResponseReader, KeepsStdoutAndStderrApartInTheirOrder) {
    const std::string input = stderr_record("PHP Notice: x\n", 2) +
                              stdout_record("Status: 200\r\n") + stderr_record("more\n") +
                              stdout_record("\r\nbody", 2) + stderr_record("") + stdout_record("") +
                              end_request(0);
    EXPECT_EQ(grind(input).events, (std::vector<Seen>{{"stderr", "PHP Notice: x\n"},
                                                      {"stdout", "Status: 200\r\n"},
                                                      {"stderr", "more\n"},
                                                      {"stdout", "\r\nbody"},
                                                      {"end", "0 0"}}));
}

TEST(ResponseReader, HandsOnStdoutBeforeItsRecordIsComplete) {
    const std::string input = stdout_record(std::string(1000, 'x'), 0);
    ResponseReader reader(1);
    const ReadStep step = reader.feed(std::string_view(input).substr(0, 8 + 300));
    EXPECT_EQ(step.consumed, 8U + 300);
    ASSERT_EQ(step.events.size(), 1U);
    EXPECT_EQ(std::get<StdoutData>(step.events[0]).bytes, std::string(300, 'x'));
}

TEST(ResponseReader, ConsumesNothingOfAnIncompleteHeader) {
    const Outcome outcome = grind(stdout_record("abc").substr(0, 7));
    EXPECT_TRUE(outcome.events.empty());
    EXPECT_FALSE(outcome.error.has_value());
    EXPECT_EQ(outcome.leftover.size(), 7U);
}

TEST(ResponseReader, WaitsForTheWholeEndRequest) {
    const std::string end = end_request(0);
    ResponseReader reader(1);
    const ReadStep step = reader.feed(std::string_view(end).substr(0, end.size() - 1));
    EXPECT_EQ(step.consumed, 0U);
    EXPECT_TRUE(step.events.empty());
    EXPECT_FALSE(reader.finished());
    EXPECT_EQ(reader.feed(end).consumed, end.size());
    EXPECT_TRUE(reader.finished());
}

TEST(ResponseReader, ReadsTheAppStatusBigEndianAndTheProtocolStatus) {
    EXPECT_EQ(grind(end_request(0x01020304, 0)).events, (std::vector<Seen>{{"end", "16909060 0"}}));
    EXPECT_EQ(grind(end_request(0xffffffffU, 2)).events,
              (std::vector<Seen>{{"end", "4294967295 2"}}));
    EXPECT_EQ(grind(end_request(0, 3)).events, (std::vector<Seen>{{"end", "0 3"}}));
}

TEST(ResponseReader, SkipsPaddingWhateverItHolds) {
    const std::string input =
        stdout_record("a", 255) + record(3, 1, bytes({0, 0, 0, 9, 0, 0, 0, 0}), 8);
    const Outcome outcome = grind(input);
    EXPECT_EQ(outcome.events, (std::vector<Seen>{{"stdout", "a"}, {"end", "9 0"}}));
    EXPECT_TRUE(outcome.finished);
    EXPECT_EQ(outcome.leftover, "");
}

TEST(ResponseReader, IsNotFinishedBeforeThePaddingOfEndRequest) {
    const std::string input = record(3, 1, bytes({0, 0, 0, 0, 0, 0, 0, 0}), 8);
    ResponseReader reader(1);
    const ReadStep step = reader.feed(std::string_view(input).substr(0, 16));
    EXPECT_EQ(step.events.size(), 1U);
    EXPECT_FALSE(reader.finished());
    EXPECT_EQ(reader.feed(std::string_view(input).substr(16)).consumed, 8U);
    EXPECT_TRUE(reader.finished());
}

TEST(ResponseReader, ReadsARecordOfTheLargestSize) {
    const std::string content(65535, 'z');
    const Outcome outcome = grind(stdout_record(content, 255) + end_request(0));
    ASSERT_EQ(outcome.events.size(), 2U);
    EXPECT_EQ(outcome.events[0].second, content);
}

TEST(ResponseReader, ReadsGetValuesResult) {
    std::string content;
    append_name_value(content, "FCGI_MAX_CONNS", "1");
    append_name_value(content, "FCGI_MAX_REQS", "1");
    append_name_value(content, "FCGI_MPXS_CONNS", "0");
    const Outcome outcome = grind(record(10, 0, content, 3));
    EXPECT_EQ(
        outcome.events,
        (std::vector<Seen>{{"values", "FCGI_MAX_CONNS=1;FCGI_MAX_REQS=1;FCGI_MPXS_CONNS=0;"}}));
    EXPECT_FALSE(outcome.finished);
    EXPECT_FALSE(outcome.error.has_value());
}

TEST(ResponseReader, ReadsGetValuesResultOnAManagementOnlyReader) {
    const Outcome outcome = grind(record(10, 0, ""), 0);
    EXPECT_EQ(outcome.events, (std::vector<Seen>{{"values", ""}}));
    EXPECT_FALSE(outcome.error.has_value());
}

TEST(ResponseReader, RefusesAnotherVersion) {
    expect_refused(record(6, 1, "x", 0, 0), "version 0");
    expect_refused(record(6, 1, "x", 0, 2), "version 2");
}

TEST(ResponseReader, RefusesARecordForAnotherRequest) {
    expect_refused(record(6, 2, "x"), "request id 2");
    expect_refused(record(7, 0, "x"), "request id 0");
    expect_refused(end_request(0, 0, 0x0101), "request id 257");
    // A management-only reader reads no request's records.
    const Outcome outcome = grind(record(6, 0, "x"), 0);
    EXPECT_TRUE(outcome.error.has_value());
}

TEST(ResponseReader, RefusesGetValuesResultForARequest) {
    expect_refused(record(10, 1, ""), "GET_VALUES_RESULT for request id 1");
}

TEST(ResponseReader, RefusesTypesAnApplicationNeverSends) {
    for (const unsigned type : {0U, 1U, 2U, 4U, 5U, 8U, 9U, 12U, 255U}) {
        SCOPED_TRACE(type);
        expect_refused(record(type, 1, "") + end_request(0), "type " + std::to_string(type));
    }
    expect_refused(record(11, 0, bytes({9, 0, 0, 0, 0, 0, 0, 0})), "UNKNOWN_TYPE");
}

TEST(ResponseReader, RefusesAnEndRequestOfTheWrongSize) {
    expect_refused(record(3, 1, bytes({0, 0, 0, 0, 0, 0, 0})), "7 bytes");
    expect_refused(record(3, 1, bytes({0, 0, 0, 0, 0, 0, 0, 0, 0})), "9 bytes");
    expect_refused(record(3, 1, ""), "0 bytes");
}

TEST(ResponseReader, RefusesAnUnknownProtocolStatus) {
    expect_refused(end_request(0, 4), "protocol status 4");
}

TEST(ResponseReader, RefusesDataAfterTheEndOfItsStream) {
    expect_refused(stdout_record("a") + stdout_record("") + stdout_record("b"), "after the end");
    expect_refused(stderr_record("") + stderr_record("b"), "after the end");
    // Another empty record, or the other stream, is no error.
    const Outcome outcome =
        grind(stdout_record("") + stdout_record("") + stderr_record("e") + end_request(0));
    EXPECT_FALSE(outcome.error.has_value());
    EXPECT_TRUE(outcome.finished);
}

TEST(ResponseReader, RefusesAnythingAfterEndRequest) {
    const Outcome outcome =
        expect_refused(end_request(0) + stdout_record("late"), "after END_REQUEST");
    EXPECT_EQ(outcome.events, (std::vector<Seen>{{"end", "0 0"}}));
    EXPECT_TRUE(outcome.finished);  // the answer is whole; the connection is not reused
    expect_refused(end_request(0) + "\x01", "after END_REQUEST");
}

TEST(ResponseReader, RefusesAMalformedGetValuesResult) {
    expect_refused(record(10, 0, bytes({5, 1}) + "abc"), "malformed");
    expect_refused(record(10, 0, bytes({0x80, 0, 0})), "malformed");
}

TEST(ResponseReader, KeepsTheEventsBeforeAnErrorAndThenReadsNoMore) {
    const std::string good = stdout_record("part");
    const std::string input = good + record(6, 1, "x", 0, 2);
    ResponseReader reader(1);
    const ReadStep step = reader.feed(input);
    EXPECT_EQ(step.consumed, good.size());
    ASSERT_EQ(step.events.size(), 1U);
    EXPECT_EQ(std::get<StdoutData>(step.events[0]).bytes, "part");
    ASSERT_TRUE(reader.error().has_value());
    const ReadStep after = reader.feed(std::string_view(input).substr(good.size()));
    EXPECT_EQ(after.consumed, 0U);
    EXPECT_TRUE(after.events.empty());
    EXPECT_TRUE(reader.error().has_value());
}

TEST(ResponseReader, ReadsWhatTheEncodersWrite) {
    // The encoders make records of the same layout; an application's STDOUT is one.
    std::string input;
    append_record(input, RecordType::stdout_stream, 1, "Status: 404\r\n\r\n");
    append_record(input, RecordType::stdout_stream, 1, {});
    input += end_request(0);
    EXPECT_EQ(grind(input).events,
              (std::vector<Seen>{{"stdout", "Status: 404\r\n\r\n"}, {"end", "0 0"}}));
}

}  // namespace
}  // namespace forkd::fastcgi
