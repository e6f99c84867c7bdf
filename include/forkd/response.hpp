// forkd's embedding API: the response a handler produces.
//
// A body is one of three kinds: bytes held in memory, a range of an open file (sent with
// sendfile, never read into memory), or a stream that the handler writes in pieces (sent
// with chunked coding to HTTP/1.1 clients, or delimited by close for HTTP/1.0). The server
// adds Date, Server, Content-Length / Transfer-Encoding and Connection itself.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "forkd/request.hpp"

namespace forkd {

// An open file descriptor and the range of it to send. The body owns `fd` and closes it
// when destroyed, unless `owner` is set: then the descriptor belongs to `owner` (a handler's
// cache of open files, say), which the body keeps alive until it is destroyed, so a file the
// cache drops meanwhile stays open until its response is sent. Whoever sends the body reads
// `fd` positionally (sendfile with an offset, pread), so several bodies may share one.
struct FileBody {
    int fd = -1;
    off_t offset = 0;
    off_t length = 0;
    std::shared_ptr<const void> owner;
    // The whole file in memory, when the handler holds it (a cache of small files): the
    // server sends [offset, offset + length) of it and reads nothing from `fd`. Null: read `fd`.
    std::shared_ptr<const std::string> content;

    FileBody() = default;
    FileBody(int fd_, off_t offset_, off_t length_) : fd(fd_), offset(offset_), length(length_) {}
    FileBody(std::shared_ptr<const void> owner_, int fd_, off_t offset_, off_t length_)
        : fd(fd_), offset(offset_), length(length_), owner(std::move(owner_)) {}
    FileBody(FileBody&& other) noexcept;
    FileBody& operator=(FileBody&& other) noexcept;
    FileBody(const FileBody&) = delete;
    FileBody& operator=(const FileBody&) = delete;
    ~FileBody();
};

// Handed to a stream body: write() sends one piece at once (no buffering beyond the
// socket's); it returns false once the client is gone, and the stream should then stop.
class BodyWriter {
  public:
    virtual ~BodyWriter() = default;
    virtual bool write(std::string_view piece) = 0;
    // Ends the response as broken (the program feeding it timed out, say): the server closes
    // the connection without the body's end, so the client cannot take a truncated body
    // for a whole one. Nothing more is written after it.
    virtual void fail() {}
};

struct StreamBody {
    std::function<void(BodyWriter&)> produce;
};

using Body = std::variant<std::string, FileBody, StreamBody>;

struct Response {
    int status = 200;
    Headers headers;
    Body body;
    // Ask the server to close the connection after this response.
    bool close = false;
    // Set by local_redirect(): the server answers with a GET of the Location header instead.
    bool redirect_internally = false;
    // Header fields serialised ahead ("Name: value\r\n" each), written after `headers` as
    // they are. The static-file handler keeps a file's fields so in its open-file cache, and a
    // hot file's head then costs one copy. Nothing checks them here: leave it null unless they
    // were checked where they were made, and never put a field in both places.
    std::shared_ptr<const std::string> ready_fields;

    // Sets header `name` (replacing any of that name); returns *this for chaining. On a
    // temporary it returns the response itself, so a handler may
    // `return Response::text("hi").header("Cache-Control", "no-store");`.
    Response& header(std::string name, std::string value) &;
    Response header(std::string name, std::string value) &&;

    static Response text(std::string body);
    static Response text(int status, std::string body,
                         std::string content_type = "text/plain; charset=utf-8");
    static Response html(std::string body, int status = 200);
    // `body` is JSON the caller made (forkd does not serialise it).
    static Response json(std::string body, int status = 200);
    // 302 by default; 301, 303, 307 and 308 are the other redirects.
    static Response redirect(std::string location, int status = 302);
    // A local redirect (RFC 3875 §6.2.2): the server answers the request as if the client
    // had sent a GET of `target` ("/path?query", on this server), with the same headers and
    // no body, through the routes again (ten times at most; then 500).
    static Response local_redirect(std::string target);
    // The file at `path`, sent with sendfile, its Content-Type from its extension; 404 when
    // it cannot be opened. Unlike static files under `root`, any path the process can read
    // is served: never build `path` from what a client sent.
    static Response file(const std::string& path);
    // A body written piece by piece while the client receives it (server-sent events, a long
    // report). Only in a blocking handler: an inline one would hold its whole io worker.
    static Response stream(std::string content_type, std::function<void(BodyWriter&)> produce);
    // forkd's page for an error status: the app's error_page for it when it set one, else a
    // small HTML page with the status and `detail` (escaped).
    static Response error(int status, std::string_view detail);
};

// The reason phrase for a status code ("Not Found"), or "" when unknown.
std::string_view reason_phrase(int status);

// The whole body as bytes: a file body is read, a stream body is run into a string. For
// tests (forkd/testing.hpp) and inline handlers that must answer with bytes.
std::string collect_body(Response& response);

}  // namespace forkd
