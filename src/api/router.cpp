// The embedding API's routing: make_handler, path patterns and the Router
// (include/forkd/handler.hpp).
//
// A path is matched segment by segment after percent-decoding it and resolving "." and ".."
// (RFC 3986 §5.2.4), so "/hello/J%C3%B6rg" fills {name} with "Jörg" and "/a/../hello/x" is
// "/hello/x"; empty segments inside a path ("//") count as one. Paths with nothing to decode
// are split in place, without copies.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include "forkd/handler.hpp"

namespace forkd {
namespace {

// A plain function as a handler; its dispatch is fixed, or chosen per request by `rule`.
class FunctionHandler final : public Handler {
  public:
    FunctionHandler(Dispatch fixed, DispatchRule rule, HandlerFunction function)
        : fixed_(fixed), rule_(std::move(rule)), function_(std::move(function)) {}
    Dispatch dispatch(const Request& request) const override {
        return rule_ ? rule_(request) : fixed_;
    }
    Response handle(const Request& request) override { return function_(request); }

  private:
    Dispatch fixed_;
    DispatchRule rule_;
    HandlerFunction function_;
};

// The segments after the leading '/': "/a/b/" -> {"a", "b", ""}; "/" -> {""}. Empty
// segments before the last are dropped ("//a" is "/a").
std::vector<std::string_view> split_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    for (;;) {
        std::size_t slash = path.find('/');
        std::string_view segment = path.substr(0, slash);
        if (slash == std::string_view::npos) {
            segments.push_back(segment);
            return segments;
        }
        if (!segment.empty()) segments.push_back(segment);
        path.remove_prefix(slash + 1);
    }
}

bool is_dot_segment(std::string_view segment) {
    return segment == "." || segment == "..";
}

// A path's segments, decoded, with dot segments resolved; views into `decoded` or the path.
// The whole path is decoded before it is split, so an encoded '/' separates segments as a
// plain one does: "%2e%2e%2f" is a dot segment too, and no parameter ever holds "../".
struct PathSegments {
    std::string decoded;
    std::vector<std::string_view> segments;

    explicit PathSegments(std::string_view path) : segments(split_segments(path)) {
        bool plain = path.find('%') == std::string_view::npos &&
                     std::ranges::none_of(segments, is_dot_segment);
        if (plain) return;
        decoded = percent_decode(path);
        std::vector<std::string_view> raw = split_segments(decoded);
        segments.clear();
        for (std::string_view segment : raw) {
            if (segment == ".") continue;
            if (segment == "..") {
                if (!segments.empty()) segments.pop_back();
                continue;
            }
            segments.push_back(segment);
        }
        // "/a/.." and "/a/." name a directory: keep the trailing slash they imply.
        std::string_view last = raw.back();  // split_segments gives at least one
        if (segments.empty() || last == "." || last == "..") {
            if (segments.empty() || !segments.back().empty()) segments.emplace_back();
        }
    }
    PathSegments(const PathSegments&) = delete;  // `segments` may point into `decoded`
    PathSegments& operator=(const PathSegments&) = delete;
};

}  // namespace

struct Router::CompiledPattern {
    enum class Kind { literal, parameter, rest };
    struct Segment {
        Kind kind;
        std::string text;  // the literal, or the parameter's name
    };
    std::vector<Segment> segments;

    static CompiledPattern compile(std::string_view pattern) {
        if (pattern.empty() || pattern.front() != '/') {
            throw std::invalid_argument("route pattern must start with '/': " +
                                        std::string(pattern));
        }
        CompiledPattern compiled;
        std::vector<std::string_view> names;
        std::vector<std::string_view> parts = split_segments(pattern);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            std::string_view part = parts[i];
            bool last = i + 1 == parts.size();
            auto bad = [&](const char* why) {
                return std::invalid_argument("route pattern " + std::string(pattern) + ": " + why);
            };
            if (part == "*" || (part.starts_with('{') && part.ends_with("...}"))) {
                if (!last) throw bad("a wildcard must be the last segment");
                std::string_view name = part == "*" ? "*" : part.substr(1, part.size() - 5);
                if (name.empty() ||
                    (part != "*" && name.find_first_of("{}") != std::string_view::npos)) {
                    throw bad("bad name");
                }
                compiled.segments.push_back({Kind::rest, std::string(name)});
                names.push_back(name);
            } else if (part.starts_with('{') && part.ends_with('}') && part.size() > 2) {
                std::string_view name = part.substr(1, part.size() - 2);
                if (name.find_first_of("{}/") != std::string_view::npos) throw bad("bad name");
                compiled.segments.push_back({Kind::parameter, std::string(name)});
                names.push_back(name);
            } else if (part.find_first_of("{}") != std::string_view::npos) {
                throw bad("'{' and '}' only around a whole segment");
            } else {
                compiled.segments.push_back({Kind::literal, std::string(part)});
            }
        }
        std::ranges::sort(names);
        if (std::ranges::adjacent_find(names) != names.end()) {
            throw std::invalid_argument("route pattern " + std::string(pattern) +
                                        ": a parameter name is used twice");
        }
        return compiled;
    }

    // Whether `path` matches; fills `params` when it does.
    bool matches(const std::vector<std::string_view>& path,
                 std::vector<std::pair<std::string, std::string>>* params) const {
        std::size_t i = 0;
        for (const Segment& segment : segments) {
            if (segment.kind == Kind::rest) {
                if (params != nullptr) {
                    std::string rest;
                    for (std::size_t j = i; j < path.size(); ++j) {
                        if (j > i) rest += '/';
                        rest += path[j];
                    }
                    params->emplace_back(segment.text, std::move(rest));
                }
                return true;
            }
            if (i >= path.size()) return false;
            if (segment.kind == Kind::literal) {
                if (path[i] != segment.text) return false;
            } else {
                if (path[i].empty()) return false;  // "/hello/" has no {name}
                if (params != nullptr) params->emplace_back(segment.text, std::string(path[i]));
            }
            ++i;
        }
        return i == path.size();
    }
};

std::shared_ptr<Handler> make_handler(Dispatch dispatch, HandlerFunction function) {
    return std::make_shared<FunctionHandler>(dispatch, nullptr, std::move(function));
}

std::shared_ptr<Handler> make_handler(DispatchRule rule, HandlerFunction function) {
    return std::make_shared<FunctionHandler>(Dispatch::blocking, std::move(rule),
                                             std::move(function));
}

void Router::add(Route route) {
    std::shared_ptr<const CompiledPattern> compiled;
    if (route.match == Route::Match::pattern) {
        compiled = std::make_shared<CompiledPattern>(CompiledPattern::compile(route.path));
    }
    routes_.push_back(std::move(route));
    compiled_.push_back(std::move(compiled));
}

void Router::add(std::string path, Route::Match match, std::shared_ptr<Handler> handler) {
    add(Route{"", std::move(path), match, std::move(handler)});
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
    RouteMatch found;
    std::optional<PathSegments> segments;   // split at the first pattern route
    std::vector<std::string_view> allowed;  // methods of the routes the path matches, once each
    auto allow = [&allowed](std::string_view name) {
        if (std::ranges::find(allowed, name) == allowed.end()) allowed.push_back(name);
    };
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        const Route& route = routes_[i];
        bool path_matches = false;
        switch (route.match) {
            case Route::Match::exact:
                path_matches = path == route.path;
                break;
            case Route::Match::prefix:
                path_matches = path.starts_with(route.path);
                break;
            case Route::Match::pattern:
                if (!segments) segments.emplace(path);
                path_matches = compiled_[i]->matches(segments->segments, nullptr);
                break;
        }
        if (!path_matches) continue;
        bool method_matches = route.method.empty() || method.empty() || route.method == method ||
                              (method == "HEAD" && route.method == "GET");
        if (!method_matches) {
            allow(route.method);
            if (route.method == "GET") allow("HEAD");
            continue;
        }
        found.handler = route.handler.get();
        found.route = &route;
        if (route.match == Route::Match::pattern) {
            compiled_[i]->matches(segments->segments, &found.params);
        }
        return found;
    }
    for (std::string_view name : allowed) {
        if (!found.allow.empty()) found.allow += ", ";
        found.allow += name;
    }
    return found;
}

}  // namespace forkd
