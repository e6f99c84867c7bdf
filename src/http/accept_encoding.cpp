#include "http/accept_encoding.hpp"

#include <optional>

#include "forkd/request.hpp"
#include "http/field_text.hpp"

namespace forkd::http {
namespace {

// Whether the parameters of one list member ("q=0", "q=0.000") say "not acceptable".
bool has_zero_quality(std::string_view parameters) {
    while (!parameters.empty()) {
        const auto semicolon = parameters.find(';');
        const std::string_view parameter = trim_ows(parameters.substr(0, semicolon));
        if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') &&
            parameter[1] == '=') {
            const std::string_view value = parameter.substr(2);
            return !value.empty() && value.find_first_not_of("0.") == std::string_view::npos;
        }
        if (semicolon == std::string_view::npos) break;
        parameters.remove_prefix(semicolon + 1);
    }
    return false;
}

}  // namespace

bool accepts_coding(std::string_view accept_encoding, std::string_view coding) {
    std::optional<bool> named;     // what the member naming `coding` says
    std::optional<bool> wildcard;  // what "*" says
    while (!accept_encoding.empty()) {
        const auto comma = accept_encoding.find(',');
        const std::string_view member = accept_encoding.substr(0, comma);
        const auto semicolon = member.find(';');
        const std::string_view name = trim_ows(member.substr(0, semicolon));
        const bool acceptable =
            semicolon == std::string_view::npos || !has_zero_quality(member.substr(semicolon + 1));
        if (iequals(name, coding) || (iequals(coding, "gzip") && iequals(name, "x-gzip"))) {
            named = acceptable;
        } else if (name == "*") {
            wildcard = acceptable;
        }
        if (comma == std::string_view::npos) break;
        accept_encoding.remove_prefix(comma + 1);
    }
    return named.value_or(wildcard.value_or(false));
}

}  // namespace forkd::http
