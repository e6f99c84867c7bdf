#include "os/shared_memory.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace forkd::os {

void* map_shared_anonymous(std::size_t size) {
    void* address =
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (address == MAP_FAILED) {
        throw std::runtime_error(std::string("mmap scoreboard: ") + std::strerror(errno));
    }
    return address;
}

void unmap(void* address, std::size_t size) {
    if (address != nullptr) ::munmap(address, size);
}

}  // namespace forkd::os
