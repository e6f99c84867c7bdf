// Memory mapped for what fork does with it: shared with the processes forked afterwards (an
// anonymous MAP_SHARED region), passed to an unrelated process as a file descriptor (a
// memfd, sent with SCM_RIGHTS), or kept from the processes forked afterwards.
#pragma once

#include <cstddef>

#include "base/fd.hpp"

namespace forkd::os {

// Zeroed memory that the caller and every process it forks afterwards share. Throws
// std::runtime_error when the kernel refuses.
void* map_shared_anonymous(std::size_t size);
void unmap(void* address, std::size_t size);

// Zeroed memory that the processes the caller forks do not get (MADV_DONTFORK): fork copies
// none of its page-table entries, and writing it after a fork costs no copy-on-write fault.
// For what only the forking process uses (the master's table of its children). Throws
// std::runtime_error when the kernel refuses.
void* map_unforked(std::size_t size);

// A standard allocator over map_unforked, for a container of the master's own that is
// reserved once (each allocation is a mapping of its own).
template <class T>
struct UnforkedAllocator {
    using value_type = T;
    UnforkedAllocator() = default;
    template <class U>
    UnforkedAllocator(const UnforkedAllocator<U>&) {}  // NOLINT: rebinding, as std::allocator
    T* allocate(std::size_t count) { return static_cast<T*>(map_unforked(count * sizeof(T))); }
    void deallocate(T* address, std::size_t count) { unmap(address, count * sizeof(T)); }
    template <class U>
    bool operator==(const UnforkedAllocator<U>&) const {
        return true;
    }
};

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
