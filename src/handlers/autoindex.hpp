// The HTML listing of a directory without an index file (autoindex = on).
//
// Every name is HTML-escaped in the text and percent-encoded in the link, so a file called
// `<script>` or `"onmouseover=` is shown, never run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "os/file_beneath.hpp"

namespace forkd::handlers {

// A page listing `entries` of the directory at URL path `directory_path` (decoded, ending
// in '/'): directories first, then files, each sorted by name. Names starting with '.' are
// left out unless `show_dotfiles`.
std::string render_autoindex(std::string_view directory_path,
                             std::vector<os::DirectoryEntry> entries, bool show_dotfiles);

}  // namespace forkd::handlers
