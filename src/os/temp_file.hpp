// Unlinked temporary files: where serving processes keep request bodies larger than
// body_buffer_size (nginx's client_body_temp_path). The file has no name from the moment it
// exists, so nothing is left behind by a crash, and its pages are page cache that the
// kernel may write out, never the process's own memory.
#pragma once

#include <string>
#include <string_view>

#include "base/fd.hpp"

namespace forkd::os {

// The directory open_temp_file uses for `directory`: itself, else $TMPDIR, else /tmp.
std::string temp_directory(const std::string& directory);

// A new empty file in temp_directory(directory), read-write, close-on-exec, that no path
// names: O_TMPFILE, or, on a file system without it, a mkostemp name unlinked at once.
// Throws std::runtime_error naming the directory.
Fd open_temp_file(const std::string& directory);

// Appends every byte of `bytes` at the file's offset (write(2) until done: a regular file
// never returns EAGAIN, so this blocks only as long as the disk write). False on an error
// such as ENOSPC, with errno set.
bool append_to_file(int fd, std::string_view bytes);

// A file in memory (memfd, close-on-exec) holding `bytes`, its offset at the start: a small
// request body given to a program as its stdin. Throws std::system_error.
Fd memory_file_with(std::string_view bytes);

// Moves the offset of `fd` back to the start, for a reader that reads from the offset (a
// program given the file as its stdin). False when the file cannot seek.
bool rewind_file(int fd);

}  // namespace forkd::os
