#include "http/target_path.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "forkd/request.hpp"
#include "http/byte_words.hpp"

namespace forkd::http {
namespace {

bool is_refused_in_a_name(char c) {
    return c == '\0' || c == '/' || c == '\\';
}

// Most segments have no escape and nothing to refuse: they are copied whole. The bytes that
// would say otherwise are looked for eight at a time.
bool is_plain_segment(std::string_view raw) {
    using namespace byte_words;
    const std::size_t checked = words_passing(raw, [](std::uint64_t word) {
        return (any_byte_equal(word, '%') | any_byte_equal(word, '\0') |
                any_byte_equal(word, '\\')) == 0;
    });
    return std::ranges::none_of(raw.substr(checked),
                                [](char c) { return c == '%' || is_refused_in_a_name(c); });
}

// One segment, decoded; nullopt when it cannot name a file beneath the root: a '%' that does
// not start an escape (each escape decoded shortens the text by two), or a NUL, '/' or '\\'
// in the name.
std::optional<std::string> decode_segment(std::string_view raw) {
    if (is_plain_segment(raw)) return std::string(raw);  // ('/' cannot be in a raw segment)
    std::size_t escapes = static_cast<std::size_t>(std::ranges::count(raw, '%'));
    std::string out = escapes == 0 ? std::string(raw) : percent_decode(raw);
    if (raw.size() - out.size() != 2 * escapes) return std::nullopt;
    // (A loop, not find_first_of: that calls memchr once per character; this runs per request.)
    if (std::ranges::any_of(out, is_refused_in_a_name)) return std::nullopt;
    return out;
}

}  // namespace

std::string TargetPath::text() const {
    std::string out = "/" + relative();
    if (trailing_slash && !segments.empty()) out += '/';
    return out;
}

std::string TargetPath::relative() const {
    std::string out;
    for (const auto& segment : segments) {
        if (!out.empty()) out += '/';
        out += segment;
    }
    return out;
}

std::optional<TargetPath> normalize_target_path(std::string_view raw_path) {
    if (!raw_path.starts_with('/')) return std::nullopt;
    TargetPath path;
    std::string_view rest = raw_path.substr(1);
    while (true) {
        const auto slash = rest.find('/');
        auto segment = decode_segment(rest.substr(0, slash));
        if (!segment) return std::nullopt;
        const bool last = slash == std::string_view::npos;
        // A final "." or ".." names a directory, as if written with a slash.
        path.trailing_slash = last && (segment->empty() || *segment == "." || *segment == "..");
        if (*segment == "..") {
            if (path.segments.empty()) return std::nullopt;
            path.segments.pop_back();
        } else if (!segment->empty() && *segment != ".") {
            path.segments.push_back(std::move(*segment));
        }
        if (last) break;
        rest.remove_prefix(slash + 1);
    }
    if (path.segments.empty()) path.trailing_slash = true;
    return path;
}

std::string encode_path_segment(std::string_view segment) {
    constexpr std::string_view kSafe = "-._~!$&'()*+,;=:@";
    std::string out;
    for (const char c : segment) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
            kSafe.find(c) != std::string_view::npos) {
            out += c;
        } else {
            constexpr char kHex[] = "0123456789ABCDEF";
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return out;
}

}  // namespace forkd::http
