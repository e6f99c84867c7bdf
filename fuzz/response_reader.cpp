#include "response_reader.hpp"

#include <charconv>

#include "fuzz_check.hpp"
#include "http/head_scanner.hpp"

namespace forkd::fuzz {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::size_t parse_number(std::string_view text, int base) {
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    FUZZ_CHECK(error == std::errc() && end == text.data() + text.size() && !text.empty(),
               "a length or chunk size is a plain number");
    return value;
}

}  // namespace

std::string_view ResponseReader::line() {
    const auto end = bytes_.find("\r\n", position_);
    FUZZ_CHECK(end != std::string_view::npos, "every response line ends in CRLF");
    const std::string_view text = bytes_.substr(position_, end - position_);
    FUZZ_CHECK(text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos,
               "no CR, LF or NUL inside a response line");
    position_ = end + 2;
    return text;
}

std::string_view ResponseReader::take(std::size_t count) {
    FUZZ_CHECK(bytes_.size() - position_ >= count, "the body is as long as announced");
    const std::string_view taken = bytes_.substr(position_, count);
    position_ += count;
    return taken;
}

std::string ResponseReader::read_chunked() {
    std::string body;
    for (;;) {
        const std::size_t size = parse_number(line(), 16);
        if (size == 0) break;
        body += take(size);
        FUZZ_CHECK(take(2) == "\r\n", "chunk data ends in CRLF");
    }
    FUZZ_CHECK(line().empty(), "the chunked body ends with an empty line");
    return body;
}

ReadResponse ResponseReader::next(bool head_only) {
    ReadResponse response;
    FUZZ_CHECK(!at_end(), "a response is there");
    const std::string_view status_line = line();
    FUZZ_CHECK(status_line.size() >= 13 &&
                   (status_line.starts_with("HTTP/1.1 ") || status_line.starts_with("HTTP/1.0 ")),
               "the status line starts with HTTP/1.x");
    FUZZ_CHECK(is_digit(status_line[9]) && is_digit(status_line[10]) && is_digit(status_line[11]) &&
                   status_line[12] == ' ',
               "the status code has three digits");
    response.version = status_line[7] == '1' ? 11 : 10;
    response.status = static_cast<int>(parse_number(status_line.substr(9, 3), 10));
    for (std::string_view field = line(); !field.empty(); field = line()) {
        const auto colon = field.find(": ");
        FUZZ_CHECK(colon != std::string_view::npos && colon > 0, "a field is `name: value`");
        const std::string_view name = field.substr(0, colon);
        for (const char c : name)
            FUZZ_CHECK(http::is_tchar(c), "a field name is a token");
        response.fields.add(std::string(name), std::string(field.substr(colon + 2)));
    }
    if (response.status >= 200) FUZZ_CHECK(response.fields.count("Date") == 1, "one Date field");
    FUZZ_CHECK(response.fields.count("Content-Length") <= 1, "at most one Content-Length");
    const auto connection = response.fields.get("Connection");
    response.closes = connection && *connection == "close";

    const auto length = response.fields.get("Content-Length");
    const auto coding = response.fields.get("Transfer-Encoding");
    FUZZ_CHECK(!(length && coding), "never both Content-Length and Transfer-Encoding");
    const bool bodiless = (response.status >= 100 && response.status < 200) ||
                          response.status == 204 || response.status == 304;
    if (bodiless) FUZZ_CHECK(!length && !coding, "1xx, 204 and 304 carry no framing");
    if (bodiless || head_only) return response;
    if (coding) {
        FUZZ_CHECK(*coding == "chunked" && response.version == 11, "chunked only, to 1.1");
        response.body = read_chunked();
    } else if (length) {
        response.body = take(parse_number(*length, 10));
    } else {
        FUZZ_CHECK(response.closes, "a body without a length ends with the connection");
        response.body = take(bytes_.size() - position_);
    }
    return response;
}

}  // namespace forkd::fuzz
