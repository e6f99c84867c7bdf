#include "handlers/file_response.hpp"

#include <fmt/format.h>

#include <random>

#include "http/accept_encoding.hpp"
#include "http/byte_ranges.hpp"
#include "http/conditional.hpp"
#include "http/response_head.hpp"

namespace forkd::handlers {
namespace {

// The precompressed variants tried, best first, as nginx's gzip_static and brotli_static.
struct Variant {
    std::string_view coding;
    std::string_view suffix;
};
constexpr Variant kVariants[] = {{"br", ".br"}, {"gzip", ".gz"}};

// Replaces `file` by its precompressed variant when the client accepts one and it exists
// as a regular file beside it. Returns the coding chosen, or "".
std::string_view choose_variant(const Request& request, OpenFile& file,
                                const FileResponseOptions& options) {
    const auto accept = request.headers.get("Accept-Encoding");
    if (!options.precompressed || !accept) return {};
    for (const auto& variant : kVariants) {
        if (!http::accepts_coding(*accept, variant.coding)) continue;
        // Most files have no such sibling: the cache remembers that too (for its validity).
        CachedOpen opened = options.open_files->open(
            file.directory, file.relative + std::string(variant.suffix), true);
        if (!opened.fd || opened.status.type != os::FileStatus::Type::regular) continue;
        file.fd = std::move(opened.fd);
        file.status = opened.status;
        file.content = std::move(opened.content);
        file.head = nullptr;  // the original's; the variant's entry has none (see head_of)
        return variant.coding;
    }
    return {};
}

// A boundary that no file is likely to contain: random per response.
std::string make_boundary() {
    static std::mt19937_64 generator{std::random_device{}()};
    return fmt::format("forkd-{:016x}", generator());
}

Response multipart_response(const FileBody& file, std::uint64_t size,
                            const std::vector<http::ByteRange>& ranges,
                            const std::string& content_type) {
    const std::string boundary = make_boundary();
    std::string body;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        body += http::multipart_part_head(boundary, content_type, ranges[i], size, i == 0);
        const auto bytes = os::read_at(file.fd, static_cast<off_t>(ranges[i].first),
                                       static_cast<std::size_t>(ranges[i].length()));
        if (!bytes) return http::error_response(500, "The file could not be read.");
        body += *bytes;
    }
    body += http::multipart_end(boundary);
    Response response;
    response.status = 206;
    response.headers.set("Content-Type", "multipart/byteranges; boundary=" + boundary);
    response.body = std::move(body);
    return response;
}

std::uint64_t total_length(const std::vector<http::ByteRange>& ranges) {
    std::uint64_t total = 0;
    for (const auto& range : ranges)
        total += range.length();
    return total;
}

// Applies a Range header to a 200 that carries the whole file of `size` bytes.
Response apply_range(const Request& request, std::uint64_t size, const std::string& content_type,
                     Response full) {
    const auto selection = http::select_ranges(*request.headers.get("Range"), size);
    using Outcome = http::RangeSelection::Outcome;
    if (selection.outcome == Outcome::ignore) return full;
    if (selection.outcome == Outcome::unsatisfiable) {
        Response refused = http::error_response(416, "The requested range is not satisfiable.");
        refused.headers.set("Content-Range", http::unsatisfied_content_range(size));
        return refused;
    }
    auto& file = std::get<FileBody>(full.body);
    if (selection.ranges.size() == 1) {
        const http::ByteRange& range = selection.ranges.front();
        full.status = 206;
        full.headers.set("Content-Range", http::content_range(range, size));
        file.offset = static_cast<off_t>(range.first);
        file.length = static_cast<off_t>(range.length());
        return full;
    }
    // Overlapping ranges that add up to more than the file only cost the server.
    const std::uint64_t total = total_length(selection.ranges);
    if (total > kMaxMultipartBytes || total > size) return full;
    Response parts = multipart_response(file, size, selection.ranges, content_type);
    if (parts.status != 206) return parts;
    for (const auto& [name, value] : full.headers)
        if (!iequals(name, "Content-Type")) parts.headers.add(name, value);
    return parts;
}

// A file body the open-file cache holds the bytes of is sent from them: no read, and no
// copy until the writer puts them behind the head (http/response_plan.hpp).
Response from_memory(Response response, std::shared_ptr<const std::string> content) {
    auto* file = std::get_if<FileBody>(&response.body);
    if (content == nullptr || file == nullptr) return response;
    file->content = std::move(content);
    return response;
}

// The file's head: its cache entry's while that still describes the file, else a new one,
// kept in the entry for the next response. A precompressed variant's is made for this
// response alone: the variant's own entry is also its path's, whose type would differ.
std::shared_ptr<const FileHead> head_of(OpenFile& file, std::string_view coding,
                                        const FileResponseOptions& options) {
    if (file.head && file.head->describes(file.status)) return std::move(file.head);
    auto head = make_file_head(
        file.status, options.mime_types->content_type(file.relative, options.default_type));
    if (coding.empty() && options.open_files != nullptr)
        options.open_files->keep_head(file.directory, file.relative, head);
    return head;
}

void add_coding(Headers& headers, std::string_view coding) {
    if (coding.empty()) return;
    headers.add("Content-Encoding", std::string(coding));
    headers.add("Vary", "Accept-Encoding");
}

}  // namespace

Response file_response(const Request& request, OpenFile file, const FileResponseOptions& options) {
    const std::string_view coding = choose_variant(request, file, options);
    const std::shared_ptr<const FileHead> head = head_of(file, coding, options);
    const http::Validators& validators = head->validators;

    Response response;
    switch (http::evaluate_preconditions(request, validators)) {
        case http::Precondition::not_modified:
            response.status = 304;
            response.headers.add("Last-Modified", head->last_modified);
            response.headers.add("ETag", validators.etag);
            add_coding(response.headers, coding);
            response.body = std::string();
            return response;
        case http::Precondition::failed: {
            Response failed = http::error_response(412, "A precondition of the request failed.");
            failed.headers.set("ETag", validators.etag);
            return failed;
        }
        case http::Precondition::proceed:
            break;
    }
    add_coding(response.headers, coding);
    const int fd = file.fd->get();
    response.body = FileBody(std::move(file.fd), fd, 0, static_cast<off_t>(file.status.size));
    // Range is defined for GET only (RFC 9110 §14.2): HEAD describes the whole file.
    const bool wants_range = request.method == "GET" && request.headers.contains("Range") &&
                             http::range_allowed(request, validators);
    if (!wants_range) {
        // The whole file, a hot file's case: its fields as the block its head keeps.
        response.ready_fields = head->ready_fields;
        return from_memory(std::move(response), std::move(file.content));
    }
    for (const auto& [name, value] : head->fields)
        response.headers.add(name, value);
    return from_memory(
        apply_range(request, file.status.size, head->content_type, std::move(response)),
        std::move(file.content));
}

}  // namespace forkd::handlers
