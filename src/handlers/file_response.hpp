// The response for one regular file: validators, preconditions, ranges and precompressed
// variants. Used by the static-file handler once it has opened the file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/mime_types.hpp"
#include "base/fd.hpp"
#include "forkd/response.hpp"
#include "handlers/file_head.hpp"
#include "handlers/open_file_cache.hpp"
#include "os/file_beneath.hpp"

namespace forkd::handlers {

// multipart/byteranges bodies are built in memory; a larger multi-range request gets the
// whole file instead (RFC 9110 §14.2 lets a server ignore Range).
inline constexpr std::uint64_t kMaxMultipartBytes = 1024 * 1024;

// A file the handler has opened, with where it was found (to look for "name.br" beside it).
// The descriptor may be shared with the open-file cache: the response holds a reference.
struct OpenFile {
    int directory = -1;    // the served directory the file lies beneath
    std::string relative;  // its path beneath that directory
    std::shared_ptr<const Fd> fd;
    os::FileStatus status;
    std::shared_ptr<const std::string> content = nullptr;  // its bytes, when the cache has them
    std::shared_ptr<const FileHead> head = nullptr;        // its cache entry's, if any
};

struct FileResponseOptions {
    const api::MimeTypes* mime_types = nullptr;
    std::string_view default_type;
    OpenFileCache* open_files = nullptr;  // opens the precompressed siblings
    bool precompressed = true;
};

// 200 with the file, 206 with a range of it (or a multipart/byteranges body for several),
// 304, 412 or 416, each with the headers RFC 9110 asks for. HEAD gets GET's head. The file's
// fields come from `file.head` when it describes the file; otherwise they are made and kept in
// the file's cache entry for the next response.
Response file_response(const Request& request, OpenFile file, const FileResponseOptions& options);

}  // namespace forkd::handlers
