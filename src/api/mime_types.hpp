// File extension -> media type; pure, no I/O (the caller reads /etc/mime.types).
//
// The system table (Debian's media-types package) wins; a small built-in table covers the
// web's common types where the system has none, and `default_type` the rest.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace forkd::api {

class MimeTypes {
  public:
    // The built-in table only.
    MimeTypes();
    // The built-in table and the system's (/etc/mime.types, Debian's media-types package),
    // which wins where both name an extension.
    static MimeTypes with_system_table();

    // Adds the entries of a mime.types file ("type ext1 ext2", '#' comments). An extension
    // it names takes the file's type over the built-in one; the first line naming it wins.
    void add_table(std::string_view mime_types_text);

    // The Content-Type for `filename`, with "; charset=utf-8" for text, or `default_type`
    // when its extension (compared case-insensitively) is unknown.
    std::string content_type(std::string_view filename, std::string_view default_type) const;

  private:
    std::unordered_map<std::string, std::string> by_extension_;
};

// Whether a Content-Type is text a browser decodes with a charset (text/*, JSON, XML,
// JavaScript, SVG).
bool is_textual(std::string_view media_type);

}  // namespace forkd::api
