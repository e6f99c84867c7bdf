// Shared memory: inherited across fork (an anonymous MAP_SHARED region), or passed to an
// unrelated process as a file descriptor (a memfd, sent with SCM_RIGHTS).
#pragma once

#include <cstddef>

#include "base/fd.hpp"

namespace forkd::os {

// Zeroed memory that the caller and every process it forks afterwards share. Throws
// std::runtime_error when the kernel refuses.
void* map_shared_anonymous(std::size_t size);
void unmap(void* address, std::size_t size);

// A zeroed memfd of `size` bytes (close-on-exec), mapped here; whoever receives `fd` maps
// the same memory with map_shared_file. Throws std::runtime_error when the kernel refuses.
struct SharedFile {
    Fd fd;
    void* address = nullptr;
};
SharedFile make_shared_file(const char* name, std::size_t size);
// nullptr when the mapping fails (or the file is smaller than `size`).
void* map_shared_file(int fd, std::size_t size);

}  // namespace forkd::os
