// Shared memory inherited across fork: mmap(MAP_SHARED | MAP_ANONYMOUS).
#pragma once

#include <cstddef>

namespace forkd::os {

// Zeroed memory that the caller and every process it forks afterwards share. Throws
// std::runtime_error when the kernel refuses.
void* map_shared_anonymous(std::size_t size);
void unmap(void* address, std::size_t size);

}  // namespace forkd::os
