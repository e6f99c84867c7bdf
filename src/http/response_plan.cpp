#include "http/response_plan.hpp"

#include <charconv>
#include <variant>

#include "http/request_parser.hpp"

namespace forkd::http {

bool may_keep_alive(const Request& request, int served, int keepalive_requests, bool stopping) {
    return !stopping && served < keepalive_requests && wants_keep_alive(request);
}

ResponsePlan plan_response(const Response& response, int version, bool head_request,
                           bool keep_alive) {
    ResponsePlan plan;
    plan.version = version >= 11 ? 11 : 10;
    plan.framing = framing_for(response, plan.version);
    plan.keep_alive = keep_alive && !response.close && plan.framing != Framing::close_delimited;
    if (head_request || plan.framing == Framing::none) return plan;  // BodySource::none
    if (const auto* bytes = std::get_if<std::string>(&response.body)) {
        plan.source = BodySource::bytes;
        plan.bytes = *bytes;
    } else if (const auto* file = std::get_if<FileBody>(&response.body)) {
        if (file->content != nullptr) {
            plan.source = BodySource::bytes;
            plan.bytes = std::string_view(*file->content)
                             .substr(static_cast<std::size_t>(file->offset),
                                     static_cast<std::size_t>(file->length));
        } else {
            plan.source = BodySource::file;
            plan.file = file;
        }
    } else {
        plan.source = BodySource::stream;
    }
    return plan;
}

void append_head(std::string& out, const Response& response, const ResponsePlan& plan,
                 bool server_tokens, std::time_t now) {
    append_head(out, response, {plan.version, plan.keep_alive, server_tokens, now}, plan.framing);
}

ChunkSizeLine::ChunkSizeLine(std::size_t size) {
    auto [end, error] =
        std::to_chars(digits_.data(), digits_.data() + digits_.size() - 2, size, 16);
    *end++ = '\r';
    *end++ = '\n';
    length_ = static_cast<std::size_t>(end - digits_.data());
}

void append_chunk(std::string& out, std::string_view piece) {
    if (piece.empty()) return;
    out.append(ChunkSizeLine(piece.size()).text()).append(piece).append(kChunkEnd);
}

}  // namespace forkd::http
