// Text made safe inside HTML, for every page forkd writes itself (errors, status, indexes).
#pragma once

#include <string>
#include <string_view>

namespace forkd::api {

// & < > " and ' become entities.
std::string escape_html(std::string_view text);

}  // namespace forkd::api
