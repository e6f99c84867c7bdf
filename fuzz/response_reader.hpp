// Reads the responses a connection sent back, strictly (RFC 9112), for the session fuzz
// target: a response that a client could not frame exactly is a broken invariant, reported
// with FUZZ_CHECK.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "forkd/request.hpp"

namespace forkd::fuzz {

struct ReadResponse {
    int version = 11;
    int status = 0;
    Headers fields;
    std::string body;
    bool closes = false;  // "Connection: close", or a body delimited by the close
};

class ResponseReader {
  public:
    explicit ResponseReader(std::string_view bytes) : bytes_(bytes) {}

    bool at_end() const { return position_ == bytes_.size(); }
    // The next response; `head_only` when it answers a HEAD request (no body follows).
    ReadResponse next(bool head_only);

  private:
    std::string_view line();
    std::string_view take(std::size_t count);
    std::string read_chunked();

    std::string_view bytes_;
    std::size_t position_ = 0;
};

}  // namespace forkd::fuzz
