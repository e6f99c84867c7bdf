// forkd::App: the routes, mounts, hooks and error pages an embedding program declares.
// forkd::run (master/launch.cpp) turns them into every process's router.
#include <algorithm>
#include <exception>
#include <utility>

#include "base/log.hpp"
#include "forkd/app.hpp"
#include "forkd/version.hpp"

namespace forkd {

App& App::get(std::string pattern, HandlerFunction handler, Dispatch dispatch) {
    return route("GET", std::move(pattern), std::move(handler), dispatch);
}

App& App::get(std::string pattern, HandlerFunction handler, DispatchRule rule) {
    return route("GET", std::move(pattern), make_handler(std::move(rule), std::move(handler)));
}

App& App::post(std::string pattern, HandlerFunction handler, Dispatch dispatch) {
    return route("POST", std::move(pattern), std::move(handler), dispatch);
}

App& App::put(std::string pattern, HandlerFunction handler, Dispatch dispatch) {
    return route("PUT", std::move(pattern), std::move(handler), dispatch);
}

App& App::patch(std::string pattern, HandlerFunction handler, Dispatch dispatch) {
    return route("PATCH", std::move(pattern), std::move(handler), dispatch);
}

App& App::del(std::string pattern, HandlerFunction handler, Dispatch dispatch) {
    return route("DELETE", std::move(pattern), std::move(handler), dispatch);
}

App& App::route(std::string method, std::string pattern, HandlerFunction handler,
                Dispatch dispatch) {
    return route(std::move(method), std::move(pattern), make_handler(dispatch, std::move(handler)));
}

App& App::route(std::string method, std::string pattern, std::shared_ptr<Handler> handler) {
    Route route{std::move(method), std::move(pattern), Route::Match::pattern, std::move(handler)};
    Router check;
    check.add(route);  // a malformed pattern throws here, where the app declares it
    entries_.push_back(Entry{std::move(route), Builtin::status, false});
    return *this;
}

App& App::mount(Builtin builtin) {
    if (!mounts(builtin)) entries_.push_back(Entry{Route{}, builtin, true});
    return *this;
}

bool App::mounts(Builtin builtin) const {
    return std::ranges::any_of(
        entries_, [&](const Entry& entry) { return entry.is_builtin && entry.builtin == builtin; });
}

bool App::places_builtins() const {
    return std::ranges::any_of(entries_, [](const Entry& entry) { return entry.is_builtin; });
}

Router App::router() const {
    Router router;
    for (const Entry& entry : entries_) {
        if (!entry.is_builtin) router.add(entry.route);
    }
    return router;
}

App& App::on_preload(Hook hook) {
    preload_.push_back(std::move(hook));
    return *this;
}

App& App::on_worker_start(Hook hook) {
    worker_start_.push_back(std::move(hook));
    return *this;
}

App& App::on_worker_exit(Hook hook) {
    worker_exit_.push_back(std::move(hook));
    return *this;
}

App& App::error_page(int status, std::string body, std::string content_type) {
    std::erase_if(error_pages_, [&](const ErrorPage& page) { return page.status == status; });
    error_pages_.push_back(ErrorPage{status, std::move(body), std::move(content_type)});
    return *this;
}

void App::run_preload_hooks() const {
    for (const Hook& hook : preload_)
        hook();
}

void App::run_worker_start_hooks() const {
    for (const Hook& hook : worker_start_)
        hook();
}

// The process is leaving: one hook that fails must not keep the others from running.
void App::run_worker_exit_hooks() const noexcept {
    for (const Hook& hook : worker_exit_) {
        try {
            hook();
        } catch (const std::exception& e) {
            log::error("an on_worker_exit hook threw: {}", e.what());
        } catch (...) {
            log::error("an on_worker_exit hook threw a non-exception");
        }
    }
}

const char* version() {
    return FORKD_VERSION_STRING;
}

}  // namespace forkd
