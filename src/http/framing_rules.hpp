// The rules a request's header fields must follow before its body may be read: message
// framing (RFC 9112 §6: Transfer-Encoding and Content-Length), Host (RFC 9112 §3.2), Expect
// (RFC 9110 §10.1.1) and the request-target's form (RFC 9112 §3.2). Pure functions over a
// parsed head; they decide, Beast only tokenises. Beast 1.74 alone accepts
// `Transfer-Encoding: chunked, gzip` as a request without a body, TE together with a
// Content-Length that came first, and unknown codings: each is a request-smuggling vector.
#pragma once

#include <cstdint>
#include <optional>

#include "forkd/request.hpp"
#include "http/parse_error.hpp"
#include "http/request_parser.hpp"

namespace forkd::http {

struct BodyFraming {
    enum class Kind { none, length, chunked };
    Kind kind = Kind::none;
    std::uint64_t length = 0;  // when kind == length
};

// How the body of `request` is delimited, or why the request must be refused (400, 413,
// 417, 501). Also checks Host and Expect.
std::optional<ParseError> check_fields(const Request& request, const Limits& limits,
                                       BodyFraming& framing);

// Fills request.path and request.query from request.target: origin-form ("/a?b"),
// absolute-form ("http://host/a?b" gives "/a" and "b") or asterisk-form ("*", OPTIONS only).
// Authority-form belongs to CONNECT, which forkd does not support (501).
std::optional<ParseError> split_target(Request& request);

// "Expect: 100-continue" in an HTTP/1.1 request (a 1.0 client's is ignored, RFC 9110 §10.1.1).
bool asks_for_continue(const Request& request);

}  // namespace forkd::http
