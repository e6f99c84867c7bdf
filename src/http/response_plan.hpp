// How one response goes on the wire, decided in one place for every writer: the blocking
// sessions' send_response (session/response_sender.hpp) and the io worker's non-blocking,
// batched answer (front/io_worker_response.cpp). From the response, the request's version,
// whether it is a HEAD, and whether the connection may stay open, a plan says how the body
// is framed, whether the connection really stays open, and what follows the head: bytes in
// memory, a range of an open file, or a stream to frame as it comes. Its head is written
// from the plan, and so are the chunks of a chunked body. Pure: the writers do the I/O.
#pragma once

#include <array>
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "forkd/request.hpp"
#include "forkd/response.hpp"
#include "http/response_head.hpp"

namespace forkd::http {

// Whether the connection may serve another request after this one, as far as the request
// and the server decide (the response may still close it: plan_response). `served` counts
// the requests read on it, this one included.
bool may_keep_alive(const Request& request, int served, int keepalive_requests, bool stopping);

enum class BodySource {
    none,    // a HEAD request, or 1xx/204/304: the head alone
    bytes,   // in memory (`ResponsePlan::bytes`): sent right behind the head
    file,    // a range of an open file (`ResponsePlan::file`), not in memory
    stream,  // pieces the handler writes; chunk-framed when the framing is chunked
};

struct ResponsePlan {
    int version = 11;  // 10 or 11: what the status line says
    Framing framing = Framing::content_length;
    bool keep_alive = false;  // what the head says, and what the writer must do after it
    BodySource source = BodySource::none;
    // BodySource::bytes: the body, held by the response (its string, or the bytes of its file
    // that a handler's cache keeps in memory: FileBody::content).
    std::string_view bytes;
    const FileBody* file = nullptr;  // BodySource::file: the response's file body
};

// `keep_alive`: may_keep_alive() for this request. A response that asks for the close, or a
// stream to an HTTP/1.0 client (its end is the close), ends the connection.
ResponsePlan plan_response(const Response& response, int version, bool head_request,
                           bool keep_alive);

// Appends the response's status line and header section, as planned.
void append_head(std::string& out, const Response& response, const ResponsePlan& plan,
                 bool server_tokens, std::time_t now);

// Chunked coding (RFC 9112 §7.1). The line before a chunk of `size` bytes: "1a2b\r\n".
class ChunkSizeLine {
  public:
    explicit ChunkSizeLine(std::size_t size);
    std::string_view text() const { return {digits_.data(), length_}; }

  private:
    std::array<char, 2 * sizeof(std::size_t) + 2> digits_;
    std::size_t length_ = 0;
};
inline constexpr std::string_view kChunkEnd = "\r\n";        // after a chunk's bytes
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";  // ends the body

// Appends `piece` as one chunk; an empty piece appends nothing (it would end the body).
void append_chunk(std::string& out, std::string_view piece);

}  // namespace forkd::http
