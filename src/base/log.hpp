// The error log: spdlog with one synchronous logger per process (no threads in a process
// that forks). Every line is written with one write(2) to a file opened O_APPEND, so the
// master and its children can share the file. Bad client bytes are never logged above debug.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace forkd::log {

enum class Level { debug, info, warn, error };

// Sends the log to `path` (appending), or to stderr when `path` is empty. Throws
// std::runtime_error naming the path when it cannot be opened.
void open(const std::string& path, Level level);
// Sends the log to `sink`, made by a module that may open sockets (the journal,
// os/journal_sink.hpp); it receives every line as spdlog gives it and writes it at once.
void open(std::shared_ptr<spdlog::sinks::sink> sink, Level level);
// Reopens the same path (after logrotate moved the file away).
void reopen();
// Adds "[role pid]" to every line; called by each child after fork.
void set_role(std::string_view role);
// That role ("master", "io 1"), for a sink that sends it as a field of its own.
std::string_view role();

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace forkd::log
