// Test-only routes: faults on demand, for the process manager's integration tests.
//
// They exist only when the test-only setting `test_routes = true` is given, and must never be
// enabled in production: any client could crash, bloat or tie up the server's workers.
// Every fault route is blocking, so it only ever runs in a process that serves one request
// at a time, and takes down (or holds) that process alone:
//
//   /__forkd_test/crash          raises SIGSEGV in the serving process (crash isolation, 502)
//   /__forkd_test/abort          std::abort(): SIGABRT in the serving process
//   /__forkd_test/leak?mb=N      allocates and touches N MiB that are never freed, then 200
//                                "leaked N MiB" (memory recycling, max_rss)
//   /__forkd_test/hang?seconds=N sleeps N seconds (default: the maximum), then 200
//                                (request_timeout)
//
// Two more describe the request body they received, as "<bytes> <CRC-32 in hex>\n" (the
// CRC of zlib and Python's zlib.crc32), so that a test can check a large upload arrived
// whole: /__forkd_test/body is blocking (hybrid: an app worker answers), and
// /__forkd_test/body-inline inline (hybrid: the io worker answers).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "forkd/handler.hpp"

namespace forkd::handlers {

inline constexpr std::string_view kTestRoutePrefix = "/__forkd_test/";
inline constexpr int kMaxLeakMegabytes = 1024;
inline constexpr int kMaxHangSeconds = 3600;

// The integer value of `name=...` in the query, if the query has a parameter `name`;
// std::nullopt when it is absent, -1 when it is not a non-negative integer.
std::optional<int> query_integer(std::string_view query, std::string_view name);

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of `bytes`, continuing from `crc`.
uint32_t crc32(std::string_view bytes, uint32_t crc = 0);

void add_test_routes(Router& router);

}  // namespace forkd::handlers
