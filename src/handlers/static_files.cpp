#include "handlers/static_files.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "api/route_kind.hpp"
#include "handlers/autoindex.hpp"
#include "handlers/file_response.hpp"
#include "http/response_head.hpp"

namespace forkd::handlers {
namespace {

os::SymlinkPolicy to_policy(config::Symlinks symlinks) {
    switch (symlinks) {
        case config::Symlinks::on:
            return os::SymlinkPolicy::follow;
        case config::Symlinks::owner:
            return os::SymlinkPolicy::same_owner;
        case config::Symlinks::off:
            return os::SymlinkPolicy::refuse;
    }
    return os::SymlinkPolicy::refuse;
}

ServedDirectory served_directory(std::string_view url_prefix, const std::string& path) {
    const auto prefix = http::normalize_target_path(url_prefix);
    if (!prefix)
        throw std::runtime_error("locations: invalid URL prefix " + std::string(url_prefix));
    return ServedDirectory{prefix->segments, path, os::open_root_directory(path)};
}

// The root under "/" and each "prefix=dir" location, longest prefix first, so the most
// specific one wins.
std::vector<ServedDirectory> open_served_directories(const config::Config& config) {
    std::vector<ServedDirectory> directories;
    directories.push_back(served_directory("/", config.root));
    for (const auto& entry : config.locations) {
        const auto equals = entry.find('=');
        directories.push_back(served_directory(entry.substr(0, equals), entry.substr(equals + 1)));
    }
    std::ranges::stable_sort(directories, [](const auto& a, const auto& b) {
        return a.prefix.size() > b.prefix.size();
    });
    return directories;
}

bool names_a_dotfile(const http::TargetPath& path) {
    return std::ranges::any_of(path.segments, [](const auto& s) { return s.starts_with('.'); });
}

// The errno of a failed open, as the status a client should see. A path that would leave
// the root is simply not there, nor is one the file system cannot hold (ENAMETOOLONG: a name
// over NAME_MAX, a path over PATH_MAX), as nginx answers; 414 belongs to the request line.
Response open_failure(int error) {
    switch (error) {
        case EACCES:
        case EPERM:
            return http::error_response(403, "You may not read this file.");
        case ELOOP:
            return http::error_response(403, "This path crosses a symlink that is not followed.");
        default:
            return http::error_response(404, "No file is served at this path.");
    }
}

std::string join(const std::string& directory, std::string_view name) {
    return directory.empty() ? std::string(name) : directory + "/" + std::string(name);
}

std::string encoded_path(const http::TargetPath& path) {
    std::string out;
    for (const auto& segment : path.segments)
        out += "/" + http::encode_path_segment(segment);
    return out.empty() ? "/" : out;
}

}  // namespace

StaticFilesHandler::StaticFilesHandler(const config::Config& config)
    : directories_(open_served_directories(config)),
      index_(config.index),
      autoindex_(config.autoindex),
      default_type_(config.default_type),
      dotfiles_(config.dotfiles),
      precompressed_(config.precompressed),
      mime_types_(api::MimeTypes::with_system_table()),
      open_files_(static_cast<std::size_t>(config.open_file_cache), config.open_file_cache_valid,
                  to_policy(config.symlinks)) {}

StaticFilesHandler::Located StaticFilesHandler::locate(const http::TargetPath& path) const {
    for (const auto& served : directories_) {
        if (served.prefix.size() > path.segments.size() ||
            !std::equal(served.prefix.begin(), served.prefix.end(), path.segments.begin()))
            continue;
        Located located{&served, {}};
        for (auto it = path.segments.begin() + static_cast<long>(served.prefix.size());
             it != path.segments.end(); ++it)
            located.relative = join(located.relative, *it);
        return located;
    }
    return {};  // unreachable while the root (prefix "/") is served
}

Response StaticFilesHandler::handle(const Request& request) {
    api::note_route_kind(api::RouteKind::static_files);
    if (request.method != "GET" && request.method != "HEAD") {
        Response response = http::error_response(405, "Files are read with GET and HEAD only.");
        response.headers.set("Allow", "GET, HEAD");
        return response;
    }
    const auto path = http::normalize_target_path(request.path);
    if (!path) return http::error_response(400, "The request path is not valid.");
    if (!dotfiles_ && names_a_dotfile(*path))
        return http::error_response(404, "No file is served at this path.");
    const Located located = locate(*path);
    if (located.served == nullptr) return http::error_response(404, "No file is served here.");

    // Every check of the request's path is behind us: only now may the cache answer.
    CachedOpen opened = open_files_.open(located.served->directory.get(), located.relative);
    if (!opened.fd && opened.error != 0) return open_failure(opened.error);
    if (!opened.fd) return http::error_response(500, "The file could not be examined.");
    switch (opened.status.type) {
        case os::FileStatus::Type::directory:
            return serve_directory(request, *path, located, opened.fd->get());
        case os::FileStatus::Type::regular:
            return serve_regular_file(request, located, located.relative, std::move(opened));
        case os::FileStatus::Type::other:
            break;
    }
    return http::error_response(403, "This is not a regular file.");
}

Response StaticFilesHandler::serve_directory(const Request& request, const http::TargetPath& path,
                                             const Located& located, int directory) {
    if (!path.trailing_slash) {
        // Relative links inside the page resolve against the directory only with the slash.
        Response moved = http::error_response(301, "This directory lives at its path with a /.");
        std::string location = encoded_path(path) + "/";
        if (!request.query.empty()) location += "?" + request.query;
        moved.headers.set("Location", location);
        return moved;
    }
    const int root = located.served->directory.get();
    for (const auto& index : index_) {
        std::string relative = join(located.relative, index);
        CachedOpen opened = open_files_.open(root, relative);
        if (!opened.fd || opened.status.type != os::FileStatus::Type::regular) continue;
        return serve_regular_file(request, located, std::move(relative), std::move(opened));
    }
    if (!autoindex_) return http::error_response(403, "This directory has no index file.");
    return Response::text(200,
                          render_autoindex(path.text(), os::list_directory(directory), dotfiles_),
                          "text/html; charset=utf-8");
}

Response StaticFilesHandler::serve_regular_file(const Request& request, const Located& located,
                                                std::string relative, CachedOpen file) {
    OpenFile open_file{
        located.served->directory.get(), std::move(relative), std::move(file.fd), file.status,
        std::move(file.content),         std::move(file.head)};
    const FileResponseOptions options{&mime_types_, default_type_, &open_files_, precompressed_};
    return file_response(request, std::move(open_file), options);
}

}  // namespace forkd::handlers
