// The common request read without Beast: a head that announces no body (no Content-Length,
// no Transfer-Encoding field). The HeadScanner hands over each line as it has checked it,
// byte by byte, so the head is read in the same pass that finds its end; each value is
// trimmed of the whitespace around it, exactly as Beast would hand it over (DESIGN.md: a
// purpose-built parser only where it agrees with Beast plus the adapter;
// fuzz/head_reading_fuzz.cpp compares the two readings on every input).
//
// It only ever accepts: anything it is not sure Beast would read the same way (a body, a
// Connection field that is not a plain list of tokens) is left to Beast, which then decides.
#pragma once

#include <string_view>

#include "forkd/request.hpp"
#include "http/framing_rules.hpp"

namespace forkd::http {

class BodilessHead {
  public:
    // Reads into `request`, whose field list must be empty.
    explicit BodilessHead(Request& request) : request_(request) {}

    // For the next head, read into the same request (emptied by the caller).
    void restart() {
        leaves_to_beast_ = false;
        seen_ = FieldsSeen{};
    }

    // The HeadScanner's checked lines, in order: "method SP target SP HTTP/1.<minor>" with
    // tchar method and visible-ASCII target, then every field line "name:value" with a
    // tchar name and no CR in the value.
    void request_line(std::string_view method, std::string_view target, char minor);
    void field_line(std::string_view name, std::string_view value);

    // Once the head is complete: whether it was read (then `request` holds its method,
    // target, version and fields, and the caller applies the framing rules with seen());
    // otherwise Beast must read it, into a request whose field list the caller empties.
    bool read() const { return !leaves_to_beast_; }
    const FieldsSeen& seen() const { return seen_; }

  private:
    Request& request_;
    bool leaves_to_beast_ = false;
    FieldsSeen seen_;
};

}  // namespace forkd::http
