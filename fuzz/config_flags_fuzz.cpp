// Fuzz target: forkd's command line (config::load_config). The input, split at NUL bytes,
// is the argument list after "forkd". Any argument list either becomes an Invocation or a
// ConfigError with a message; nothing else may escape (main() turns exactly that into one
// line and exit code 1).
//
// -c reads a file: arguments that could name an endless or blocking file (devices, /proc,
// /sys, /run, /dev/fd) are left out. (Relative paths resolve in libFuzzer's working
// directory, which must stay where it is: the corpus paths are relative to it.)
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config_loader.hpp"
#include "fuzz_check.hpp"

namespace {

bool could_block(std::string_view argument) {
    for (const std::string_view part : {"dev", "proc", "sys", "fd", "run"})
        if (argument.find(part) != std::string_view::npos) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> arguments{"forkd"};
    for (std::size_t start = 0; start <= text.size();) {
        const auto nul = std::min(text.find('\0', start), text.size());
        arguments.emplace_back(text.substr(start, nul - start));
        if (could_block(arguments.back())) return 0;
        start = nul + 1;
    }
    std::vector<const char*> argv;
    for (const auto& argument : arguments)
        argv.push_back(argument.c_str());
    try {
        const auto invocation =
            forkd::config::load_config(static_cast<int>(argv.size()), argv.data());
        if (invocation.show_help) FUZZ_CHECK(!invocation.help_text.empty(), "help has text");
    } catch (const forkd::config::ConfigError& error) {
        FUZZ_CHECK(std::string_view(error.what()).size() > 0, "an error says what is wrong");
    }
    return 0;
}
