#include "os/process_title.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

extern char** environ;

namespace forkd::os {
namespace {

char* g_area = nullptr;
std::size_t g_area_size = 0;
// How much of the area may hold bytes that are not NUL: all of it until the first title
// (the original argv and environment are there), then the last title's length. A worker
// sets its title a few times per request; clearing only what the last title used keeps
// that a copy of a few dozen bytes.
std::size_t g_area_used = 0;
// The environment and argv strings, moved out of the area: one block, kept for the
// process's life, so that a string unsetenv() takes out of environ is not a leak
// (LeakSanitizer said it was, when each string had its own strdup).
char* g_strings = nullptr;

// Copies `count` strings back to back into `block` and points `strings` at the copies.
char* copy_strings(char** strings, std::size_t count, char* block) {
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t size = std::strlen(strings[i]) + 1;
        strings[i] = static_cast<char*>(std::memcpy(block, strings[i], size));
        block += size;
    }
    return block;
}

std::size_t total_size(char* const* strings, std::size_t count) {
    std::size_t size = 0;
    for (std::size_t i = 0; i < count; ++i)
        size += std::strlen(strings[i]) + 1;
    return size;
}

}  // namespace

void init_process_title(int argc, char** argv) {
    if (argc == 0 || argv[0] == nullptr) return;
    // The area is the run of argv and environment strings that lie back to back.
    char* start = argv[0];
    char* end = argv[0] + std::strlen(argv[0]) + 1;
    for (int i = 1; i < argc; ++i) {
        if (argv[i] == end) end = argv[i] + std::strlen(argv[i]) + 1;
    }
    std::size_t env_count = 0;
    while (environ[env_count] != nullptr)
        ++env_count;
    for (std::size_t i = 0; i < env_count; ++i) {
        if (environ[i] == end) end = environ[i] + std::strlen(environ[i]) + 1;
    }
    // Move the environment and argv to the heap before their memory is reused for titles.
    auto** moved = new char*[env_count + 1];
    std::copy(environ, environ + env_count, moved);
    moved[env_count] = nullptr;
    const auto arguments = static_cast<std::size_t>(argc);
    g_strings = new char[total_size(moved, env_count) + total_size(argv, arguments)];
    copy_strings(argv, arguments, copy_strings(moved, env_count, g_strings));
    environ = moved;

    g_area = start;
    g_area_size = static_cast<std::size_t>(end - start);
    g_area_used = g_area_size;
    ::prctl(PR_SET_NAME, "forkd");
}

void set_process_title(std::string_view title) {
    set_process_title({title});
}

void set_process_title(std::initializer_list<std::string_view> parts) {
    if (g_area == nullptr || g_area_size < 2) return;
    std::size_t length = 0;
    for (std::string_view part : parts) {
        std::size_t room = g_area_size - 1 - length;
        std::size_t take = std::min(part.size(), room);
        std::memcpy(g_area + length, part.data(), take);
        length += take;
    }
    if (g_area_used > length) std::memset(g_area + length, 0, g_area_used - length);
    g_area_used = length;
}

}  // namespace forkd::os
