// A whole string read as a decimal number: nullopt unless every character is a digit of it
// (no sign, no space, nothing after) and it fits `Number`.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace forkd {

template <class Number>
std::optional<Number> whole_decimal(std::string_view text) {
    Number number{};
    const char* end = text.data() + text.size();
    auto [stop, error] = std::from_chars(text.data(), end, number);
    if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
    return number;
}

}  // namespace forkd
