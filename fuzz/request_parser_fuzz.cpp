// Fuzz target: forkd's request parser over one connection's bytes, whole and split.
//
// The input is the connection's bytes; its last bytes (FuzzedDataProvider reads integers
// from the end, so the message bytes stay stable under mutation) choose the limits and up to
// eight cut points. The bytes are read whole, cut at those points, and one byte at a time
// (when short); every reading must find the same pipelined requests and end the same way,
// and every call must keep the parser's contract (request_stream.hpp).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "request_stream.hpp"

namespace {

using forkd::http::Limits;

constexpr std::size_t kMaxRequests = 32;

// Mostly the defaults; sometimes limits small enough for 413, 414 and 431 to happen.
Limits choose_limits(FuzzedDataProvider& input) {
    Limits limits;
    if (input.ConsumeBool()) {
        limits.max_request_line = input.ConsumeIntegralInRange<std::size_t>(1, 64);
        limits.max_header_size = input.ConsumeIntegralInRange<std::size_t>(0, 256);
        limits.max_body_size = input.ConsumeIntegralInRange<std::size_t>(0, 64);
    }
    return limits;
}

// Raw cut points; taken modulo the message size once the message is known.
std::vector<std::uint16_t> choose_cuts(FuzzedDataProvider& input) {
    std::vector<std::uint16_t> cuts(input.ConsumeIntegralInRange<std::size_t>(0, 8));
    for (auto& cut : cuts)
        cut = input.ConsumeIntegral<std::uint16_t>();
    return cuts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    const Limits limits = choose_limits(input);
    const std::vector<std::uint16_t> raw_cuts = choose_cuts(input);
    const std::string bytes = input.ConsumeRemainingBytesAsString();
    std::vector<std::size_t> cuts;
    for (const std::uint16_t cut : raw_cuts)
        cuts.push_back(cut % (bytes.size() + 1));
    std::ranges::sort(cuts);

    using forkd::fuzz::read_requests;
    const auto whole = read_requests(bytes, {}, limits, kMaxRequests);
    forkd::fuzz::check_same(whole, read_requests(bytes, cuts, limits, kMaxRequests));
    if (bytes.size() <= 512) {
        std::vector<std::size_t> every(bytes.size());
        for (std::size_t i = 0; i < every.size(); ++i)
            every[i] = i;
        forkd::fuzz::check_same(whole, read_requests(bytes, every, limits, kMaxRequests));
    }
    return 0;
}
