#include "os/shared_memory.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace forkd::os {

void* map_shared_anonymous(std::size_t size) {
    void* address =
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (address == MAP_FAILED) {
        throw std::runtime_error(std::string("mmap scoreboard: ") + std::strerror(errno));
    }
    return address;
}

void* map_unforked(std::size_t size) {
    void* address =
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (address == MAP_FAILED) {
        throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
    }
    if (::madvise(address, size, MADV_DONTFORK) != 0) {
        int error = errno;
        ::munmap(address, size);
        throw std::runtime_error(std::string("madvise(MADV_DONTFORK): ") + std::strerror(error));
    }
    return address;
}

void unmap(void* address, std::size_t size) {
    if (address != nullptr) ::munmap(address, size);
}

SharedFile make_shared_file(const char* name, std::size_t size) {
    Fd fd(::memfd_create(name, MFD_CLOEXEC));
    if (!fd) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
        throw std::runtime_error(std::string("ftruncate memfd: ") + std::strerror(errno));
    void* address = map_shared_file(fd.get(), size);
    if (address == nullptr)
        throw std::runtime_error(std::string("mmap memfd: ") + std::strerror(errno));
    return {std::move(fd), address};
}

void* map_shared_file(int fd, std::size_t size) {
    struct stat status {};
    if (::fstat(fd, &status) != 0 || static_cast<std::size_t>(status.st_size) < size)
        return nullptr;
    void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return address == MAP_FAILED ? nullptr : address;
}

}  // namespace forkd::os
