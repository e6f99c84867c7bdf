// The header block a CGI program writes before its body (RFC 3875 §6), read into what the
// server answers: a document with a status, a local redirect to re-dispatch, or a client
// redirect. Anything else is the program's fault, and the client gets 502.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "forkd/request.hpp"

namespace forkd::cgi {

struct ProgramHead {
    int status = 200;
    Headers headers;             // for the client: no Status, no framing or hop-by-hop fields
    std::string local_redirect;  // "/path?query" for a local redirect (§6.2.2), else empty
};

// A header block longer than this is not one: 502.
inline constexpr std::size_t kMaxHeaderBlock = 64 * 1024;

// The offset just past the blank line that ends the header block in `output` ("\n\n" or
// "\r\n\r\n", the two mixed as programs do), or npos while it has not come yet.
std::size_t end_of_head(std::string_view output);

// Reads the header block `head` (as end_of_head delimits it). An `nph` program's block
// begins with its own status line ("HTTP/1.1 200 OK"); a parsed one must not. The error
// string says what was wrong, for the log.
std::variant<ProgramHead, std::string> parse_program_head(std::string_view head, bool nph);

}  // namespace forkd::cgi
