#include "session/response_sender.hpp"

#include <fmt/format.h>

#include <ctime>
#include <string_view>

#include "http/response_head.hpp"
#include "os/io.hpp"
#include "os/request_guard.hpp"
#include "session/connection.hpp"

namespace forkd::session {
namespace {

// Sends stream pieces as they come, in chunked coding when the framing asks for it.
class SocketBodyWriter final : public BodyWriter {
  public:
    SocketBodyWriter(int fd, bool chunked, config::Duration send_timeout)
        : fd_(fd), chunked_(chunked), send_timeout_(send_timeout) {}

    bool write(std::string_view piece) override {
        if (failed_) return false;
        if (piece.empty()) return true;  // an empty chunk would end the body
        os::Deadline deadline = os::Clock::now() + send_timeout_;
        os::WriteResult result;
        if (chunked_) {
            std::string size_line = fmt::format("{:x}\r\n", piece.size());
            std::string_view pieces[] = {size_line, piece, "\r\n"};
            result = os::write_all(fd_, pieces, deadline);
        } else {
            result = os::write_all(fd_, piece, deadline);
        }
        failed_ = result != os::WriteResult::done;
        if (!failed_) bytes_ += piece.size();
        return !failed_;
    }

    void fail() override { failed_ = true; }

    bool finish() {
        if (failed_ || !chunked_) return !failed_;
        return os::write_all(fd_, "0\r\n\r\n", os::Clock::now() + send_timeout_) ==
               os::WriteResult::done;
    }

    std::size_t bytes() const { return bytes_; }

  private:
    int fd_;
    bool chunked_;
    config::Duration send_timeout_;
    bool failed_ = false;
    std::size_t bytes_ = 0;
};

}  // namespace

void read_small_file_body(Response& response) {
    auto* file = std::get_if<FileBody>(&response.body);
    if (file == nullptr || file->length > kFileReadUpTo) return;
    std::string bytes;
    if (!os::append_file_range(file->fd, file->offset, static_cast<std::size_t>(file->length),
                               bytes)) {
        return;
    }
    response.body = std::move(bytes);
}

SendResult send_response(int fd, const Request& request, Response& response, bool keep_alive,
                         const Options& options) {
    http::Framing framing = http::framing_for(response, request.version);
    if (framing == http::Framing::close_delimited) keep_alive = false;
    http::HeadOptions head_options{request.version, keep_alive, options.server_tokens,
                                   std::time(nullptr)};
    std::string head = http::serialize_head(response, head_options);
    auto deadline = [&] { return os::Clock::now() + options.send_timeout; };

    SendResult result{false, keep_alive, 0};
    os::note_response_started();  // from here on, a 504 or 502 could only corrupt the reply
    bool head_only = request.is_head() || framing == http::Framing::none;
    if (head_only) {
        result.complete = os::write_all(fd, head, deadline()) == os::WriteResult::done;
        return result;
    }
    read_small_file_body(response);
    if (auto* bytes = std::get_if<std::string>(&response.body)) {
        std::string_view pieces[] = {head, *bytes};
        result.complete = os::write_all(fd, pieces, deadline()) == os::WriteResult::done;
        if (result.complete) result.body_bytes = bytes->size();
    } else if (auto* file = std::get_if<FileBody>(&response.body)) {
        result.complete = os::write_all(fd, head, deadline()) == os::WriteResult::done &&
                          os::send_file(fd, file->fd, file->offset, file->length, deadline()) ==
                              os::WriteResult::done;
        if (result.complete) result.body_bytes = static_cast<std::size_t>(file->length);
    } else if (auto* stream = std::get_if<StreamBody>(&response.body)) {
        if (os::write_all(fd, head, deadline()) != os::WriteResult::done) return result;
        SocketBodyWriter writer(fd, framing == http::Framing::chunked, options.send_timeout);
        if (stream->produce) stream->produce(writer);
        result.complete = writer.finish();
        result.body_bytes = writer.bytes();
    }
    return result;
}

}  // namespace forkd::session
