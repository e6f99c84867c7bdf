#include "http/byte_ranges.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include "forkd/request.hpp"
#include "http/field_text.hpp"

namespace forkd::http {
namespace {

constexpr std::uint64_t kHuge = std::numeric_limits<std::uint64_t>::max();

// 1*DIGIT; a number too large for 64 bits saturates (it is then beyond any file anyway).
std::optional<std::uint64_t> read_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc::result_out_of_range) return kHuge;
    return value;
}

// One range-spec: "first-last", "first-" or "-suffix". nullopt: malformed (the whole header
// is then ignored); a range with `first > last` after clamping: unsatisfiable.
struct Spec {
    bool unsatisfiable = false;
    ByteRange range;
};

std::optional<Spec> read_spec(std::string_view text, std::uint64_t size) {
    const auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const std::string_view left = text.substr(0, dash);
    const std::string_view right = text.substr(dash + 1);
    if (left.empty()) {  // suffix-range: the last N bytes
        const auto suffix = read_number(right);
        if (!suffix) return std::nullopt;
        if (*suffix == 0 || size == 0) return Spec{true, {}};
        return Spec{false, {size - std::min(*suffix, size), size - 1}};
    }
    const auto first = read_number(left);
    if (!first) return std::nullopt;
    std::uint64_t last = kHuge;
    if (!right.empty()) {
        const auto given = read_number(right);
        if (!given || *given < *first) return std::nullopt;  // RFC: invalid, so ignored
        last = *given;
    }
    if (*first >= size) return Spec{true, {}};
    return Spec{false, {*first, std::min(last, size - 1)}};
}

}  // namespace

RangeSelection select_ranges(std::string_view header, std::uint64_t size) {
    header = trim_ows(header);
    constexpr std::string_view kUnit = "bytes=";
    if (header.size() < kUnit.size() || !iequals(header.substr(0, kUnit.size()), kUnit)) return {};
    std::string_view list = header.substr(kUnit.size());
    RangeSelection selection;
    std::size_t specs = 0;
    while (true) {
        const auto comma = list.find(',');
        const std::string_view element = trim_ows(list.substr(0, comma));
        // Empty list elements are allowed by the #rule (RFC 9110 §5.6.1) and carry nothing.
        if (!element.empty()) {
            const auto spec = read_spec(element, size);
            if (!spec || ++specs > kMaxRanges) return {};
            if (!spec->unsatisfiable) selection.ranges.push_back(spec->range);
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    if (specs == 0) return {};
    selection.outcome = selection.ranges.empty() ? RangeSelection::Outcome::unsatisfiable
                                                 : RangeSelection::Outcome::satisfiable;
    return selection;
}

std::string content_range(const ByteRange& range, std::uint64_t size) {
    return fmt::format("bytes {}-{}/{}", range.first, range.last, size);
}

std::string unsatisfied_content_range(std::uint64_t size) {
    return fmt::format("bytes */{}", size);
}

std::string multipart_part_head(std::string_view boundary, std::string_view content_type,
                                const ByteRange& range, std::uint64_t size, bool first) {
    return fmt::format("{}--{}\r\nContent-Type: {}\r\nContent-Range: {}\r\n\r\n",
                       first ? "" : "\r\n", boundary, content_type, content_range(range, size));
}

std::string multipart_end(std::string_view boundary) {
    return fmt::format("\r\n--{}--\r\n", boundary);
}

}  // namespace forkd::http
