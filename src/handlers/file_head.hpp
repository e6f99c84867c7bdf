// What a regular file's responses say about it besides its bytes: its validators and the
// fields of its 200 (Last-Modified, ETag, Content-Type, Accept-Ranges), formatted once per
// state of the file. The open-file cache keeps one in each file's entry, so that a hot file's
// response formats nothing: its fields go out as one block, serialised once (issue 17, W3).
//
// A head describes one state of one file under one path (the path gives the type): it is
// used only for a status with the same inode, size and mtime, whatever the cache says.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "forkd/request.hpp"
#include "http/conditional.hpp"
#include "os/file_beneath.hpp"

namespace forkd::handlers {

struct FileHead {
    // The state described.
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;

    http::Validators validators;
    std::string last_modified;  // validators.last_modified as an IMF-fixdate
    std::string content_type;
    Headers fields;  // a 200's, in this order: Last-Modified, ETag, Content-Type, Accept-Ranges
    std::shared_ptr<const std::string> ready_fields;  // `fields` serialised: Response::ready_fields

    // Whether this head may answer for a file whose fstat says `status`.
    bool describes(const os::FileStatus& status) const {
        return status.inode == inode && status.size == size && status.mtime_ns == mtime_ns;
    }
};

std::shared_ptr<const FileHead> make_file_head(const os::FileStatus& status,
                                               std::string content_type);

}  // namespace forkd::handlers
