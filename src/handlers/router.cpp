// The embedding API's routing: make_handler, Route and Router (include/forkd/handler.hpp).
#include <utility>

#include "forkd/handler.hpp"

namespace forkd {
namespace {

class FunctionHandler final : public Handler {
  public:
    FunctionHandler(Dispatch dispatch, HandlerFunction function)
        : dispatch_(dispatch), function_(std::move(function)) {}
    Dispatch dispatch(const Request&) const override { return dispatch_; }
    Response handle(const Request& request) override { return function_(request); }

  private:
    Dispatch dispatch_;
    HandlerFunction function_;
};

}  // namespace

std::shared_ptr<Handler> make_handler(Dispatch dispatch, HandlerFunction function) {
    return std::make_shared<FunctionHandler>(dispatch, std::move(function));
}

bool Route::matches(std::string_view request_path) const {
    if (match == Match::exact) return request_path == path;
    return request_path.starts_with(path);
}

void Router::add(Route route) {
    routes_.push_back(std::move(route));
}

void Router::add(std::string path, Route::Match match, std::shared_ptr<Handler> handler) {
    routes_.push_back(Route{std::move(path), match, std::move(handler)});
}

Handler* Router::find(std::string_view path) const {
    for (const Route& route : routes_) {
        if (route.matches(path)) return route.handler.get();
    }
    return nullptr;
}

}  // namespace forkd
