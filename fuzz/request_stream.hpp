// One connection's bytes through forkd's RequestParser, the way a session reads them: a
// buffer that receives the bytes piece by piece (cut at `cuts`), is offered to the parser
// after every piece, loses what the parser consumed, and after each complete request goes
// on with a reset parser (pipelining). Shared by the parser and differential fuzz targets.
//
// The parser's own contract is checked on every call (FUZZ_CHECK): consumed never exceeds
// what was offered, headers_done comes at most once per request, a complete request stays
// complete and a rejected one stays rejected whatever is offered next, and every request it
// hands out is one a handler may rely on (include/forkd/request.hpp: "Handlers never see
// malformed input").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.hpp"

namespace forkd::fuzz {

struct ParsedRequest {
    Request request;
    std::size_t end = 0;  // offset in the connection's bytes just past this request
};

struct RequestStream {
    enum class End {
        incomplete,  // the bytes ran out in the middle of a request (or between requests)
        error,       // the parser refused a request: error_status, then the close
        cap,         // max_requests were read; the rest was not looked at
    };
    std::vector<ParsedRequest> requests;
    End end = End::incomplete;
    int error_status = 0;
    std::string error_reason;
    std::size_t consumed = 0;  // bytes the parser took in all (requests and beyond)
};

// `cuts` are increasing offsets into `bytes`; empty: the whole input arrives at once.
RequestStream read_requests(std::string_view bytes, const std::vector<std::size_t>& cuts,
                            const http::Limits& limits, std::size_t max_requests);

// FUZZ_CHECKs that two readings of the same bytes found the same requests and the same end.
void check_same(const RequestStream& whole, const RequestStream& split);

}  // namespace forkd::fuzz
