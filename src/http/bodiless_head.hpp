// The common request read without Beast: a head that announces no body (no Content-Length,
// no Transfer-Encoding field), which the HeadScanner has already checked byte by byte. Its
// request line and fields are split where the scanner found them, each value trimmed of the
// whitespace around it, exactly as Beast would hand them over (DESIGN.md: a purpose-built
// parser only where it agrees with Beast plus the adapter; fuzz/head_reading_fuzz.cpp
// compares the two readings on every input).
//
// It only ever accepts: anything it is not sure Beast would read the same way (a body, a
// Connection field that is not a plain list of tokens) is left to Beast, which then decides.
#pragma once

#include <string_view>

#include "forkd/request.hpp"

namespace forkd::http {

// `head` is a whole head the HeadScanner returned done for, request line first, the empty
// line last, a minor version above 1 not yet rewritten. On true, `request` holds its method,
// target, version and fields (the caller applies the framing rules); on false, `request`
// is as it was given, empty, and Beast must read the head.
bool read_bodiless_head(std::string_view head, Request& request);

}  // namespace forkd::http
