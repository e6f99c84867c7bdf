#include "handlers/test_routes.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "http/response_head.hpp"

namespace forkd::handlers {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

Response crash(const Request&) {
    std::raise(SIGSEGV);
    // Only reached if something installed a SIGSEGV handler that returns: the route promises
    // that the serving process dies, so it still does.
    std::abort();
}

Response abort_process(const Request&) {
    std::abort();
}

Response leak(const Request& request) {
    std::optional<int> megabytes = query_integer(request.query, "mb");
    if (!megabytes || *megabytes < 0 || *megabytes > kMaxLeakMegabytes) {
        return http::error_response(
            400, "leak needs mb=N, N from 0 to " + std::to_string(kMaxLeakMegabytes) + ".");
    }
    // Kept reachable so the allocation cannot be optimised away; never freed, by design. The
    // list itself is never destroyed either, so that the blocks stay reachable at exit and
    // LeakSanitizer (make test-asan) does not report what this route promises to do.
    static auto* leaked = new std::vector<char*>;
    auto size = static_cast<std::size_t>(*megabytes) * kMiB;
    auto* block = static_cast<char*>(std::malloc(size));
    if (block == nullptr && size != 0) {
        return http::error_response(503, "malloc failed: the leak was not made.");
    }
    // Untouched pages are not resident: writing every byte makes them count in RSS and PSS.
    if (size != 0) std::memset(block, 0xA5, size);
    leaked->push_back(block);
    return Response::text(200, "leaked " + std::to_string(*megabytes) + " MiB\n");
}

Response hang(const Request& request) {
    std::optional<int> seconds = query_integer(request.query, "seconds");
    int duration = seconds.value_or(kMaxHangSeconds);
    if (duration < 0 || duration > kMaxHangSeconds) {
        return http::error_response(
            400, "hang takes seconds=N, N from 0 to " + std::to_string(kMaxHangSeconds) + ".");
    }
    // sleep_for resumes after a signal handler returns: only a signal that ends the process
    // (request_timeout's deadline, the master's KILL) cuts the hang short.
    std::this_thread::sleep_for(std::chrono::seconds(duration));
    return Response::text(200, "hung " + std::to_string(duration) + " s\n");
}

// Read piece by piece, wherever the body is kept: a 100 MiB upload is never held whole.
Response describe_body(const Request& request) {
    std::array<char, 64 * 1024> piece;
    uint32_t crc = 0;
    uint64_t offset = 0;
    while (std::size_t got = request.body.read_at(offset, piece)) {
        crc = crc32(std::string_view(piece.data(), got), crc);
        offset += got;
    }
    return Response::text(200, fmt::format("{} {:08x}\n", offset, crc));
}

}  // namespace

uint32_t crc32(std::string_view bytes, uint32_t crc) {
    static const std::array<uint32_t, 256> table = [] {
        std::array<uint32_t, 256> entries{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t value = i;
            for (int bit = 0; bit < 8; ++bit)
                value = (value & 1U) != 0 ? 0xEDB88320U ^ (value >> 1) : value >> 1;
            entries[i] = value;
        }
        return entries;
    }();
    crc = ~crc;
    for (char byte : bytes)
        crc = table[(crc ^ static_cast<unsigned char>(byte)) & 0xFFU] ^ (crc >> 8);
    return ~crc;
}

std::optional<int> query_integer(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view parameter = query.substr(0, amp);
        std::size_t equals = parameter.find('=');
        if (parameter.substr(0, equals) == name) {
            if (equals == std::string_view::npos) return -1;
            std::string_view digits = parameter.substr(equals + 1);
            int value = -1;
            auto [end, error] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            bool whole = error == std::errc() && end == digits.data() + digits.size();
            return whole && value >= 0 ? value : -1;
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

void add_test_routes(Router& router) {
    auto add = [&router](std::string_view name, HandlerFunction function) {
        router.add(std::string(kTestRoutePrefix) + std::string(name), Route::Match::exact,
                   make_handler(Dispatch::blocking, std::move(function)));
    };
    add("crash", crash);
    add("abort", abort_process);
    add("leak", leak);
    add("hang", hang);
    add("body", describe_body);
    router.add(std::string(kTestRoutePrefix) + "body-inline", Route::Match::exact,
               make_handler(Dispatch::inline_, describe_body));
}

}  // namespace forkd::handlers
