#include "api/mime_types.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <unordered_set>
#include <utility>
#include <vector>

namespace forkd::api {
namespace {

// The types a website mostly serves, for systems without /etc/mime.types.
constexpr std::pair<std::string_view, std::string_view> kBuiltin[] = {
    {"html", "text/html"},        {"htm", "text/html"},
    {"css", "text/css"},          {"js", "text/javascript"},
    {"mjs", "text/javascript"},   {"json", "application/json"},
    {"txt", "text/plain"},        {"xml", "application/xml"},
    {"svg", "image/svg+xml"},     {"png", "image/png"},
    {"jpg", "image/jpeg"},        {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},         {"webp", "image/webp"},
    {"avif", "image/avif"},       {"ico", "image/vnd.microsoft.icon"},
    {"woff", "font/woff"},        {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},          {"otf", "font/otf"},
    {"pdf", "application/pdf"},   {"wasm", "application/wasm"},
    {"mp4", "video/mp4"},         {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},        {"ogg", "audio/ogg"},
    {"zip", "application/zip"},   {"gz", "application/gzip"},
    {"tar", "application/x-tar"}, {"md", "text/markdown"},
    {"csv", "text/csv"},
};

std::string lower(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Splits one line into whitespace-separated words.
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])))
            ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

}  // namespace

MimeTypes MimeTypes::with_system_table() {
    MimeTypes types;
    std::ifstream in("/etc/mime.types");  // missing elsewhere: the built-in table serves
    if (in) {
        std::ostringstream text;
        text << in.rdbuf();
        types.add_table(text.str());
    }
    return types;
}

MimeTypes::MimeTypes() {
    for (const auto& [extension, type] : kBuiltin)
        by_extension_.emplace(extension, type);
}

void MimeTypes::add_table(std::string_view text) {
    std::unordered_set<std::string> seen;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        line = line.substr(0, line.find('#'));
        const auto fields = words(line);
        if (fields.size() < 2 || fields[0].find('/') == std::string_view::npos) continue;
        for (std::size_t i = 1; i < fields.size(); ++i) {
            std::string extension = lower(fields[i]);
            if (!seen.insert(extension).second) continue;
            by_extension_[std::move(extension)] = std::string(fields[0]);
        }
    }
}

std::string MimeTypes::content_type(std::string_view filename,
                                    std::string_view default_type) const {
    const auto dot = filename.rfind('.');
    std::string type(default_type);
    if (dot != std::string_view::npos && dot + 1 < filename.size()) {
        const auto found = by_extension_.find(lower(filename.substr(dot + 1)));
        if (found != by_extension_.end()) type = found->second;
    }
    if (is_textual(type) && type.find(';') == std::string::npos) type += "; charset=utf-8";
    return type;
}

bool is_textual(std::string_view media_type) {
    media_type = media_type.substr(0, media_type.find(';'));
    return media_type.starts_with("text/") || media_type == "application/json" ||
           media_type == "application/javascript" || media_type == "application/xml" ||
           media_type == "image/svg+xml" || media_type.ends_with("+json") ||
           media_type.ends_with("+xml");
}

}  // namespace forkd::api
