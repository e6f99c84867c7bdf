#include "http/forwarded.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "http/field_text.hpp"
#include "http/head_scanner.hpp"

namespace forkd::http {
namespace {

std::string lower(std::string text) {
    std::ranges::transform(text, text.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Reads RFC 7239's forwarded-element list from one field value, appending to `hops`.
class ForwardedReader {
  public:
    explicit ForwardedReader(std::string_view text) : text_(text) {}

    bool read(std::vector<ForwardedHop>& hops) {
        for (;;) {
            skip_ows();
            if (at_end()) return true;
            if (peek() == ',') {  // empty list elements are allowed (RFC 9110 §5.6.1)
                ++at_;
                continue;
            }
            ForwardedHop hop;
            if (!read_element(hop)) return false;
            hops.push_back(std::move(hop));
            skip_ows();
            if (at_end()) return true;
            if (peek() != ',') return false;
            ++at_;
        }
    }

  private:
    // forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
    bool read_element(ForwardedHop& hop) {
        std::vector<std::string> names;
        for (;;) {
            skip_ows();
            if (!at_end() && peek() != ';' && peek() != ',') {
                std::string name;
                std::string value;
                if (!read_pair(name, value)) return false;
                if (std::ranges::find(names, name) != names.end()) return false;
                names.push_back(name);
                if (name == "for") {
                    hop.node = std::move(value);
                } else if (name == "proto") {
                    hop.proto = lower(std::move(value));
                }
                skip_ows();
            }
            if (at_end() || peek() == ',') return true;
            if (peek() != ';') return false;
            ++at_;
        }
    }

    // forwarded-pair = token "=" value; value = token / quoted-string. Names are
    // case-insensitive; returned lower-cased.
    bool read_pair(std::string& name, std::string& value) {
        std::size_t start = at_;
        while (!at_end() && is_tchar(peek()))
            ++at_;
        if (at_ == start || at_end() || peek() != '=') return false;
        name = lower(std::string(text_.substr(start, at_ - start)));
        ++at_;
        if (!at_end() && peek() == '"') return read_quoted(value);
        start = at_;
        while (!at_end() && is_tchar(peek()))
            ++at_;
        if (at_ == start) return false;
        value = std::string(text_.substr(start, at_ - start));
        return true;
    }

    // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4)
    bool read_quoted(std::string& value) {
        ++at_;
        for (;;) {
            if (at_end()) return false;
            auto c = static_cast<unsigned char>(peek());
            ++at_;
            if (c == '"') return true;
            if (c == '\\') {
                if (at_end()) return false;
                c = static_cast<unsigned char>(peek());
                ++at_;
                if (c != '\t' && (c < 0x20 || c == 0x7F)) return false;
            } else if (c != '\t' && (c < 0x20 || c == 0x7F)) {
                return false;
            }
            value += static_cast<char>(c);
        }
    }

    void skip_ows() {
        while (!at_end() && (peek() == ' ' || peek() == '\t'))
            ++at_;
    }
    bool at_end() const { return at_ >= text_.size(); }
    char peek() const { return text_[at_]; }

    std::string_view text_;
    std::size_t at_ = 0;
};

bool numeric(int family, std::string_view host) {
    std::array<unsigned char, 16> bytes{};
    std::string text(host);
    if (text.find('\0') != std::string::npos) return false;
    return ::inet_pton(family, text.c_str(), bytes.data()) == 1;
}

bool valid_port(std::string_view text) {
    unsigned value = 0;
    if (text.empty() || text.size() > 5) return false;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() && value <= 65535;
}

}  // namespace

std::optional<std::vector<ForwardedHop>> forwarded_hops(const Headers& headers) {
    std::vector<ForwardedHop> hops;
    for (const auto& [name, value] : headers) {
        if (!iequals(name, "Forwarded")) continue;
        if (!ForwardedReader(value).read(hops)) return std::nullopt;
    }
    return hops;
}

std::vector<ForwardedHop> x_forwarded_for_hops(const Headers& headers) {
    std::vector<ForwardedHop> hops;
    for (const auto& [name, value] : headers) {
        if (!iequals(name, "X-Forwarded-For")) continue;
        std::string_view rest = value;
        for (;;) {
            std::size_t comma = rest.find(',');
            hops.push_back({std::string(trim_ows(rest.substr(0, comma))), ""});
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return hops;
}

std::string x_forwarded_proto(const Headers& headers) {
    std::string proto;
    for (const auto& [name, value] : headers) {
        if (!iequals(name, "X-Forwarded-Proto")) continue;
        std::string_view last = value;
        if (std::size_t comma = last.rfind(','); comma != std::string_view::npos) {
            last.remove_prefix(comma + 1);
        }
        proto = std::string(trim_ows(last));
    }
    return lower(std::move(proto));
}

std::optional<std::string> hop_address(std::string_view node) {
    if (node.starts_with('[')) {
        std::size_t close = node.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view host = node.substr(1, close - 1);
        std::string_view rest = node.substr(close + 1);
        if (!numeric(AF_INET6, host)) return std::nullopt;
        if (!rest.empty() && !(rest.starts_with(':') && valid_port(rest.substr(1)))) {
            return std::nullopt;
        }
        return std::string(node);
    }
    if (numeric(AF_INET6, node)) return "[" + std::string(node) + "]";
    std::size_t colon = node.find(':');
    if (!numeric(AF_INET, node.substr(0, colon))) return std::nullopt;
    if (colon != std::string_view::npos && !valid_port(node.substr(colon + 1))) {
        return std::nullopt;
    }
    return std::string(node);
}

}  // namespace forkd::http
