// Validators and conditional requests (RFC 9110 §8.8 and §13); pure, no I/O.
//
// The preconditions are evaluated in the order of RFC 9110 §13.2.2, so that a request with
// several of them gets the answer the RFC names, not the first one a handler happened to
// check.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "forkd/request.hpp"

namespace forkd::http {

// What identifies the selected representation's current state.
struct Validators {
    std::string etag;           // a strong entity-tag, quotes included
    std::time_t last_modified;  // seconds; Last-Modified has no finer resolution
};

// A strong entity-tag from a file's identity: "\"inode-size-mtime_ns\"" in hex. Any change of
// content through a new file, a new length or a write changes it.
std::string make_strong_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns);

// Whether the entity-tag list `field` ("*", or `"a", W/"b"`) names `etag`. The strong
// comparison (If-Match, If-Range) never matches a weak tag; the weak one ignores "W/".
// A malformed list matches nothing.
bool etag_list_matches(std::string_view field, std::string_view etag, bool strong_comparison);

enum class Precondition {
    proceed,       // serve the request as if unconditional
    not_modified,  // 304
    failed,        // 412
};

// Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since, in that order.
Precondition evaluate_preconditions(const Request& request, const Validators& validators);

// Whether a Range header may be honoured: yes without If-Range, otherwise only when If-Range
// names the current strong entity-tag or exactly the current Last-Modified date.
bool range_allowed(const Request& request, const Validators& validators);

}  // namespace forkd::http
