// Where a request body waits while it arrives, in every process that reads requests
// (hybrid's io worker, and the blocking session of single, fork and prefork modes): in
// memory up to body_buffer_size, beyond that in an unlinked temp file in body_temp_path
// (nginx's client_body_buffer_size and client_body_temp_path). The parser's decoded bytes
// move to the file as they come, so an upload costs disk space, never the reader's memory;
// the handler gets the file itself (RequestBody::from_file), and so can a CGI program's
// stdin.
//
// File writes block, but on a local file system they are short; a file that cannot be
// made or written (a full disk, a missing directory) fails the request with 500.
#pragma once

#include <cstddef>
#include <string>

#include "base/fd.hpp"
#include "forkd/request.hpp"
#include "http/request_parser.hpp"

namespace forkd::session {

class BodySpool {
  public:
    BodySpool(std::size_t memory_limit, std::string directory)
        : memory_limit_(memory_limit), directory_(std::move(directory)) {}

    // After each step of the parser through a body: once the body outgrew memory_limit,
    // moves the decoded bytes the parser holds to `file` (opened on first use). False when
    // the file cannot be made or written.
    bool absorb(http::RequestParser& parser, Fd& file) const;

    // For a complete request: moves what request.body still holds to `file` when the body
    // is already partly there, or when it is longer than `memory_at_most` (a body too big
    // for a hand-off message). False when the file cannot be made or written.
    bool move_to_file(Request& request, Fd& file, std::size_t memory_at_most) const;

    // For a complete request whose handler runs in this process (the blocking modes): a
    // body partly in `file` goes there whole and request.body becomes that file, which it
    // then owns (`file` is left empty); a body within memory_limit stays in memory. False
    // when the file cannot be written.
    bool settle_body(Request& request, Fd& file) const;

    // For a handler that reads request.body (an inline route): the whole body back in
    // memory, the file's part first; `file` is closed. False when it cannot be read.
    static bool bring_back(Request& request, Fd& file);

    // Whether this process can make temp files at all; a message naming the directory
    // when not. Asked once at start, so that a bad body_temp_path shows in the log early.
    std::string check() const;

  private:
    bool append(Fd& file, std::string_view bytes) const;

    std::size_t memory_limit_;
    std::string directory_;  // empty: $TMPDIR, else /tmp
};

}  // namespace forkd::session
