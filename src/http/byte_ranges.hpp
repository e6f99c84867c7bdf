// The Range header (RFC 9110 §14.2) and the pieces of a 206 response; pure, no I/O.
//
// A Range header that does not parse is ignored (the whole representation is sent), as the
// RFC requires; one that parses but selects nothing is a 416.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forkd::http {

// Inclusive on both ends, already clamped to the representation's size.
struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;

    std::uint64_t length() const { return last - first + 1; }
    friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

// More ranges than this in one request are ignored: a request for thousands of tiny ranges
// costs the server far more than it costs the client.
inline constexpr std::size_t kMaxRanges = 64;

struct RangeSelection {
    enum class Outcome { ignore, satisfiable, unsatisfiable };
    Outcome outcome = Outcome::ignore;
    std::vector<ByteRange> ranges;  // satisfiable only, in the order asked
};

// Interprets `header` (the Range field value) for a representation of `size` bytes.
RangeSelection select_ranges(std::string_view header, std::uint64_t size);

// "bytes 0-99/1000", for a 206 or a part of multipart/byteranges.
std::string content_range(const ByteRange& range, std::uint64_t size);
// "bytes */1000", for a 416.
std::string unsatisfied_content_range(std::uint64_t size);

// The head of one part of a multipart/byteranges body (RFC 9110 §14.6): the delimiter line,
// the part's Content-Type and Content-Range, and the blank line. The first part's delimiter
// has no leading CRLF.
std::string multipart_part_head(std::string_view boundary, std::string_view content_type,
                                const ByteRange& range, std::uint64_t size, bool first);
// "\r\n--boundary--\r\n".
std::string multipart_end(std::string_view boundary);

}  // namespace forkd::http
