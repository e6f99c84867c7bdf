#include "worker/serving_roles.hpp"

#include "worker/app_worker.hpp"
#include "worker/serve_loop.hpp"

namespace forkd::worker {

int run_prefork_worker(const ServingContext& context, std::size_t slot, const std::string& label,
                       std::span<const session::ListeningSocket> listeners) {
    ServingProcess process(context, {.label = label,
                                     .slot = slot,
                                     .guard_requests = true,
                                     .recycles = true,
                                     .runs_applications = true});
    serve_until_stopped(listeners, process.services(), process.status());
    return 0;
}

int run_connection_child(const ServingContext& context, std::size_t slot, std::string_view label,
                         Fd client, const std::string& peer, bool proxy_header) {
    ServingProcess process(context, {.label = label, .slot = slot, .guard_requests = true});
    process.status().idle();
    session::serve_connection(std::move(client), peer, process.services(), proxy_header);
    return 0;
}

int run_app_worker(const ServingContext& context, std::size_t slot, const std::string& label,
                   int dispatch_socket, std::size_t max_message) {
    // No 504 from the signal handlers: the io worker answers for an app worker that dies.
    ServingProcess process(
        context, {.label = label, .slot = slot, .recycles = true, .runs_applications = true});
    // The io workers count there the requests they relay to its FastCGI application.
    context.scoreboard->set_quota(slot, process.status().quota());
    serve_hand_offs(dispatch_socket, max_message, process.services(), *context.scoreboard, slot,
                    process.status(), process.applications());
    return 0;
}

}  // namespace forkd::worker
