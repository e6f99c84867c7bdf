// forkd::Headers: header fields in arrival order, looked up case-insensitively.
#include <algorithm>

#include "forkd/request.hpp"

namespace forkd {

void Headers::add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
}

// The first field keeps its place (so a replaced field is not moved to the end); the others go.
void Headers::set(std::string name, std::string value) {
    auto first = std::find_if(fields_.begin(), fields_.end(),
                              [&](const auto& field) { return iequals(field.first, name); });
    if (first == fields_.end()) {
        add(std::move(name), std::move(value));
        return;
    }
    const auto index = first - fields_.begin();
    remove(name);
    fields_.emplace(fields_.begin() + index, std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
    std::erase_if(fields_, [&](const auto& field) { return iequals(field.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [field, value] : fields_)
        if (iequals(field, name)) return std::string_view(value);
    return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(),
                      [&](const auto& field) { return iequals(field.first, name); }));
}

}  // namespace forkd
