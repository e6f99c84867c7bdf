// Serialises a response's status line and header section; pure, no I/O.
//
// The server's own fields (Date, Server, Content-Length or Transfer-Encoding, Connection) are
// added here, so handlers cannot get the framing wrong: a Content-Length or
// Transfer-Encoding a handler set is replaced.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

#include "forkd/response.hpp"

namespace forkd::http {

enum class Framing {
    content_length,   // bytes and file bodies, and stream bodies of known length
    chunked,          // stream bodies to HTTP/1.1 clients
    close_delimited,  // stream bodies to HTTP/1.0 clients: the end of the body is the close
    none,             // 1xx, 204, 304: no body and no length
};

struct HeadOptions {
    int version = 11;           // the request's version: a 1.0 client gets an HTTP/1.0 reply
    bool keep_alive = true;     // adds "Connection: close" when false
    bool server_tokens = true;  // "Server: forkd/<version>" or "Server: forkd"
    std::time_t now = 0;        // for the Date field
};

// How `response` will be framed for a client of `version`.
Framing framing_for(const Response& response, int version);

// The length of a bytes or file body; 0 for streams.
std::size_t body_length(const Response& response);

// "HTTP/1.1 200 OK\r\n...\r\n\r\n".
std::string serialize_head(const Response& response, const HeadOptions& options);

// The same head appended to `out`, with the framing already decided (http/response_plan.hpp):
// a writer that batches responses puts it straight into its output.
void append_head(std::string& out, const Response& response, const HeadOptions& options,
                 Framing framing);

// "Name: value\r\n" for each of `fields` that serialize_head would write, and as it would
// write them: what Response::ready_fields may hold.
std::string serialize_fields(const Headers& fields);

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::time_t when);

// A small HTML error page (or the app's own page for that status): Response::error.
inline Response error_response(int status, std::string_view detail) {
    return Response::error(status, detail);
}

}  // namespace forkd::http
