#include "session/response_sender.hpp"

#include <ctime>
#include <string_view>

#include "http/response_plan.hpp"
#include "os/io.hpp"
#include "os/request_guard.hpp"
#include "session/connection.hpp"
#include "session/kept_storage.hpp"

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
            http::ChunkSizeLine size_line(piece.size());
            std::string_view pieces[] = {size_line.text(), piece, http::kChunkEnd};
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
        return os::write_all(fd_, http::kLastChunk, os::Clock::now() + send_timeout_) ==
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

bool append_small_file(const FileBody& file, std::string& out) {
    if (file.length > kFileReadUpTo) return false;
    return os::append_file_range(file.fd, file.offset, static_cast<std::size_t>(file.length), out);
}

SendResult send_response(int fd, const Request& request, Response& response, bool keep_alive,
                         const Options& options, bool shut_down_after) {
    http::ResponsePlan plan =
        http::plan_response(response, request.version, request.is_head(), keep_alive);
    std::string& head = kept_response_head();  // a process answers one request at a time
    head.clear();
    http::append_head(head, response, plan, options.server_tokens, std::time(nullptr));
    auto deadline = [&] { return os::Clock::now() + options.send_timeout; };
    auto sent = [](os::WriteResult result) { return result == os::WriteResult::done; };

    SendResult result{false, plan.keep_alive, 0};
    const bool fin_follows = shut_down_after && !plan.keep_alive;  // for a whole last write
    os::note_response_started();  // from here on, a 504 or 502 could only corrupt the reply
    switch (plan.source) {
        case http::BodySource::none:
            result.complete = sent(os::write_all(fd, head, deadline(), fin_follows));
            break;
        case http::BodySource::bytes: {
            std::string_view pieces[] = {head, plan.bytes};
            result.complete = sent(os::write_all(fd, pieces, deadline(), fin_follows));
            if (result.complete) result.body_bytes = plan.bytes.size();
            break;
        }
        case http::BodySource::file: {
            const FileBody& file = *plan.file;
            if (append_small_file(file, head)) {
                result.complete = sent(os::write_all(fd, head, deadline(), fin_follows));
            } else {
                result.complete =
                    sent(os::write_all(fd, head, deadline())) &&
                    sent(os::send_file(fd, file.fd, file.offset, file.length, deadline()));
            }
            if (result.complete) result.body_bytes = static_cast<std::size_t>(file.length);
            break;
        }
        case http::BodySource::stream: {
            if (!sent(os::write_all(fd, head, deadline()))) break;
            SocketBodyWriter writer(fd, plan.framing == http::Framing::chunked,
                                    options.send_timeout);
            auto& stream = std::get<StreamBody>(response.body);
            if (stream.produce) stream.produce(writer);
            result.complete = writer.finish();
            result.body_bytes = writer.bytes();
            break;
        }
    }
    return result;
}

}  // namespace forkd::session
