// A second, independent reading of an HTTP/1.1 request's framing, written from RFC 9112
// alone and deliberately simple: no Beast, nothing from src/http. The differential fuzz
// target compares forkd's parser with it.
//
// Strict: where the RFC lets a recipient choose (bare LF line endings, obs-fold, empty list
// elements, odd Content-Length forms), it refuses. A refusal is `ambiguous` when another
// reader could frame the same bytes differently, i.e. when accepting it is how requests
// are smuggled past a proxy: CL with TE, differing or malformed Content-Length, TE not
// ending in chunked, obs-fold, bare CR or LF, NUL and other control bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace forkd::fuzz {

struct StrictRequest {
    std::string method;
    std::string target;
    int version = 11;      // 10 or 11
    std::string body;      // chunked coding removed
    std::size_t size = 0;  // bytes the request occupies, leading empty lines included
};

struct StrictVerdict {
    enum class Kind { accept, incomplete, reject };
    Kind kind = Kind::incomplete;
    bool ambiguous = false;  // with reject: framing two readers could disagree on
    std::string reason;      // with reject
    StrictRequest request;   // with accept
};

// Reads the first request of `bytes`. Bodies (and chunks) larger than max_body_size are
// refused, as forkd refuses them.
StrictVerdict strict_read(std::string_view bytes, std::size_t max_body_size);

}  // namespace forkd::fuzz
