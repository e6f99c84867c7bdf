// Parses HTTP-dates (RFC 9110 §5.6.7); pure, no I/O. Formatting is http_date() in
// response_head.hpp.
#pragma once

#include <ctime>
#include <optional>
#include <string_view>

namespace forkd::http {

// Seconds since the epoch for an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") or one of the
// two obsolete forms a recipient must still accept: RFC 850 ("Sunday, 06-Nov-94 08:49:37
// GMT") and asctime ("Sun Nov  6 08:49:37 1994"). nullopt for anything else.
std::optional<std::time_t> parse_http_date(std::string_view text);

}  // namespace forkd::http
