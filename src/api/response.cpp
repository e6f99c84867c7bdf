// forkd::Response helpers: the file body's ownership of its fd, the response makers (text,
// HTML, JSON, redirects, files, streams, error pages) and the reason phrases of RFC 9110 §15.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "api/error_pages.hpp"
#include "api/html_text.hpp"
#include "api/mime_types.hpp"
#include "base/fd.hpp"
#include "forkd/response.hpp"
#include "os/io.hpp"

namespace forkd {
namespace {

const api::MimeTypes& system_mime_types() {
    static const api::MimeTypes types = api::MimeTypes::with_system_table();
    return types;
}

}  // namespace

FileBody::FileBody(FileBody&& other) noexcept
    : fd(std::exchange(other.fd, -1)),
      offset(other.offset),
      length(other.length),
      owner(std::move(other.owner)),
      content(std::move(other.content)) {}

FileBody& FileBody::operator=(FileBody&& other) noexcept {
    if (this != &other) {
        // Close the fd this body held (base/fd.hpp owns the close call), unless it is shared.
        if (!owner) Fd{fd}.reset();
        fd = std::exchange(other.fd, -1);
        offset = other.offset;
        length = other.length;
        owner = std::move(other.owner);
        content = std::move(other.content);
    }
    return *this;
}

FileBody::~FileBody() {
    if (!owner) Fd{fd}.reset();
}

Response Response::text(int status, std::string body, std::string content_type) {
    Response response;
    response.status = status;
    response.headers.set("Content-Type", std::move(content_type));
    response.body = std::move(body);
    return response;
}

Response& Response::header(std::string name, std::string value) & {
    headers.set(std::move(name), std::move(value));
    return *this;
}

Response Response::header(std::string name, std::string value) && {
    headers.set(std::move(name), std::move(value));
    return std::move(*this);
}

Response Response::text(std::string body) {
    return text(200, std::move(body));
}

Response Response::html(std::string body, int status) {
    return text(status, std::move(body), "text/html; charset=utf-8");
}

Response Response::json(std::string body, int status) {
    return text(status, std::move(body), "application/json");
}

Response Response::redirect(std::string location, int status) {
    Response response = text(status, "", "text/plain; charset=utf-8");
    response.headers.set("Location", std::move(location));
    return response;
}

Response Response::local_redirect(std::string target) {
    Response response;
    response.headers.set("Location", std::move(target));
    response.redirect_internally = true;
    return response;
}

Response Response::file(const std::string& path) {
    std::uint64_t size = 0;
    Fd fd = os::open_regular_file(path, size);
    if (!fd) return error(404, "No such file.");
    Response response;
    response.headers.set("Content-Type",
                         system_mime_types().content_type(path, "application/octet-stream"));
    response.body = FileBody(fd.release(), 0, static_cast<off_t>(size));
    return response;
}

Response Response::stream(std::string content_type, std::function<void(BodyWriter&)> produce) {
    Response response;
    response.headers.set("Content-Type", std::move(content_type));
    response.body = StreamBody{std::move(produce)};
    return response;
}

Response Response::error(int status, std::string_view detail) {
    if (const api::ErrorPage* page = api::error_page_for(status)) {
        return text(status, page->body, page->content_type);
    }
    const std::string title = std::to_string(status) + " " + std::string(reason_phrase(status));
    std::string page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" +
                       api::escape_html(title) + "</title></head>\n<body><h1>" +
                       api::escape_html(title) + "</h1><p>" + api::escape_html(detail) +
                       "</p><hr><p>forkd</p></body></html>\n";
    return text(status, std::move(page), "text/html; charset=utf-8");
}

std::string collect_body(Response& response) {
    if (auto* bytes = std::get_if<std::string>(&response.body)) return *bytes;
    if (auto* stream = std::get_if<StreamBody>(&response.body)) {
        struct Collector final : BodyWriter {
            std::string data;
            bool write(std::string_view piece) override {
                data += piece;
                return true;
            }
        } collector;
        if (stream->produce) stream->produce(collector);
        return std::move(collector.data);
    }
    auto& file = std::get<FileBody>(response.body);
    if (file.content != nullptr)
        return file.content->substr(static_cast<std::size_t>(file.offset),
                                    static_cast<std::size_t>(file.length));
    std::string data;
    if (!os::append_file_range(file.fd, file.offset, static_cast<std::size_t>(file.length), data)) {
        throw std::system_error(EIO, std::generic_category(), "file body is short or unreadable");
    }
    return data;
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 101:
            return "Switching Protocols";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 203:
            return "Non-Authoritative Information";
        case 204:
            return "No Content";
        case 205:
            return "Reset Content";
        case 206:
            return "Partial Content";
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Range Not Satisfiable";
        case 417:
            return "Expectation Failed";
        case 421:
            return "Misdirected Request";
        case 422:
            return "Unprocessable Content";
        case 426:
            return "Upgrade Required";
        case 428:
            return "Precondition Required";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "";
    }
}

}  // namespace forkd
