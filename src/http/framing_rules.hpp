// The rules a request's header fields must follow before its body may be read: message
// framing (RFC 9112 §6: Transfer-Encoding and Content-Length), Host (RFC 9112 §3.2), Expect
// (RFC 9110 §10.1.1) and the request-target's form (RFC 9112 §3.2). Pure functions over a
// parsed head; they decide, Beast only tokenises. Beast 1.74 alone accepts
// `Transfer-Encoding: chunked, gzip` as a request without a body, TE together with a
// Content-Length that came first, and unknown codings: each is a request-smuggling vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "forkd/request.hpp"
#include "http/parse_error.hpp"
#include "http/request_parser.hpp"

namespace forkd::http {

struct BodyFraming {
    enum class Kind { none, length, chunked };
    Kind kind = Kind::none;
    std::uint64_t length = 0;  // when kind == length
};

// What check_fields needs to know of a request's fields: which of the framing fields are
// there, the Host fields, an Expect. Noted field by field, by whoever reads them.
struct FieldsSeen {
    bool transfer_encoding = false;
    bool content_length = false;
    bool expect = false;
    std::size_t hosts = 0;
    std::size_t first_host = 0;  // the first Host field's place in the field list

    // The field called `name`, at place `index` of the field list.
    void note(std::string_view name, std::size_t index);
};

// How the body of `request` is delimited, or why the request must be refused (400, 413,
// 417, 501). Also checks Host and Expect.
std::optional<ParseError> check_fields(const Request& request, const Limits& limits,
                                       BodyFraming& framing);
// The same, for a reader that noted the fields as it read them.
std::optional<ParseError> check_fields(const Request& request, const Limits& limits,
                                       const FieldsSeen& seen, BodyFraming& framing);

// Fills request.path and request.query from request.target: origin-form ("/a?b"),
// absolute-form ("http://host/a?b" gives "/a" and "b") or asterisk-form ("*", OPTIONS only).
// Authority-form belongs to CONNECT, which forkd does not support (501).
std::optional<ParseError> split_target(Request& request);

// "Expect: 100-continue" in an HTTP/1.1 request (a 1.0 client's is ignored, RFC 9110 §10.1.1).
bool asks_for_continue(const Request& request);

}  // namespace forkd::http
