// Accept-Encoding (RFC 9110 §12.5.3); pure, no I/O.
#pragma once

#include <string_view>

namespace forkd::http {

// Whether a client that sent `accept_encoding` takes content coded with `coding` ("gzip",
// "br"): named, or covered by "*", with a q-value above 0. "x-gzip" counts as "gzip".
bool accepts_coding(std::string_view accept_encoding, std::string_view coding);

}  // namespace forkd::http
