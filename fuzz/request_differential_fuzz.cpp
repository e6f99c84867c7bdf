// Fuzz target: forkd's request parser against the strict reader (strict_reader.hpp), request
// by request along one connection's bytes.
//
//   forkd accepts   strict accepts   both must frame the request alike: same size, method,
//                                    target, version and body
//   forkd accepts   strict refuses   a bug: forkd serves what the RFC's strictest reading
//                   or wants more    refuses or frames longer (the smuggling cases among them)
//   forkd waits     strict accepts   a bug: forkd frames the request longer
//   forkd refuses   strict accepts   a bug only for 400: the other statuses (413, 414, 417,
//                                    431, 501) are forkd's own limits and choices
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "request_stream.hpp"
#include "strict_reader.hpp"

namespace {

using forkd::fuzz::RequestStream;
using forkd::fuzz::StrictVerdict;

constexpr std::size_t kMaxRequests = 16;

void report(const char* what, const StrictVerdict& strict, std::size_t offset) {
    std::fprintf(stderr, "request at offset %zu: %s (strict reader: %s%s)\n", offset, what,
                 strict.kind == StrictVerdict::Kind::incomplete ? "incomplete"
                 : strict.kind == StrictVerdict::Kind::accept   ? "accept"
                                                                : "reject: ",
                 strict.reason.c_str());
}

void compare_accepted(const forkd::Request& forkd_request, std::size_t size,
                      const forkd::fuzz::StrictRequest& strict) {
    FUZZ_CHECK(size == strict.size, "both readers find the request the same size");
    FUZZ_CHECK(forkd_request.method == strict.method, "same method");
    FUZZ_CHECK(forkd_request.target == strict.target, "same target");
    FUZZ_CHECK(forkd_request.version == strict.version, "same version");
    FUZZ_CHECK(forkd_request.body == strict.body, "same body");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const forkd::http::Limits limits;
    const RequestStream forkd = forkd::fuzz::read_requests(bytes, {}, limits, kMaxRequests);

    std::size_t offset = 0;
    for (const auto& parsed : forkd.requests) {
        const StrictVerdict strict =
            forkd::fuzz::strict_read(bytes.substr(offset), limits.max_body_size);
        if (strict.kind != StrictVerdict::Kind::accept) {
            report(strict.ambiguous ? "forkd accepted ambiguous framing" : "forkd accepted", strict,
                   offset);
            FUZZ_CHECK(false, "forkd accepts only what the strict reader accepts");
        }
        compare_accepted(parsed.request, parsed.end - offset, strict.request);
        offset = parsed.end;
    }
    if (forkd.end == RequestStream::End::cap) return 0;

    const StrictVerdict strict =
        forkd::fuzz::strict_read(bytes.substr(offset), limits.max_body_size);
    if (strict.kind != StrictVerdict::Kind::accept) return 0;
    if (forkd.end == RequestStream::End::incomplete) {
        report("forkd waits for more", strict, offset);
        FUZZ_CHECK(false, "forkd frames no request longer than the strict reader");
    }
    if (forkd.error_status == 400) {
        std::fprintf(stderr, "forkd: 400 %s\n", forkd.error_reason.c_str());
        report("forkd refused a valid request", strict, offset);
        FUZZ_CHECK(false, "forkd refuses with 400 only what the strict reader refuses");
    }
    return 0;
}
