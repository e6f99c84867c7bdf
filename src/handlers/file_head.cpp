#include "handlers/file_head.hpp"

#include <utility>

#include "http/response_head.hpp"

namespace forkd::handlers {

std::shared_ptr<const FileHead> make_file_head(const os::FileStatus& status,
                                               std::string content_type) {
    auto head = std::make_shared<FileHead>();
    head->inode = status.inode;
    head->size = status.size;
    head->mtime_ns = status.mtime_ns;
    head->validators = {http::make_strong_etag(status.inode, status.size, status.mtime_ns),
                        status.mtime};
    head->last_modified = http::http_date(status.mtime);
    head->content_type = std::move(content_type);
    head->fields.add("Last-Modified", head->last_modified);
    head->fields.add("ETag", head->validators.etag);
    head->fields.add("Content-Type", head->content_type);
    head->fields.add("Accept-Ranges", "bytes");
    head->ready_fields = std::make_shared<const std::string>(http::serialize_fields(head->fields));
    return head;
}

}  // namespace forkd::handlers
