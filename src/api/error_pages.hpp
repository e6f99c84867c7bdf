// The app's own pages for the statuses forkd answers itself (App::error_page), kept for the
// process: set once before the first fork, read by Response::error everywhere after it.
#pragma once

#include <string>
#include <vector>

namespace forkd::api {

struct ErrorPage {
    int status = 0;
    std::string body;
    std::string content_type;
};

void set_error_pages(std::vector<ErrorPage> pages);
// The page for `status`, or nullptr for forkd's own.
const ErrorPage* error_page_for(int status);

}  // namespace forkd::api
