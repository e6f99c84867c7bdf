// The HTTP/1.1 request parser: a pure function over the caller's bytes, no I/O.
//
// Boost.Beast's parser tokenises; this adapter enforces what Beast 1.74 does not (RFC 9112
// framing: Transfer-Encoding whose final coding is not chunked, TE with Content-Length,
// unknown codings, obs-fold, differing duplicate Content-Length, major versions other than 1
// (1.2 and up are read as 1.1), separate limits for the request line and the header section, Host
// rules) and skips empty lines before a request line (RFC 9112 §2.2). One parser reads one request;
// call reset() before the next one on the same connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "forkd/request.hpp"

namespace forkd::http {

struct Limits {
    std::size_t max_request_line = 8 * 1024;
    std::size_t max_header_size = 32 * 1024;  // all header fields, request line excluded
    std::size_t max_body_size = 1024 * 1024;

    bool operator==(const Limits&) const = default;
};

enum class Progress {
    need_more,     // everything offered was consumed or kept; offer more bytes
    headers_done,  // the header section is complete, the body is not (yet)
    complete,      // one whole request is parsed: request() or take_request()
    error,         // a malformed or oversized request: answer error_status, then close
};

struct ParseStep {
    Progress progress = Progress::need_more;
    std::size_t consumed = 0;  // bytes of the offered input that belong to this request
    int error_status = 0;      // 400, 413, 414, 431, 501 or 505 when progress == error
    std::string error_reason;  // for the error page and the debug log, e.g. "obs-fold"
};

// How a head is read: a head without a body by http/bodiless_head.hpp as the scanner checks
// it, the others by Beast (the default); or every head by Beast (for the fuzz target that
// compares the two).
enum class HeadReading { bodiless_without_beast, beast_only };

class RequestParser {
  public:
    explicit RequestParser(const Limits& limits,
                           HeadReading reading = HeadReading::bodiless_without_beast);
    ~RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Offers the bytes received and not yet consumed (the caller erases `consumed` bytes
    // from its buffer after every call and offers the rest again, plus any new bytes).
    // Never consumes bytes past the end of the current request, so pipelined requests stay
    // in the caller's buffer.
    ParseStep feed(std::string_view bytes);

    // Valid once feed() returned headers_done or complete.
    bool headers_done() const;
    // The client sent `Expect: 100-continue` and a body is still to come.
    bool expects_continue() const;

    // Valid once feed() returned complete; moves the request out.
    Request take_request();
    // Valid once feed() returned complete: the request in place, until reset(). A caller
    // that is done with it before it reads on (the io worker) saves the moves.
    Request& request();

    // The decoded body bytes held so far (valid once headers_done()). A caller that keeps
    // large bodies out of memory (hybrid's io worker spools them to a file) moves them out
    // as they come; the request take_request() returns then holds only the bytes decoded
    // after the last take. max_body_size counts every byte, taken or not.
    std::size_t held_body_size() const;
    std::string take_held_body();

    // Ready for the next request on the same connection. The request is emptied in place,
    // each of its strings and lists (the fields' strings too) keeping its storage, so that
    // requests on a keep-alive connection allocate only for what outgrows the last one.
    void reset();
    // Between requests: the limits of those read from now on (a parser kept across a reload).
    void set_limits(const Limits& limits);
    const Limits& limits() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// Whether the connection may stay open after answering `request` (RFC 9112 §9.3):
// HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
bool wants_keep_alive(const Request& request);

}  // namespace forkd::http
