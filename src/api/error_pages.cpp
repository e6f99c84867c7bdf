#include "api/error_pages.hpp"

namespace forkd::api {
namespace {

// Written before any fork and never again: every process reads its own copy.
std::vector<ErrorPage>& pages() {
    static std::vector<ErrorPage> installed;
    return installed;
}

}  // namespace

void set_error_pages(std::vector<ErrorPage> installed) {
    pages() = std::move(installed);
}

const ErrorPage* error_page_for(int status) {
    for (const ErrorPage& page : pages()) {
        if (page.status == status) return &page;
    }
    return nullptr;
}

}  // namespace forkd::api
