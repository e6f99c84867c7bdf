// From a request's raw path to the file path it names; pure, no I/O.
//
// The path is percent-decoded exactly once, per segment, so "%252e" stays the name "%2e"
// and never becomes "..". A segment whose decoded form holds a '/' (from "%2f"), a '\' or a
// NUL, or any malformed escape, makes the whole target invalid: such names do not exist on
// disk and are only ever sent to trick a server. "." segments are dropped and ".." removes
// the previous segment; a ".." that would climb above the root makes the target invalid.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forkd::http {

struct TargetPath {
    std::vector<std::string> segments;  // decoded names, none empty, ".", ".." or with '/'
    bool trailing_slash = false;        // the path ends in '/' (or is "/")

    // The normalised path, decoded: "/a/b/" or "/".
    std::string text() const;
    // The segments joined by '/', without a leading one: "a/b" ("" for the root).
    std::string relative() const;
};

// Decodes and normalises `raw_path` (a Request's path: no query, not decoded). nullopt means
// 400 Bad Request.
std::optional<TargetPath> normalize_target_path(std::string_view raw_path);

// Percent-encodes one decoded segment for use in a URL path (Location, autoindex links):
// everything but unreserved characters and the sub-delims safe in a path.
std::string encode_path_segment(std::string_view segment);

}  // namespace forkd::http
