#include "handlers/autoindex.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "api/html_text.hpp"
#include "http/response_head.hpp"
#include "http/target_path.hpp"

namespace forkd::handlers {
namespace {

bool listed_before(const os::DirectoryEntry& a, const os::DirectoryEntry& b) {
    if (a.is_directory != b.is_directory) return a.is_directory;
    return a.name < b.name;
}

}  // namespace

std::string render_autoindex(std::string_view directory_path,
                             std::vector<os::DirectoryEntry> entries, bool show_dotfiles) {
    if (!show_dotfiles) {
        std::erase_if(entries, [](const auto& entry) { return entry.name.starts_with('.'); });
    }
    std::ranges::sort(entries, listed_before);
    const std::string title = api::escape_html(fmt::format("Index of {}", directory_path));
    std::string page = fmt::format(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{0}</title></head>\n"
        "<body><h1>{0}</h1><hr><pre>\n",
        title);
    if (directory_path != "/") page += "<a href=\"../\">../</a>\n";
    for (const auto& entry : entries) {
        const std::string slash = entry.is_directory ? "/" : "";
        const std::string href = "./" + http::encode_path_segment(entry.name) + slash;
        const std::string size = entry.is_directory ? "-" : std::to_string(entry.size);
        fmt::format_to(std::back_inserter(page), "<a href=\"{}\">{}</a>  {:%d-%b-%Y %H:%M}  {}\n",
                       api::escape_html(href), api::escape_html(entry.name + slash),
                       fmt::gmtime(entry.mtime), size);
    }
    page += "</pre><hr></body></html>\n";
    return page;
}

}  // namespace forkd::handlers
