#include "worker/title_observer.hpp"

#include <fmt/format.h>

#include "os/process_title.hpp"

namespace forkd::worker {

void TitleObserver::idle() {
    os::set_process_title(fmt::format("forkd: {} idle", role_));
}

void TitleObserver::request_started(const Request& request) {
    // Targets are client bytes: cut them short, they only need to be recognisable.
    std::string_view target = request.target;
    if (target.size() > 64) target = target.substr(0, 64);
    os::set_process_title(fmt::format("forkd: {} busy {} {}", role_, request.method, target));
}

}  // namespace forkd::worker
