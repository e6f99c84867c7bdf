// Parses and writes HTTP-dates (RFC 9110 §5.6.7); pure, no I/O. A response's Date, with
// the last dates kept, is http_date() in response_head.hpp.
#pragma once

#include <cstddef>
#include <ctime>
#include <optional>
#include <string_view>

namespace forkd::http {

// Seconds since the epoch for an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") or one of the
// two obsolete forms a recipient must still accept: RFC 850 ("Sunday, 06-Nov-94 08:49:37
// GMT") and asctime ("Sun Nov  6 08:49:37 1994"). nullopt for anything else.
std::optional<std::time_t> parse_http_date(std::string_view text);

// An IMF-fixdate is always this long: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t kHttpDateLength = 29;

// Writes `when` as an IMF-fixdate into `out` (no terminating NUL). Arithmetic only: no
// gmtime (the C library's time-zone lock and data) and no format string; years are held
// to 0..9999, the four digits the form has.
void format_http_date(std::time_t when, char (&out)[kHttpDateLength]);

}  // namespace forkd::http
