// forkd::Headers: header fields in arrival order, looked up case-insensitively.
#include <algorithm>

#include "forkd/request.hpp"

namespace forkd {

Headers::Headers(const Headers& other) : fields_(other.begin(), other.end()), size_(other.size_) {}

Headers& Headers::operator=(const Headers& other) {
    if (this != &other) {
        fields_.assign(other.begin(), other.end());
        size_ = other.size_;
    }
    return *this;
}

void Headers::add(std::string name, std::string value) {
    if (size_ < fields_.size()) {
        fields_[size_] = {std::move(name), std::move(value)};
    } else {
        fields_.emplace_back(std::move(name), std::move(value));
    }
    ++size_;
}

void Headers::add_copy(std::string_view name, std::string_view value) {
    if (size_ < fields_.size()) {
        auto& [room_name, room_value] = fields_[size_];
        room_name.assign(name);
        room_value.assign(value);
    } else {
        fields_.emplace_back(name, value);
    }
    ++size_;
}

// The first field keeps its place (so a replaced field is not moved to the end); the others go.
void Headers::set(std::string name, std::string value) {
    auto first = std::find_if(fields_.begin(), used_end(),
                              [&](const auto& field) { return iequals(field.first, name); });
    if (first == used_end()) {
        add(std::move(name), std::move(value));
        return;
    }
    const auto index = first - fields_.begin();
    remove(name);
    fields_.emplace(fields_.begin() + index, std::move(name), std::move(value));
    ++size_;
}

void Headers::remove(std::string_view name) {
    const auto kept = std::remove_if(fields_.begin(), used_end(),
                                     [&](const auto& field) { return iequals(field.first, name); });
    size_ = static_cast<std::size_t>(kept - fields_.begin());
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [field, value] : *this)
        if (iequals(field, name)) return std::string_view(value);
    return std::nullopt;
}

std::size_t Headers::count(std::string_view name) const {
    return static_cast<std::size_t>(std::count_if(
        begin(), end(), [&](const auto& field) { return iequals(field.first, name); }));
}

}  // namespace forkd
