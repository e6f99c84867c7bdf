#include "os/connect.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "os/temp_file.hpp"

namespace forkd::os {
namespace {

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

bool parse(const std::string& text, Address& address) {
    if (text.starts_with("unix:")) {
        std::string path = text.substr(5);
        auto* un = reinterpret_cast<sockaddr_un*>(&address.storage);
        if (path.empty() || path.size() >= sizeof un->sun_path) return false;
        un->sun_family = AF_UNIX;
        std::memcpy(un->sun_path, path.data(), path.size());
        address.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
        return true;
    }
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    std::string host = text.substr(0, colon);
    unsigned port = 0;
    const char* digits = text.data() + colon + 1;
    auto [end, problem] = std::from_chars(digits, text.data() + text.size(), port);
    if (problem != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535)
        return false;
    if (host.starts_with('[') && host.ends_with(']')) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(port));
        address.length = sizeof *in6;
        return ::inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) == 1;
    }
    auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    address.length = sizeof *in;
    return ::inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1;
}

}  // namespace

Fd connect_stream(const std::string& address, std::chrono::steady_clock::time_point deadline,
                  int& error) {
    Address parsed;
    if (!parse(address, parsed)) {
        error = EINVAL;
        return Fd();
    }
    Fd fd(::socket(parsed.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = errno;
        return Fd();
    }
    if (parsed.storage.ss_family != AF_UNIX) {
        int on = 1;
        ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&parsed.storage), parsed.length) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EAGAIN) {
        error = errno;
        return Fd();
    }
    // A unix socket whose backlog is full says EAGAIN: it is not waited for (as nginx).
    if (errno == EAGAIN) {
        error = EAGAIN;
        return Fd();
    }
    pollfd watch{fd.get(), POLLOUT, 0};
    for (;;) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            error = ETIMEDOUT;
            return Fd();
        }
        int ready = ::poll(&watch, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready > 0) break;
    }
    int result = 0;
    socklen_t size = sizeof result;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &result, &size);
    if (result != 0) {
        error = result;
        return Fd();
    }
    return fd;
}

PrivateListener private_listener(const std::string& directory) {
    auto fail = [](const char* what) {
        throw std::system_error(errno, std::generic_category(), what);
    };
    std::string folder = temp_directory(directory) + "/forkd-fcgi-XXXXXX";
    if (::mkdtemp(folder.data()) == nullptr) fail("mkdtemp");
    std::string path = folder + "/s";
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
        ::rmdir(folder.c_str());
        errno = ENAMETOOLONG;
        fail("bind");
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    PrivateListener made;
    made.listener = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    made.connection = Fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    bool ok = made.listener && made.connection &&
              ::bind(made.listener.get(), raw, sizeof address) == 0 &&
              ::listen(made.listener.get(), 1) == 0 &&
              ::connect(made.connection.get(), raw, sizeof address) == 0;
    int error = errno;
    ::unlink(path.c_str());
    ::rmdir(folder.c_str());
    if (!ok) {
        errno = error;
        fail("private FastCGI socket");
    }
    return made;
}

Fd listen_unix(const std::string& path) {
    Address address;
    if (!parse("unix:" + path, address))
        throw std::system_error(ENAMETOOLONG, std::generic_category(), path);
    Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener) throw std::system_error(errno, std::generic_category(), "socket");
    ::unlink(path.c_str());
    auto* raw = reinterpret_cast<sockaddr*>(&address.storage);
    if (::bind(listener.get(), raw, address.length) != 0 || ::listen(listener.get(), 128) != 0)
        throw std::system_error(errno, std::generic_category(), "listen on " + path);
    return listener;
}

std::string make_private_directory(uid_t uid, gid_t gid) {
    std::string folder = temp_directory("") + "/forkd-fcgi-XXXXXX";
    if (::mkdtemp(folder.data()) == nullptr)
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + folder);
    if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) &&
        ::chown(folder.c_str(), uid, gid) != 0) {
        int error = errno;
        ::rmdir(folder.c_str());
        throw std::system_error(error, std::generic_category(), "chown " + folder);
    }
    return folder;
}

void remove_private_directory(const std::string& directory) {
    if (DIR* listing = ::opendir(directory.c_str())) {
        while (dirent* entry = ::readdir(listing)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..") ::unlink((directory + "/" + name).c_str());
        }
        ::closedir(listing);
    }
    ::rmdir(directory.c_str());
}

}  // namespace forkd::os
