// Fuzz target: fastcgi::ResponseReader over what an application sends back.
//
// Two readings of the input; its last byte chooses which (FuzzedDataProvider reads integers
// from the end, so the bytes before stay stable under mutation).
// - Raw: the input is a connection's bytes. Read whole, cut at up to 8 points, and one byte
//   at a time (when short), by a caller that keeps a buffer; every reading gives the same
//   events (data events merged), the same end and the same error. On every call: consumed
//   never exceeds what was offered; every data event is non-empty and lies inside the bytes
//   consumed; nothing follows END_REQUEST; after an error, nothing more is read; what is
//   left unconsumed without an error is less than one record (the reader's memory bound).
// - Built: the input chooses a well-formed response (STDOUT and STDERR pieces, the ends of
//   both streams, END_REQUEST), written with the encoders of record.hpp and read at the
//   chosen cuts: the reader gives back exactly what was written, without an error.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fastcgi/record.hpp"
#include "fastcgi/response_reader.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace forkd::fastcgi;

enum class Kind { out, err, end, values };
using Seen = std::pair<Kind, std::string>;

struct Reading {
    std::vector<Seen> events;
    bool finished = false;
    std::optional<std::string> error;
    std::string leftover;
};

void add_data(std::vector<Seen>& events, Kind kind, std::string_view data) {
    FUZZ_CHECK(!data.empty(), "a data event is never empty");
    if (!events.empty() && events.back().first == kind)
        events.back().second += data;
    else
        events.emplace_back(kind, std::string(data));
}

bool inside(std::string_view piece, std::string_view whole) {
    return piece.data() >= whole.data() &&
           piece.data() + piece.size() <= whole.data() + whole.size();
}

void add_events(Reading& reading, const ReadStep& step, std::string_view consumed) {
    for (const ResponseEvent& event : step.events) {
        FUZZ_CHECK(reading.events.empty() || reading.events.back().first != Kind::end,
                   "nothing follows END_REQUEST");
        if (const auto* out = std::get_if<StdoutData>(&event)) {
            FUZZ_CHECK(inside(out->bytes, consumed), "stdout data lies in the consumed bytes");
            add_data(reading.events, Kind::out, out->bytes);
        } else if (const auto* err = std::get_if<StderrData>(&event)) {
            FUZZ_CHECK(inside(err->bytes, consumed), "stderr data lies in the consumed bytes");
            add_data(reading.events, Kind::err, err->bytes);
        } else if (const auto* end = std::get_if<EndRequest>(&event)) {
            FUZZ_CHECK(end->protocol_status <= ProtocolStatus::unknown_role,
                       "a known protocol status");
            reading.events.emplace_back(Kind::end,
                                        std::to_string(end->app_status) + " " +
                                            std::to_string(static_cast<int>(end->protocol_status)));
        } else {
            std::string text;
            for (const NameValue& pair : std::get<ValuesResult>(event).values)
                text += std::to_string(pair.name.size()) + ":" + pair.name +
                        std::to_string(pair.value.size()) + ":" + pair.value;
            reading.events.emplace_back(Kind::values, std::move(text));
        }
    }
}

// `cuts` are increasing offsets into `bytes`.
Reading read_in_pieces(std::string_view bytes, std::vector<std::size_t> cuts,
                       std::uint16_t request_id) {
    ResponseReader reader(request_id);
    Reading reading;
    std::string buffer;
    std::size_t from = 0;
    cuts.push_back(bytes.size());
    for (const std::size_t cut : cuts) {
        buffer.append(bytes.substr(from, cut - from));
        from = cut;
        const bool failed_before = reader.error().has_value();
        const ReadStep step = reader.feed(buffer);
        FUZZ_CHECK(step.consumed <= buffer.size(), "consumed within what was offered");
        if (failed_before)
            FUZZ_CHECK(step.consumed == 0 && step.events.empty(), "nothing read after an error");
        add_events(reading, step, std::string_view(buffer).substr(0, step.consumed));
        buffer.erase(0, step.consumed);
        if (reader.finished())
            FUZZ_CHECK(!reading.events.empty() && reading.events.back().first == Kind::end,
                       "finished after END_REQUEST only");
    }
    reading.finished = reader.finished();
    reading.error = reader.error();
    reading.leftover = std::move(buffer);
    if (!reading.error)
        FUZZ_CHECK(reading.leftover.size() < kHeaderSize + kMaxContentLength,
                   "less than a record waits");
    return reading;
}

void check_same(const Reading& want, const Reading& got) {
    FUZZ_CHECK(want.events == got.events, "the same events however the bytes are cut");
    FUZZ_CHECK(want.finished == got.finished, "the same end however the bytes are cut");
    FUZZ_CHECK(want.error == got.error, "the same error however the bytes are cut");
    FUZZ_CHECK(want.leftover == got.leftover, "the same bytes left however they are cut");
}

// Raw cut points, read before the bytes they cut; placed once the bytes are known.
std::vector<std::uint16_t> choose_cuts(FuzzedDataProvider& input) {
    std::vector<std::uint16_t> cuts(input.ConsumeIntegralInRange<std::size_t>(0, 8));
    for (auto& cut : cuts)
        cut = input.ConsumeIntegral<std::uint16_t>();
    return cuts;
}

std::vector<std::size_t> place_cuts(const std::vector<std::uint16_t>& raw_cuts, std::size_t size) {
    std::vector<std::size_t> cuts;
    for (const std::uint16_t cut : raw_cuts)
        cuts.push_back(cut % (size + 1));
    std::ranges::sort(cuts);
    return cuts;
}

void read_raw(FuzzedDataProvider& input) {
    const std::uint16_t request_id =
        input.ConsumeBool() ? 1 : input.ConsumeIntegral<std::uint16_t>();
    const std::vector<std::uint16_t> raw_cuts = choose_cuts(input);
    const std::string bytes = input.ConsumeRemainingBytesAsString();

    const Reading whole = read_in_pieces(bytes, {}, request_id);
    check_same(whole, read_in_pieces(bytes, place_cuts(raw_cuts, bytes.size()), request_id));
    if (bytes.size() <= 512) {
        std::vector<std::size_t> every(bytes.size());
        for (std::size_t i = 0; i < every.size(); ++i)
            every[i] = i;
        check_same(whole, read_in_pieces(bytes, every, request_id));
    }
}

void read_built(FuzzedDataProvider& input) {
    const auto request_id = input.ConsumeIntegralInRange<std::uint16_t>(1, 65535);
    std::string bytes;
    Reading want;
    const std::size_t pieces = input.ConsumeIntegralInRange<std::size_t>(0, 16);
    for (std::size_t i = 0; i < pieces && input.remaining_bytes() > 0; ++i) {
        const bool out = input.ConsumeBool();
        const std::string data = input.ConsumeRandomLengthString(70000);
        if (data.empty()) continue;  // an empty record would end the stream
        for (std::size_t at = 0; at < data.size(); at += kMaxContentLength)
            append_record(bytes, out ? RecordType::stdout_stream : RecordType::stderr_stream,
                          request_id, std::string_view(data).substr(at, kMaxContentLength));
        add_data(want.events, out ? Kind::out : Kind::err, data);
    }
    append_record(bytes, RecordType::stdout_stream, request_id, {});
    if (input.ConsumeBool()) append_record(bytes, RecordType::stderr_stream, request_id, {});
    const auto app_status = input.ConsumeIntegral<std::uint32_t>();
    const auto protocol_status = input.ConsumeIntegralInRange<unsigned>(0, 3);
    const std::string body{static_cast<char>(app_status >> 24U),
                           static_cast<char>(app_status >> 16U),
                           static_cast<char>(app_status >> 8U),
                           static_cast<char>(app_status),
                           static_cast<char>(protocol_status),
                           0,
                           0,
                           0};
    append_record(bytes, RecordType::end_request, request_id, body);
    want.events.emplace_back(Kind::end,
                             std::to_string(app_status) + " " + std::to_string(protocol_status));
    want.finished = true;

    check_same(want,
               read_in_pieces(bytes, place_cuts(choose_cuts(input), bytes.size()), request_id));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    if (input.ConsumeBool())
        read_built(input);
    else
        read_raw(input);
    return 0;
}
