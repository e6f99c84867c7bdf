#include "http/conditional.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "http/http_date.hpp"

namespace forkd::http {
namespace {

// Every field called `name`, joined as one list (RFC 9110 §5.3): If-Match may be split
// over several lines.
std::optional<std::string> combined_field(const Headers& headers, std::string_view name) {
    std::optional<std::string> joined;
    for (const auto& [field, value] : headers) {
        if (!iequals(field, name)) continue;
        joined = joined ? *joined + ", " + value : value;
    }
    return joined;
}

bool is_weak(std::string_view tag) {
    return tag.starts_with("W/");
}

std::string_view opaque(std::string_view tag) {
    return is_weak(tag) ? tag.substr(2) : tag;
}

bool is_get_or_head(const Request& request) {
    return request.method == "GET" || request.method == "HEAD";
}

}  // namespace

std::string make_strong_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns) {
    return fmt::format("\"{:x}-{:x}-{:x}\"", inode, size, static_cast<std::uint64_t>(mtime_ns));
}

bool etag_list_matches(std::string_view field, std::string_view etag, bool strong_comparison) {
    std::size_t i = 0;
    const auto skip_separators = [&] {
        while (i < field.size() && (field[i] == ' ' || field[i] == '\t' || field[i] == ','))
            ++i;
    };
    skip_separators();
    if (field.substr(i) == "*") return true;
    if (strong_comparison && is_weak(etag)) return false;
    while (i < field.size()) {
        const std::size_t start = i;
        if (field.substr(i, 2) == "W/") i += 2;
        if (i >= field.size() || field[i] != '"') return false;
        const std::size_t close = field.find('"', i + 1);
        if (close == std::string_view::npos) return false;
        i = close + 1;
        const std::string_view tag = field.substr(start, i - start);
        const bool same =
            strong_comparison ? !is_weak(tag) && tag == etag : opaque(tag) == opaque(etag);
        if (same) return true;
        if (i < field.size() && field[i] != ',' && field[i] != ' ' && field[i] != '\t')
            return false;
        skip_separators();
    }
    return false;
}

Precondition evaluate_preconditions(const Request& request, const Validators& validators) {
    const Headers& headers = request.headers;
    // Most requests carry no precondition: one look at the names instead of four lookups.
    const bool any = std::ranges::any_of(headers, [](const auto& field) {
        return field.first.size() > 3 && iequals(std::string_view(field.first).substr(0, 3), "If-");
    });
    if (!any) return Precondition::proceed;
    // Step 1 and 2: the client's copy must still be current, or nothing happens.
    if (const auto if_match = combined_field(headers, "If-Match")) {
        if (!etag_list_matches(*if_match, validators.etag, true)) return Precondition::failed;
    } else if (const auto since = headers.get("If-Unmodified-Since")) {
        const auto date = parse_http_date(*since);
        if (date && validators.last_modified > *date) return Precondition::failed;
    }
    // Step 3 and 4: the client already has the current representation.
    if (const auto if_none_match = combined_field(headers, "If-None-Match")) {
        if (etag_list_matches(*if_none_match, validators.etag, false))
            return is_get_or_head(request) ? Precondition::not_modified : Precondition::failed;
    } else if (const auto since = headers.get("If-Modified-Since");
               since && is_get_or_head(request)) {
        const auto date = parse_http_date(*since);
        if (date && validators.last_modified <= *date) return Precondition::not_modified;
    }
    return Precondition::proceed;
}

bool range_allowed(const Request& request, const Validators& validators) {
    const auto if_range = request.headers.get("If-Range");
    if (!if_range) return true;
    if (if_range->starts_with('"') || if_range->starts_with("W/")) {
        return !is_weak(*if_range) && *if_range == validators.etag;
    }
    const auto date = parse_http_date(*if_range);
    return date && *date == validators.last_modified;
}

}  // namespace forkd::http
