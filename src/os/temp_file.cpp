#include "os/temp_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace forkd::os {

std::string temp_directory(const std::string& directory) {
    if (!directory.empty()) return directory;
    const char* from_environment = std::getenv("TMPDIR");
    return from_environment != nullptr && *from_environment != '\0' ? from_environment : "/tmp";
}

Fd open_temp_file(const std::string& directory) {
    std::string where = temp_directory(directory);
    Fd fd(::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
    if (fd) return fd;
    // EOPNOTSUPP: the file system has no O_TMPFILE (e.g. overlayfs before Linux 6.6); EISDIR:
    // a kernel older than O_TMPFILE took it for O_DIRECTORY. Any other error is real.
    if (errno == EOPNOTSUPP || errno == EISDIR) {
        std::string name = where + "/forkd-body-XXXXXX";
        fd = Fd(::mkostemp(name.data(), O_CLOEXEC));
        if (fd) {
            ::unlink(name.c_str());
            return fd;
        }
    }
    throw std::runtime_error("cannot create a temporary file in " + where + ": " +
                             std::strerror(errno));
}

bool append_to_file(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) {
            if (written == 0) errno = ENOSPC;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

Fd memory_file_with(std::string_view bytes) {
    Fd file(::memfd_create("forkd-body", MFD_CLOEXEC));
    if (!file) throw std::system_error(errno, std::generic_category(), "memfd_create");
    if (!append_to_file(file.get(), bytes) || !rewind_file(file.get())) {
        throw std::system_error(errno, std::generic_category(), "memfd write");
    }
    return file;
}

bool rewind_file(int fd) {
    return ::lseek(fd, 0, SEEK_SET) == 0;
}

}  // namespace forkd::os
